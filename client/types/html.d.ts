export declare const DATA = 0;
export declare const RAW = 18;
/** Events: a start tag's "<", the end of its name, its ">", and the "<" and end of a raw text element's end tag. */
export declare const EV_OPEN = 0;
export declare const EV_NAME = 1;
export declare const EV_CLOSE = 2;
export declare const EV_RAW_LT = 3;
export declare const EV_RAW_END = 4;
/** Whether state s is inside a start tag, after its name. */
export declare function inTag(s: number): boolean;
/** The tokenizer state, fed one chunk of HTML at a time; ev reports events at an index of the current chunk. */
export declare abstract class Scanner {
    s: number;
    /** The current (or last) start tag's name, lower case. */
    name: string;
    private raw_;
    private m;
    private dash_;
    protected abstract ev(kind: number, i: number): void;
    scan(t: string): void;
    /** A start tag ends at i (its ">"): raw text elements go on in RAW. */
    private close_;
    /** Looks for "</name" followed by a space, "/" or ">". */
    private rawChar_;
}

import { Scanner } from "./html";
import type { Frag, Statics, Val } from "./tree";
import type { At } from "./morph";
/**
 * A run of sibling nodes, a to z, that shows one value in text: a slot's
 * value, a comprehension's row, or the page. Never empty: an empty Text node
 * stands for an empty value. Spans nest; a span that starts or ends where
 * its enclosing span (up) does shares that node with it.
 */
export declare class Span {
    up: Span | null;
    own: Frag | null;
    k: number;
    a: Node;
    z: Node;
    /** The HTML did not come out as a run of siblings: the value is not addressable on its own. */
    bad: boolean;
    /** It is inside an element with lvt-ignore: patches change the value, not the DOM. */
    ig: boolean;
    /** Its number in the build that made it. */
    n: number;
    constructor(up: Span | null, own: Frag | null, // the fragment whose slot k it shows, or (k < 0) the row it shows
    k: number);
}
/**
 * An element whose start tag (or, raw, whose text: script, style, textarea,
 * title) holds values of fragment f: its source is f's statics and values
 * from statics[i] at offset o to statics[j] at offset p.
 */
export declare class Part {
    f: Frag;
    i: number;
    o: number;
    raw: boolean;
    id: number;
    el: Element;
    j: number;
    p: number;
    /** The start tag's attributes as the server last sent them. */
    at: At[];
    /** Inside an element with lvt-ignore (a raw text: or with it itself): patches leave it. */
    ig: boolean;
    constructor(f: Frag, i: number, o: number, raw: boolean, id: number);
}
/** The bindings of a fragment: the span that shows it, and how each slot is reached (null: by rebuilding sp). */
export interface Dom {
    sp: Span;
    b: (Span | Part | null)[];
}
export declare function dom(f: Frag): Dom | undefined;
/** Builds the HTML of values with markers, then binds the parsed DOM. */
export declare class Builder extends Scanner {
    private tb;
    private nonce_;
    private out_;
    readonly spans: Span[];
    private starts_;
    readonly parts: Part[];
    private ins_;
    private els_;
    private pure_;
    private cf;
    private ci;
    private cut_;
    private cl;
    private tf;
    private ti;
    private to;
    private tc;
    private tn;
    private tid_;
    private tag_;
    private rf;
    private ri;
    private ro;
    private rawp_;
    private lt;
    private lti_;
    private lto_;
    /** After a pre or listing start tag, whose first newline the parser drops; 2: a marker came since. */
    pre: number;
    constructor(tb: Statics, nonce_: string);
    /** Writes f; sp (null: none) is the span that shows it. */
    frag(f: Frag, sp: Span | null): void;
    /** Writes slot i of a live fragment and returns its binding. */
    private slot_;
    private part_;
    /** Writes v between the markers of span sp. */
    span(sp: Span, v: Val): void;
    private value_;
    /** Writes and scans t: statics[i] of f, or a value (f null). */
    private text_;
    private elemId_;
    protected ev(kind: number, i: number): void;
    /** The part p ends at offset o of static i (default: the current one) of f, which must be p's own fragment. */
    private end_;
    /** The HTML written, with the element markers. */
    html(attr: string): string;
    /**
     * Binds the spans and parts to the parsed DOM under root and removes the
     * markers. tops are the spans written at the top (their markers must be
     * root's children, in order, covering all of them); false if one is bad.
     */
    bind(root: ParentNode, attr: string, tops: Span[]): boolean;
}

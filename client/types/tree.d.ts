/** A value: text (already escaped HTML), a fragment, or a comprehension. */
export type Val = string | Frag | Comp;
/** A fragment: statics id and its values; `d` is the view's DOM binding. */
export interface Frag {
    s: number;
    v: Val[];
    d?: unknown;
}
/** A comprehension: its rows, each a fragment. */
export interface Comp {
    r: Frag[];
}
/** A JSON object as JSON.parse makes it. */
export type Obj = {
    [k: string]: unknown;
};
export declare function isObj(v: unknown): v is Obj;
/** Whether a change replaces the value in full (text, fragment, comprehension) rather than patching it. */
export declare function isFull(change: unknown): boolean;
/** Throws: the message does not fit the tree (what names the part that does not). */
export declare function fail(what: string): never;
/** The statics table of one page: statics id to the strings between values. */
export declare class Statics {
    private t;
    /** Adds the definitions of a message's "s". */
    add(s: unknown): void;
    /** The statics of sid, checked against a fragment of n values. */
    get(sid: number, n: number): string[];
}
/** Turns a full value from JSON into a Val, checking it against the statics. */
export declare function decode(st: Statics, v: unknown): Val;
/** A row: a full fragment. */
export declare function decodeRow(st: Statics, r: unknown): Frag;
/** Slot index of a fragment patch key, checked. */
export declare function slotIndex(f: Frag, k: string): number;
/** Applies a change to cur without any DOM: the value cur becomes. */
export declare function patch(st: Statics, cur: Val, change: unknown): Val;
/** Applies a row change: a fragment patch, or a full fragment. */
export declare function patchRow(st: Statics, row: Frag, change: unknown): Frag;
/** A placement of a comprehension patch: a kept row moved, or a new one. */
export interface Place {
    to: number;
    row: Frag;
    isNew: boolean;
}
/** What a comprehension patch does: the rows removed, the placements, the new list, and the row updates ("u", by new index). */
export interface RowPlan {
    gone: Frag[];
    places: Place[];
    rows: Frag[];
    updates: [number, unknown][];
}
/**
 * Plans a comprehension patch (docs/protocol.md, "Comprehension patch"):
 * "d" removes rows by old index, "p" places moved rows (by index among the
 * rows left) and new rows at ascending new indices, "u" updates rows by new
 * index. Everything is checked before anything changes.
 */
export declare function planRows(st: Statics, old: Frag[], obj: Obj): RowPlan;
/** The HTML a value stands for. */
export declare function html(st: Statics, v: Val): string;

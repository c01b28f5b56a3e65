/** A full tree as the server sends it in render messages: {"s": statics, "f": root fragment}. */
export interface TreeMessage {
    s?: Record<string, string[]>;
    f: unknown;
}
/** A diff as the server sends it in diff messages: {"s"?: new statics, "f": root patch}. */
export type DiffMessage = TreeMessage;
/** The DOM of one live page: the children of an element, or a whole document. */
export declare class View {
    readonly root: Element | Document;
    private tree;
    constructor(root: Element | Document);
    /** Whether the view holds the page's tree, so that diffs can apply. */
    get hasTree(): boolean;
    /** Shows a full tree: patches the DOM to its HTML, keeping what the user is doing. */
    render(tree: TreeMessage): void;
    /** Applies a diff to the tree and patches only what changed in the DOM. */
    diff(d: DiffMessage): void;
    private show;
}

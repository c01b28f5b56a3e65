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
    private st;
    private tree_;
    private top_;
    private dirty_;
    private readonly nonce_;
    private readonly attr_;
    constructor(root: Element | Document);
    /** Whether the view holds the page's tree, so that diffs can apply. */
    get hasTree(): boolean;
    /**
     * Shows a full tree: morphs the DOM (the HTML the server sent, or what a
     * resync replaces) into the tree's HTML, keeping what the user is doing.
     */
    render(tree: TreeMessage): void;
    /** Applies a diff to the tree and patches only what changed in the DOM. Throws when it does not fit the tree. */
    diff(d: DiffMessage): void;
    /**
     * Runs fn, then gives the focus and the selection back to the element that
     * had them, if fn moved it, and ends the patch for the hooks.
     */
    private guard_;
    private html_;
    private builder_;
    /** Rebuilds the whole page from the tree, morphing the DOM into it. */
    private fillRoot_;
    /**
     * Shows v in span sp: a text by setting the data of its Text node, else by
     * building v's DOM and morphing sp's nodes into it. False when v's HTML
     * would not come out of the parser as a run of nodes there: an enclosing
     * span must be rebuilt instead.
     */
    private fill_;
    /**
     * Parses html as the page's parser would as the content of parent, in
     * place: after the start tags of parent and its ancestors, so that the
     * parser nests, closes and moves nodes as it does there. Returns the copy
     * of parent that holds the nodes, or null when the parser would not keep
     * them in parent: a table moves them out, an end tag closes parent, a
     * start tag closes a p, an li closes an li...
     */
    private parseAt_;
    /** Applies a fragment patch to f, a fragment that the DOM shows. */
    private patchFrag_;
    /** Applies a comprehension patch to c, whose rows span x shows. */
    private patchComp_;
    /** Removes, moves and inserts rows in the DOM as plan says. */
    private arrange_;
    /** Builds the DOM of new rows of span x in parent; false if the parser would not keep them as runs of nodes there. */
    private buildRows_;
    /** Applies a comprehension patch to the tree alone. */
    private purely_;
    /** Patches what the diff left to do: attributes and raw texts to recompute, spans to rebuild. */
    private flush_;
    /** Recomputes the attributes or the text of a part's element. */
    private updatePart_;
}

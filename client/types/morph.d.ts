/**
 * What other parts of the client do around a patch's DOM changes, each set
 * by the module that needs it: touch(n) before n or a node under it changes
 * (hooks.ts: beforeUpdate), kept(el) after a patch set el's attributes to
 * the server's (commands.ts applies its own state again), done(root) after
 * the patch of the page at root (hooks.ts: mounted, updated, destroyed).
 */
export declare const watch: {
    touch?: (n: Node) => void;
    kept?: (el: Element) => void;
    done?: (root: Element | Document) => void;
};
/** n, or a node under it, is about to change. */
export declare const touch: (n: Node) => void | undefined;
/** The tbody elements that the parser added to a table before its first row, or the view did as the parser would. */
export declare const implicit: WeakSet<Node>;
/** For each new node that a live node stands for, that live node. */
export type NodeMap = Map<Node, Node>;
/**
 * The attribute name of el changed to value (null: removed): the property
 * that the user can change follows the server's attribute, unless the user
 * is in the field.
 */
export declare function syncProp(el: Element, name: string, value: string | null): void;
/** Sets the text of a textarea, script, style or title; a textarea's value follows unless the user is in it. */
export declare function syncText(el: Element, text: string): void;
/** Moves node n before ref, keeping the state of a live node (focus, iframes) where the browser can. */
export declare function moveBefore(parent: Node, n: Node, ref: Node | null): void;
/**
 * Morphs the live siblings from..to (inclusive; from null: none) of parent
 * into the children of src, the new nodes, which are moved into the DOM where no live node
 * matches. A keyed new node (data-key or id) takes the live node of its key
 * wherever it is among the siblings, which moves if it must; other nodes
 * match by position. keepOpen keeps the open attribute of details and
 * dialog elements that the new HTML lacks (the user opened them).
 */
export declare function morph(parent: Node, from: Node | null, to: Node | null, src: Node, map: NodeMap, keepOpen: boolean): void;
/** Morphs the live node o into n, of the same kind. */
export declare function morphNode(o: Node, n: Node, map: NodeMap, keepOpen: boolean): void;
/** An attribute, as a copy: the view compares the server's old and new attributes. */
export interface At {
    ns: string | null;
    n: string;
    l: string;
    v: string;
}
export declare function attrs(el: Element): At[];
/**
 * Changes el's attributes from old to at, the server's: only those that
 * differ, so that what the user or other scripts changed stays. Attributes
 * after the first new one are set again, to keep the source order.
 * keepOpen keeps an open that the user gave a details or dialog. The
 * attributes that the server's lvt-ignore-attrs names are left as they are.
 */
export declare function syncAttrs(el: Element, old: At[], at: At[], keepOpen: boolean): void;

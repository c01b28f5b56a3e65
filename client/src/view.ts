// The DOM of one live page. MINIMAL VERSION: it sets the DOM from the tree's
// HTML on every message; targeted patching replaces it.
import { Tree } from "./tree";

/** A full tree as the server sends it in render messages: {"s": statics, "f": root fragment}. */
export interface TreeMessage {
  s?: Record<string, string[]>;
  f: unknown;
}

/** A diff as the server sends it in diff messages: {"s"?: new statics, "f": root patch}. */
export type DiffMessage = TreeMessage;

/** The DOM of one live page: the children of an element, or a whole document. */
export class View {
  readonly root: Element | Document;
  private tree: Tree | null = null;

  constructor(root: Element | Document) {
    this.root = root;
  }

  /** Whether the view holds the page's tree, so that diffs can apply. */
  get hasTree(): boolean {
    return this.tree !== null;
  }

  /** Shows a full tree: patches the DOM to its HTML, keeping what the user is doing. */
  render(tree: TreeMessage): void {
    const t = new Tree();
    t.apply(tree);
    this.tree = t;
    this.show();
  }

  /** Applies a diff to the tree and patches only what changed in the DOM. */
  diff(d: DiffMessage): void {
    if (!this.tree) throw new Error("livetemplate: a diff without a tree");
    try {
      this.tree.apply(d);
    } catch (e) {
      this.tree = null; // partly applied: only a full tree can repair it
      throw e;
    }
    this.show();
  }

  private show(): void {
    const html = (this.tree as Tree).html();
    if (this.root instanceof Document) {
      const doc = new DOMParser().parseFromString(html, "text/html");
      this.root.replaceChild(this.root.adoptNode(doc.documentElement), this.root.documentElement);
    } else {
      this.root.innerHTML = html;
    }
  }
}

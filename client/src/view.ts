// STUB: the interface that the DOM view must provide. The patcher's owner
// replaces this file with the real implementation.

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
  constructor(root: Element | Document) {
    this.root = root;
  }
  /** Whether the view holds the page's tree, so that diffs can apply. */
  get hasTree(): boolean {
    return false;
  }
  /** Shows a full tree: patches the DOM to its HTML, keeping what the user is doing. */
  render(_tree: TreeMessage): void {
    throw new Error("livetemplate: view not implemented");
  }
  /** Applies a diff to the tree and patches only what changed in the DOM. */
  diff(_d: DiffMessage): void {
    throw new Error("livetemplate: view not implemented");
  }
}

// The page's connection state on the document: one class of STATUSES on the
// live root (on <html> when the root is the document), so that CSS alone can
// show "reconnecting...", an optional indicator (its code is in the chunk:
// indicator.ts), and what a client does when its page is gone from the
// server: reload the document once.

import * as C from "./constants";
import { loadChunk } from "./nav";

/**
 * A page's connection state, as the document shows it:
 * - connecting: the first connection opens and joins the page.
 * - connected: the page is joined, events go out.
 * - disconnected: the connection was lost (or closed); the client reconnects unless closed.
 * - error: the client stopped: the page is gone from the server, or the connection was replaced.
 */
export type Status = "connecting" | "connected" | "disconnected" | "error";

const STATUSES: readonly Status[] = ["connecting", "connected", "disconnected", "error"];

/** Shows a client's status on its root, and in its indicator if it has one. */
export class StatusView {
  status: Status = "connecting";
  private readonly el_: Element;
  private readonly ind_: boolean;
  private box_: HTMLElement | undefined; // the indicator, once the chunk made it

  constructor(root: Element | Document, indicator: boolean) {
    this.el_ = root instanceof Document ? root.documentElement : root;
    this.ind_ = indicator;
    this.show();
  }

  /** Sets the status; false when it was already s. */
  set(s: Status): boolean {
    if (s === this.status) return false;
    this.status = s;
    this.show();
    return true;
  }

  /** Shows the status again: a render of the whole document replaces <html>'s classes and <body>. */
  show(): void {
    for (const s of STATUSES) this.el_.classList.toggle(C.LVT + s, s === this.status);
    // The chunk is loaded (or loading) since connect: the indicator shows the status of then.
    if (this.ind_) loadChunk().then((c) => (this.box_ = c.indicate(this.box_, this.status)), () => {});
  }
}

/**
 * Reloads the document, unless this client reloaded the same URL within
 * C.GONE_GUARD (a page gone again at once would reload forever), or the tab
 * has no session storage to remember it in.
 */
export function reloadOnce(): void {
  try {
    const [url, t] = (sessionStorage.getItem(GUARD_KEY) ?? "").split("\n");
    const at = Date.now();
    if (url === location.href && at - Number(t) < C.GONE_GUARD) return;
    sessionStorage.setItem(GUARD_KEY, `${location.href}\n${at}`);
  } catch {
    return;
  }
  location.reload();
}

const GUARD_KEY = "livetemplate:reloaded";

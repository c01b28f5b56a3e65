/**
 * A page's connection state, as the document shows it:
 * - connecting: the first connection opens and joins the page.
 * - connected: the page is joined, events go out.
 * - disconnected: the connection was lost (or closed); the client reconnects unless closed.
 * - error: the client stopped: the page is gone from the server, or the connection was replaced.
 */
export type Status = "connecting" | "connected" | "disconnected" | "error";
/** Shows a client's status on its root, and in its indicator if it has one. */
export declare class StatusView {
    status: Status;
    private readonly el_;
    private readonly ind_;
    private box_;
    constructor(root: Element | Document, indicator: boolean);
    /** Sets the status; false when it was already s. */
    set(s: Status): boolean;
    /** Shows the status again: a render of the whole document replaces <html>'s classes and <body>. */
    show(): void;
}
/**
 * Reloads the document, unless this client reloaded the same URL within
 * C.GONE_GUARD (a page gone again at once would reload forever), or the tab
 * has no session storage to remember it in.
 */
export declare function reloadOnce(): void;

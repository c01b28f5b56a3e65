import { type Unsubscribe } from "./emitter";
import { type Hooks } from "./hooks";
import { type LeaderInfo } from "./hub";
import { LiveTemplateError } from "./outbox";
import { type CloseInfo, type SocketOptions, type SocketState } from "./socket";
import { exec } from "./run";
import { type Status } from "./status";
export { LiveTemplateError };
export type { CloseInfo, LeaderInfo, SocketState, Status };
/** The socket's options that a client hands on to its socket ({@link createSocket}). */
type ConnectionOptions = Pick<SocketOptions, "backoffBase" | "backoffMax" | "stableAfter" | "connectTimeout" | "heartbeat" | "pongTimeout">;
/** Options of a {@link LiveTemplateClient}: its own, and those of its socket. Times are in milliseconds. */
export interface ClientOptions extends ConnectionOptions {
    /** The token of the page to join, when the page carries it (a page shared by its link). Without it, a token in the connect URL, else the server's page_token (a PageHandler's page per connection). */
    presetToken?: string;
    /** The version of the page that the root's HTML already shows (the script tag's data-version): the client then joins without being sent the page. 0 (default): the server sends the whole page. */
    version?: number;
    /** The element whose children the page's template renders, or the document when it renders the whole document. Default: the element with data-lvt-root, else the document. */
    root?: Element | Document;
    /** Logs every message and state change to the console (console.debug). Default false: the client writes nothing to the console. */
    debug?: boolean;
    /** Events that may wait for their ack at once; past it pushEvent rejects with outbox_full (100). */
    maxPending?: number;
    /** Whether to bind the root's lvt-* attributes (true). */
    bindings?: boolean;
    /** Hooks of this client's page by name, before those of LiveTemplateClient.hooks. */
    hooks?: Hooks;
    /**
     * Whether the page shares the one connection of all this browser's tabs (true). It does when
     * the page's token is known before connecting and the browser has Web Locks; otherwise the
     * client opens its own socket. The first client of a tab sets the shared connection's options.
     */
    shared?: boolean;
    /** Adds the default connection indicator to the page (false): a small box in a corner that says so while the connection is down. */
    indicator?: boolean;
    /**
     * What the client does when its page is gone from the server (the gone event), after it
     * stopped: "reload" (default) reloads the document, unless it reloaded the same URL within
     * the last 10 seconds; "stay" does nothing more; a function is called instead.
     */
    gone?: "reload" | "stay" | ((e: LiveTemplateError) => void);
    /** Whether links marked lvt-nav, and back and forward between their pages, navigate live, and links marked lvt-patch patch the URL (true): the document's first client with nav handles them. */
    nav?: boolean;
    /** Whether the page's template has a params handler (HandleParams; the script tag's data-params), which the client tells the URL's query when it joins the page, on every patch, and on back and forward between the page's URLs (false). */
    params?: boolean;
}
/** The events of a {@link LiveTemplateClient} and what their listeners get. */
export interface ClientEvents {
    /** The page is joined on a new connection (also after every reconnect); v is the version the client holds. */
    connected: {
        v: number;
    };
    /** The connection ended; the client reconnects unless it was closed. */
    disconnected: CloseInfo;
    /** The client waits delay milliseconds before connecting again; attempt counts the retries since the last connection that stayed open for stableAfter (from 1). */
    reconnecting: {
        attempt: number;
        delay: number;
    };
    /** A render or diff was applied: the page now shows version v. */
    updated: {
        v: number;
    };
    /** Something failed: a failed ack, a full outbox, a page that ended, an error message of the server. fatal: the client has stopped. */
    error: LiveTemplateError & {
        fatal?: boolean;
    };
    /** The tab that holds the browser's connection changed. */
    leader: LeaderInfo;
    /** The connection's state as the document shows it (the class lvt-<status> on the root) changed. */
    status: {
        status: Status;
    };
    /** The page is gone from the server (invalid_token, page_not_found, page_expired, page_evicted): the client stopped, and reloads the document unless the gone option says otherwise. */
    gone: LiveTemplateError;
    /** A live navigation showed the page at url in the root, and joins it on the same connection (connected follows once it is live). */
    navigated: {
        url: string;
    };
}
/** A live page's connection to the server. */
export declare class LiveTemplateClient {
    /** Hooks of every client by name (lvt-hook="Name"); one registered after connect mounts at once. */
    static readonly hooks: Hooks;
    /** Runs client-side commands (a list, or its JSON text) from the element el. */
    static readonly exec: typeof exec;
    readonly options: ClientOptions;
    private readonly ev_;
    private readonly outbox_;
    private readonly busy_;
    private readonly owner_;
    private readonly sentOn_;
    private readonly browser_;
    private link_;
    private info_;
    private conn_;
    private sync_;
    private name_;
    private view_;
    private retry_;
    private held_;
    private refused_;
    private url_;
    private unbind_;
    private hookHost_;
    private early_;
    private status_;
    private params_;
    private stopped_;
    private up_;
    private specs_;
    constructor(options?: ClientOptions);
    /** The connection's state: connecting, open, backoff or closed. */
    get state(): SocketState;
    /** The connection's state as the document shows it: connecting, connected, disconnected or error. */
    get status(): Status;
    /** Which tab holds the connection, and whether this page shares it with the browser's other tabs. */
    get leader(): LeaderInfo;
    /** The page's token, once known. */
    get token(): string | undefined;
    /** The version of the page that the DOM shows. */
    get version(): number;
    private get page_();
    /** Listens to one of the {@link ClientEvents}; returns the function that stops listening. */
    on<K extends keyof ClientEvents>(name: K, fn: (arg: ClientEvents[K]) => void): Unsubscribe;
    /**
     * Connects to the live endpoint at url (ws:, wss:, http:, https: or relative to the page; http
     * becomes ws, and an https page always uses wss). A token in the URL's query is the page's
     * token unless presetToken is set. Calling connect again reconnects at once if the client is
     * waiting to, and otherwise does nothing.
     */
    connect(url: string): void;
    private attach_;
    /**
     * Changes this tab's URL to url, on the page's origin, without leaving the page: pushes a
     * history entry for it, or replaces the current one, and tells the page's params handler (the
     * params option) the new query. A URL of another origin is not patched; a client that stopped,
     * or cannot load the chunk, loads the document at url instead.
     */
    patch(url: string, replace?: boolean): Promise<void>;
    private sendParams_;
    /**
     * Navigates to url live: fetches its HTML, and when it is a live page of the same endpoint with
     * its token, shows its live root's children and its title in place of this page's, which it
     * leaves, and joins it on the same connection, with a new history entry. Otherwise, or on any
     * error, it loads the document at url. Events of the page left that wait for their acks reject
     * with closed.
     */
    navigate(url: string): Promise<void>;
    private go_;
    private leave_;
    private hooks_;
    private uploads_;
    private endUploads_;
    private handlers_;
    private solo_;
    /**
     * Sends the event name with data to the page's handler; the promise resolves on its ack, with
     * the handler's reply (undefined when it gives none), or
     * rejects with a {@link LiveTemplateError} with the server's code (handler_error, unknown_event,
     * ...), or outbox_full when maxPending events wait for their acks. An event that is not
     * acknowledged before the connection drops is sent again, with the same id, after the
     * reconnect: the server runs its handler once.
     */
    pushEvent(name: string, data?: unknown): Promise<unknown>;
    /** Closes the connection for good; events without an ack are rejected with code closed. */
    close(): void;
    private send_;
    private push_;
    private sendEvent_;
    private write_;
    private socketURL_;
    private opened_;
    private closed_;
    private receive_;
    private dev_;
    private feed_;
    private act_;
    private apply_;
    private ack_;
    private hold_;
    private settle_;
    private stop_;
    private gone_;
    private setStatus_;
    private report_;
    private log_;
}

/** Message types, both directions. */
export declare const T_JOIN = "join";
export declare const T_EVENT = "event";
export declare const T_PING = "ping";
export declare const T_PAGE_TOKEN = "page_token";
export declare const T_RENDER = "render";
export declare const T_DIFF = "diff";
export declare const T_JOINED = "joined";
export declare const T_ACK = "ack";
export declare const T_ERROR = "error";
export declare const T_PONG = "pong";
/** A server push to a page's hooks: {type, page?, name, data?} (planned: the server does not send it yet). */
export declare const T_PUSH = "push";
/** An upload ask, and the server's answer to it, matched by ref (uploadchunk.ts). */
export declare const T_UPLOAD = "upload";
/** Development mode's report of an error or a reload: {type, page?, kind, template?, event?, message?} (dev.ts). */
export declare const T_DEV = "dev";
/** Error codes the client acts on (the server's are in docs/protocol.md). */
export declare const E_NOT_JOINED = "not_joined";
export declare const E_RATE_LIMITED = "rate_limited";
export declare const E_UNAVAILABLE = "unavailable";
export declare const E_SERVER_CLOSING = "server_closing";
export declare const E_ALREADY_JOINED = "already_joined";
export declare const E_TOO_MANY_PAGES = "too_many_pages";
export declare const E_BAD_MESSAGE = "bad_message";
/** Codes of errors after which the page is gone from the server: only a new document gets a page again. */
export declare const GONE: readonly string[];
/** The client's own codes. */
export declare const E_OUTBOX_FULL = "outbox_full";
export declare const E_CLOSED = "closed";
export declare const E_REPLACED = "replaced";
/** Codes of bus requests: no answer in time, aborted by its signal, the answering tab went away, the leader's socket is not open. */
export declare const E_TIMEOUT = "timeout";
export declare const E_ABORTED = "aborted";
export declare const E_LEADER_CHANGED = "leader_changed";
export declare const E_SOCKET_DOWN = "socket_down";
/** The close code of a connection fenced by a newer one of its browser. */
export declare const CLOSE_REPLACED = 4009;
/** The close code of a connection that had no page joined for the server's idle time. */
export declare const CLOSE_IDLE = 4001;
/** Attribute prefix of the bindings. */
export declare const LVT = "lvt-";
/** An element's hook: lvt-hook="Name" (hooks.ts). */
export declare const HOOK = "lvt-hook";
/** An element whose children patches leave alone, and the attributes they leave alone (morph.ts). */
export declare const IGNORE = "lvt-ignore";
export declare const IGNORE_ATTRS = "lvt-ignore-attrs";
/** A client that reloaded its document for a gone page does not again within this time (ms). */
export declare const GONE_GUARD = 10000;
/** The selector of a live root. */
export declare const ROOT = "[data-lvt-root]";
/** A link that navigates live: a[lvt-nav] (nav.ts). */
export declare const NAV = "lvt-nav";
/** The request header of a live navigation's fetch (navchunk.ts). */
export declare const NAV_HEADER = "LT-Navigate";
/** Class set on an element from an event's send until its ack. */
export declare const LOADING_CLASS = "lvt-loading";
/** Defaults of the socket's options, in milliseconds. */
export declare const DEFAULTS: {
    readonly backoffBase: 500;
    readonly backoffMax: 30000;
    readonly stableAfter: 10000;
    readonly connectTimeout: 10000;
    readonly heartbeat: 25000;
    readonly pongTimeout: 10000;
};
/** A page without a connection for this long tells its hooks (disconnected). */
export declare const HOOK_GRACE = 1000;
/** A transition command without a time lasts this long. */
export declare const TRANSITION = 200;
/** Events that may wait for their ack at once, by default. */
export declare const MAX_PENDING = 100;
/** About how long the client waits to retry what the server refused for now (rate_limited, unavailable). */
export declare const RETRY_AFTER = 1000;
/** The first wait before refused events are sent again, when the server says no retry_after; it doubles with each refusal, up to 5 RETRY_AFTER. */
export declare const RETRY_BASE = 50;
/** A page joined with the version its HTML shows fetches its tree this long after the join, in idle time. */
export declare const TREE_AFTER = 1000;
/** A leader silent for LEADER_TIMEOUT while a follower waits for answers is pinged; silent LEADER_CONFIRM more, it hangs: the follower takes the lead. */
export declare const LEADER_TIMEOUT = 750;
export declare const LEADER_CONFIRM = 250;

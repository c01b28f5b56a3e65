// Every wire key, message type, attribute name and default of the client in
// one place (docs/protocol.md has the messages, docs/client.md the rest).

/** Message types, both directions. */
export const T_JOIN = "join";
export const T_EVENT = "event";
export const T_PING = "ping";
export const T_PAGE_TOKEN = "page_token";
export const T_RENDER = "render";
export const T_DIFF = "diff";
export const T_JOINED = "joined";
export const T_ACK = "ack";
export const T_ERROR = "error";
export const T_PONG = "pong";
/** A server push to a page's hooks: {type, page?, name, data?} (planned: the server does not send it yet). */
export const T_PUSH = "push";
/** An upload ask, and the server's answer to it, matched by ref (uploadchunk.ts). */
export const T_UPLOAD = "upload";
/** Development mode's report of an error or a reload: {type, page?, kind, template?, event?, message?} (dev.ts). */
export const T_DEV = "dev";

/** Error codes the client acts on (the server's are in docs/protocol.md). */
export const E_NOT_JOINED = "not_joined";
export const E_RATE_LIMITED = "rate_limited";
export const E_UNAVAILABLE = "unavailable";
export const E_SERVER_CLOSING = "server_closing";
export const E_ALREADY_JOINED = "already_joined";
export const E_TOO_MANY_PAGES = "too_many_pages";
export const E_BAD_MESSAGE = "bad_message";
/** Codes of errors after which the page is gone from the server: only a new document gets a page again. */
export const GONE: readonly string[] = ["invalid_token", "page_not_found", "page_expired", "page_evicted"];
/** The client's own codes. */
export const E_OUTBOX_FULL = "outbox_full";
export const E_CLOSED = "closed";
export const E_REPLACED = "replaced";
/** Codes of bus requests: no answer in time, aborted by its signal, the answering tab went away, the leader's socket is not open. */
export const E_TIMEOUT = "timeout";
export const E_ABORTED = "aborted";
export const E_LEADER_CHANGED = "leader_changed";
export const E_SOCKET_DOWN = "socket_down";

/** The close code of a connection fenced by a newer one of its browser. */
export const CLOSE_REPLACED = 4009;
/** The close code of a connection that had no page joined for the server's idle time. */
export const CLOSE_IDLE = 4001;

/** Attribute prefix of the bindings. */
export const LVT = "lvt-";
/** An element's hook: lvt-hook="Name" (hooks.ts). */
export const HOOK = "lvt-hook";
/** An element whose children patches leave alone, and the attributes they leave alone (morph.ts). */
export const IGNORE = "lvt-ignore";
export const IGNORE_ATTRS = "lvt-ignore-attrs";
/** A client that reloaded its document for a gone page does not again within this time (ms). */
export const GONE_GUARD = 10_000;
/** The selector of a live root. */
export const ROOT = "[data-lvt-root]";
/** A link that navigates live: a[lvt-nav] (nav.ts). */
export const NAV = "lvt-nav";
/** The request header of a live navigation's fetch (navchunk.ts). */
export const NAV_HEADER = "LT-Navigate";
/** Class set on an element from an event's send until its ack. */
export const LOADING_CLASS = "lvt-loading";

/** Defaults of the socket's options, in milliseconds. */
export const DEFAULTS = {
  backoffBase: 500,
  backoffMax: 30_000,
  stableAfter: 10_000,
  connectTimeout: 10_000,
  heartbeat: 25_000,
  pongTimeout: 10_000,
} as const;
/** A page without a connection for this long tells its hooks (disconnected). */
export const HOOK_GRACE = 1_000;
/** A transition command without a time lasts this long. */
export const TRANSITION = 200;
/** Events that may wait for their ack at once, by default. */
export const MAX_PENDING = 100;
/** About how long the client waits to retry what the server refused for now (rate_limited, unavailable). */
export const RETRY_AFTER = 1_000;
/** The first wait before refused events are sent again, when the server says no retry_after; it doubles with each refusal, up to 5 RETRY_AFTER. */
export const RETRY_BASE = 50;
/** A page joined with the version its HTML shows fetches its tree this long after the join, in idle time. */
export const TREE_AFTER = 1_000;
/** A leader silent for LEADER_TIMEOUT while a follower waits for answers is pinged; silent LEADER_CONFIRM more, it hangs: the follower takes the lead. */
export const LEADER_TIMEOUT = 750;
export const LEADER_CONFIRM = 250;

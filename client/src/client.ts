// LiveTemplateClient: one live page over a reconnecting connection: the
// browser's shared one (the hub), or its own socket. It joins the page by
// token with the version it holds, applies renders and diffs through the
// page's View, sends events with ids that survive reconnects and leader
// handovers (the outbox) and binds the page's lvt-* attributes.

import { Busy, bind, type EventData } from "./bindings";
import * as C from "./constants";
import { Emitter, type Unsubscribe } from "./emitter";
import { hubFor, type LeaderInfo, type Link, type LinkHandlers, type ServerMessage } from "./hub";
import { LiveTemplateError, Outbox, tabId, type Pending } from "./outbox";
import { createSocket, type CloseInfo, type SocketOptions, type SocketState } from "./socket";
import { View, type DiffMessage, type TreeMessage } from "./view";

export { LiveTemplateError };
export type { CloseInfo, LeaderInfo, SocketState };

/** The socket's options that a client hands on to its socket ({@link createSocket}). */
const CONNECTION = ["backoffBase", "backoffMax", "stableAfter", "connectTimeout", "heartbeat", "pongTimeout"] as const;
type ConnectionOptions = Pick<SocketOptions, (typeof CONNECTION)[number]>;

/** Options of a {@link LiveTemplateClient}: its own, and those of its socket. Times are in milliseconds. */
export interface ClientOptions extends ConnectionOptions {
  /** The token of the page to join, when the page carries it (the seed's Pattern 2). Without it, a token in the connect URL, else the server's page_token (Pattern 1). */
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
  /**
   * Whether the page shares the one connection of all this browser's tabs (true). It does when
   * the page's token is known before connecting and the browser has Web Locks; otherwise the
   * client opens its own socket. The first client of a tab sets the shared connection's options.
   */
  shared?: boolean;
}

/** The events of a {@link LiveTemplateClient} and what their listeners get. */
export interface ClientEvents {
  /** The page is joined on a new connection (also after every reconnect); v is the version the client holds. */
  connected: { v: number };
  /** The connection ended; the client reconnects unless it was closed. */
  disconnected: CloseInfo;
  /** The client waits delay milliseconds before connecting again; attempt counts the retries since the last connection that stayed open for stableAfter (from 1). */
  reconnecting: { attempt: number; delay: number };
  /** A render or diff was applied: the page now shows version v. */
  updated: { v: number };
  /** Something failed: a failed ack, a full outbox, a page that ended, an error message of the server. fatal: the client has stopped. */
  error: LiveTemplateError & { fatal?: boolean };
  /** The tab that holds the browser's connection changed. */
  leader: LeaderInfo;
}

/** Codes of errors after which the page is gone from the server: the client stops. */
const FATAL = new Set(["invalid_token", "page_not_found", "page_expired", "page_closed", "page_evicted", "limit_reached"]);

/** One joined page: its name on the connection, token, version and view. */
interface LivePage {
  name: string; // "": the connection's default page, joined by the URL's token
  token: string;
  v: number; // the version the view shows
  view: View;
  joined: boolean; // on the current connection: events may be sent
  live: boolean; // the current connection's join succeeded (connected was emitted)
  joins: number; // joins sent on this connection without their joined
  needRender: boolean; // the view has no tree and a diff came: only a render helps
  wantRender: boolean; // a join with v 0 is on its way
  gap: boolean; // a resync with v > 0 is on its way
  retry?: ReturnType<typeof setTimeout>;
}

interface Message {
  type?: string;
  page?: string;
  token?: string;
  v?: number;
  base?: number;
  tree?: TreeMessage;
  d?: DiffMessage;
  id?: string;
  ok?: boolean;
  code?: string;
  message?: string;
}

/** A live page's connection to the server. */
export class LiveTemplateClient {
  readonly options: ClientOptions;
  private readonly ev = new Emitter<ClientEvents>();
  private readonly outbox: Outbox;
  private readonly busy = new Busy();
  private readonly owner = new Map<string, Element>(); // event id -> element that sent it
  private readonly sentOn = new Map<string, number>(); // event id -> connection it was sent on
  private readonly browser = tabId();
  private link: Link | null = null;
  private info: () => LeaderInfo = () => ({ tab: this.browser, leader: this.browser, shared: false, browser: this.browser, epoch: 0 });
  private conn = 0; // connections opened so far
  private page: LivePage | null = null;
  private url = "";
  private unbind: Unsubscribe | null = null;
  private stopped: LiveTemplateError | null = null;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    this.outbox = new Outbox(options.maxPending ?? C.DEFAULTS.maxPending);
  }

  /** The connection's state: connecting, open, backoff or closed. */
  get state(): SocketState {
    return this.link?.state ?? "closed";
  }

  /** Which tab holds the connection, and whether this page shares it with the browser's other tabs. */
  get leader(): LeaderInfo {
    return this.info();
  }

  /** The page's token, once known. */
  get token(): string | undefined {
    return this.page?.token || undefined;
  }

  /** The version of the page that the DOM shows. */
  get version(): number {
    return this.page?.v ?? 0;
  }

  /** Listens to one of the {@link ClientEvents}; returns the function that stops listening. */
  on<K extends keyof ClientEvents>(name: K, fn: (arg: ClientEvents[K]) => void): Unsubscribe {
    return this.ev.on(name, fn);
  }

  /**
   * Connects to the live endpoint at url (ws:, wss:, http:, https: or relative to the page; http
   * becomes ws, and an https page always uses wss). A token in the URL's query is the page's
   * token unless presetToken is set. Calling connect again reconnects at once if the client is
   * waiting to, and otherwise does nothing.
   */
  connect(url: string): void {
    if (this.link && this.stopped === null) {
      this.link.connect();
      return;
    }
    const u = new URL(url, location.href);
    if (u.protocol === "http:") u.protocol = "ws:";
    else if (u.protocol === "https:") u.protocol = "wss:";
    if (location.protocol === "https:" && u.protocol === "ws:") u.protocol = "wss:";
    const token = this.options.presetToken ?? u.searchParams.get("token") ?? "";
    for (const k of ["token", "v", "browser", "epoch"]) u.searchParams.delete(k);
    this.url = u.href;
    this.stopped = null;
    const root = this.options.root ?? document.querySelector("[data-lvt-root]") ?? document;
    this.page = {
      name: "",
      token,
      v: token ? (this.options.version ?? 0) : 0,
      view: new View(root),
      joined: false,
      live: false,
      joins: 0,
      needRender: false,
      wantRender: false,
      gap: false,
    };
    if (this.options.bindings !== false) this.unbind = bind(root, (el, name, data) => this.send(el, name, data));
    const shared = this.options.shared !== false && token !== "" && typeof navigator.locks !== "undefined";
    const h = this.handlers(shared);
    if (shared) {
      const hub = hubFor(this.url, connectionOptions(this.options));
      [this.link, this.page.name] = hub.attach(h);
      this.info = () => hub.info();
    } else this.link = this.solo(h);
  }

  private handlers(shared: boolean): LinkHandlers {
    return {
      open: () => this.opened(shared),
      message: (m) => this.receive(m),
      close: (info) => this.closed(info),
      state: (st, delay, attempt) => {
        this.log("state", st, delay);
        if (st === "backoff") this.ev.emit("reconnecting", { attempt, delay });
        if (st === "closed" && !shared && this.stopped === null) this.stop(new LiveTemplateError(C.E_REPLACED, "livetemplate: a newer connection of this browser replaced this one"));
      },
      leader: () => this.ev.emit("leader", this.info()),
    };
  }

  // solo opens this client's own socket, which joins the page by the URL's token.
  private solo(h: LinkHandlers): Link {
    const key = tabId(24);
    const s = createSocket({
      url: () => this.socketURL(),
      // Its own credential and epoch 0: its next connection replaces a half-open one at once.
      protocols: ["livetemplate", `livetemplate.fence.${this.browser}.${key}.0`],
      reconnect: (info) => info.code !== C.CLOSE_REPLACED,
      autoConnect: false,
      maxQueue: 0,
      ...connectionOptions(this.options),
    });
    s.onOpen(h.open);
    s.onMessage((d) => h.message(d as ServerMessage));
    s.onClose(h.close);
    s.onState(h.state);
    s.connect();
    return {
      get state() {
        return s.state;
      },
      send: (m) => s.send(m),
      connect: () => s.connect(),
      close: () => s.close(),
    };
  }

  /**
   * Sends the event name with data to the page's handler; the promise resolves on its ack, or
   * rejects with a {@link LiveTemplateError} with the server's code (handler_error, unknown_event,
   * ...), or outbox_full when maxPending events wait for their acks. An event that is not
   * acknowledged before the connection drops is sent again, with the same id, after the
   * reconnect: the server runs its handler once.
   */
  pushEvent(name: string, data?: unknown): Promise<void> {
    return this.push(name, data, null);
  }

  /** Closes the connection for good; events without an ack are rejected with code closed. */
  close(): void {
    this.stop(new LiveTemplateError(C.E_CLOSED, "livetemplate: the client was closed"), false);
  }

  private send(el: Element, name: string, data: EventData): void {
    this.push(name, data, el).catch(() => {}); // failures are reported by the error event
  }

  private push(name: string, data: unknown, el: Element | null): Promise<void> {
    if (this.stopped) return this.fail(this.stopped);
    let p: Pending;
    let promise: Promise<void>;
    try {
      [p, promise] = this.outbox.add(this.page?.name ?? "", name, data);
    } catch (e) {
      return this.fail(e as LiveTemplateError);
    }
    if (el) {
      this.owner.set(p.id, el);
      this.busy.start(el);
    }
    const pg = this.page;
    if (pg?.joined) this.sendEvent(p);
    return promise;
  }

  private fail(e: LiveTemplateError): Promise<void> {
    this.report(e);
    return Promise.reject(e);
  }

  private sendEvent(p: Pending): void {
    const m: Record<string, unknown> = { type: C.T_EVENT, id: p.id, name: p.name };
    if (p.page) m["page"] = p.page;
    if (p.data !== undefined) m["data"] = p.data;
    if (this.write(m)) this.sentOn.set(p.id, this.conn);
  }

  private write(m: object): boolean {
    this.log("send", m);
    return this.link?.send(m) ?? false;
  }

  // socketURL is the URL of the next connection: the default page's token and version.
  private socketURL(): string {
    const u = new URL(this.url);
    const pg = this.page;
    if (pg?.token) {
      u.searchParams.set("token", pg.token);
      u.searchParams.set("v", String(pg.needRender ? 0 : pg.v));
    }
    return u.href;
  }

  // opened starts a connection: a solo socket's URL joined the page; on the shared one, the
  // client joins it.
  private opened(shared: boolean): void {
    this.conn++;
    const pg = this.page;
    if (!pg) return;
    clearTimeout(pg.retry);
    pg.joined = pg.live = false;
    pg.gap = false;
    pg.joins = 1; // the URL's token, the page a PageHandler makes, or the join below
    pg.wantRender = pg.needRender || !pg.token; // the join asked for v 0
    if (shared) this.write({ type: C.T_JOIN, page: pg.name, token: pg.token, v: pg.needRender ? 0 : pg.v });
  }

  private closed(info: CloseInfo): void {
    this.log("closed", info);
    if (this.page) this.page.joined = this.page.live = false;
    this.ev.emit("disconnected", info);
  }

  private receive(data: ServerMessage): void {
    if (typeof data !== "object" || data === null || data instanceof ArrayBuffer) {
      this.report(new LiveTemplateError(C.E_BAD_MESSAGE, "livetemplate: a server message is not a JSON object"));
      return;
    }
    const m = data as Message;
    this.log("recv", m);
    const pg = this.page;
    if (m.type === C.T_ACK) return this.ack(m);
    if (m.type === C.T_PAGE_TOKEN) {
      if (pg && m.token) pg.token = m.token;
      return;
    }
    if (m.type === C.T_PONG) return;
    if (!pg || (m.page ?? "") !== pg.name) return; // a page this client does not hold
    if (!pg.live && (m.type === C.T_RENDER || m.type === C.T_DIFF || m.type === C.T_JOINED)) {
      pg.live = true; // the join succeeded: its catch-up or joined comes
      this.ev.emit("connected", { v: pg.v });
    }
    switch (m.type) {
      case C.T_RENDER:
        if (!m.tree) return;
        try {
          this.apply(pg, () => pg.view.render(m.tree as TreeMessage), m.v ?? 0);
          pg.needRender = pg.wantRender = false;
        } catch (e) {
          this.report(new LiveTemplateError(C.E_BAD_MESSAGE, `livetemplate: a render failed: ${String(e)}`));
        }
        return;
      case C.T_DIFF:
        return this.diff(pg, m);
      case C.T_JOINED:
        pg.joins = Math.max(0, pg.joins - 1);
        if (pg.joins === 0) pg.gap = false;
        if (!pg.wantRender && !pg.needRender && pg.joins === 0 && m.v !== pg.v) this.resync(pg, 0);
        if (!pg.joined) {
          pg.joined = true;
          for (const p of this.outbox.of(pg.name)) if (this.sentOn.get(p.id) !== this.conn) this.sendEvent(p);
        }
        return;
      case C.T_ERROR:
        return this.pageError(pg, m);
    }
  }

  private diff(pg: LivePage, m: Message): void {
    if (m.v !== undefined && m.v <= pg.v) return; // the DOM shows it already: a catch-up that crossed a diff
    if (pg.view.hasTree && !pg.wantRender && m.base === pg.v && m.d) {
      try {
        this.apply(pg, () => pg.view.diff(m.d as DiffMessage), m.v ?? 0);
      } catch (e) {
        this.log("diff failed", e);
        this.resync(pg, 0);
      }
      return;
    }
    if (!pg.view.hasTree) pg.needRender = true;
    if (pg.wantRender || pg.gap) return; // the answer to a resync is on its way
    this.resync(pg, pg.view.hasTree ? pg.v : 0);
  }

  private apply(pg: LivePage, f: () => void, v: number): void {
    f();
    pg.v = v;
    this.busy.refresh();
    this.ev.emit("updated", { v });
  }

  // resync joins the page again from version v: the server answers with what the client lacks.
  private resync(pg: LivePage, v: number): void {
    const m: Record<string, unknown> = { type: C.T_JOIN, token: pg.token, v };
    if (pg.name) m["page"] = pg.name;
    if (!pg.token || !this.write(m)) return;
    pg.joins++;
    if (v === 0) pg.wantRender = true;
    else pg.gap = true;
  }

  private pageError(pg: LivePage, m: Message): void {
    const code = m.code ?? "";
    const e = new LiveTemplateError(code, m.message ?? code);
    if (FATAL.has(code)) return this.stop(e);
    if (code === C.E_RATE_LIMITED || code === C.E_UNAVAILABLE) {
      // A join (or a ping) was refused: join again later; a join of a joined page is harmless.
      if (pg.joins > 0) pg.joins--;
      clearTimeout(pg.retry);
      pg.retry = setTimeout(() => this.resync(pg, pg.needRender ? 0 : pg.v), retryDelay());
    }
    this.report(e);
  }

  private ack(m: Message): void {
    const id = m.id ?? "";
    if (m.ok) return this.settle(id, null);
    const code = m.code ?? "";
    if (code === C.E_NOT_JOINED || code === C.E_RATE_LIMITED || code === C.E_UNAVAILABLE) {
      // Not run: send it again with the same id, after a rejoin or a pause.
      this.sentOn.delete(id);
      const pg = this.page;
      if (!pg) return;
      if (code === C.E_NOT_JOINED) {
        pg.joined = false;
        this.resync(pg, pg.needRender ? 0 : pg.v);
      } else {
        setTimeout(() => {
          const p = this.outbox.of(pg.name).find((x) => x.id === id);
          if (p && pg.joined && this.sentOn.get(id) === undefined) this.sendEvent(p);
        }, retryDelay());
      }
      return;
    }
    this.settle(id, new LiveTemplateError(code, m.message ?? code));
  }

  private settle(id: string, err: LiveTemplateError | null): void {
    const p = this.outbox.take(id);
    this.sentOn.delete(id);
    const el = this.owner.get(id);
    if (el) {
      this.owner.delete(id);
      this.busy.end(el);
    }
    if (!p) return; // a second ack of a resent event
    if (err) {
      this.report(err);
      p.reject(err);
    } else p.resolve();
  }

  // stop ends the client: every event waiting for its ack fails with e.
  private stop(e: LiveTemplateError, report = true): void {
    if (this.stopped) return;
    this.stopped = e;
    const l = this.link;
    this.link = null;
    l?.close();
    this.unbind?.();
    this.unbind = null;
    if (this.page) clearTimeout(this.page.retry);
    for (const p of this.outbox.of(this.page?.name ?? "")) this.settleQuiet(p.id, e);
    if (report) this.report(Object.assign(e, { fatal: true }));
  }

  private settleQuiet(id: string, e: LiveTemplateError): void {
    const p = this.outbox.take(id);
    const el = this.owner.get(id);
    if (el) {
      this.owner.delete(id);
      this.busy.end(el);
    }
    p?.reject(e);
  }

  private report(e: LiveTemplateError): void {
    this.log("error", e.code, e.message);
    this.ev.emit("error", e);
  }

  private log(...args: unknown[]): void {
    if (this.options.debug) console.debug("livetemplate:", ...args);
  }
}

/** About retryAfter, with jitter. */
const retryDelay = () => C.DEFAULTS.retryAfter * (0.5 + Math.random());

/** The options of o that its socket takes, leaving out those not set. */
function connectionOptions(o: ClientOptions): ConnectionOptions {
  const out: ConnectionOptions = {};
  for (const k of CONNECTION) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

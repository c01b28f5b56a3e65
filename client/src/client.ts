// LiveTemplateClient: one live page over a reconnecting connection: the
// browser's shared one (the hub), or its own socket. It joins the page by
// token with the version it holds, applies renders and diffs through the
// page's View, sends events with ids that survive reconnects and leader
// handovers (the outbox) and binds the page's lvt-* attributes.

import { Busy, bind, type EventData } from "./bindings";
import * as C from "./constants";
import { Emitter, type Unsubscribe } from "./emitter";
import type { HookHost } from "./hookhost";
import { hookEnv, hooks, type Hooks } from "./hooks";
import { listen, load, loadChunk, navigate, wsURL } from "./nav";
import { hubFor, type LeaderInfo, type Link, type LinkHandlers, type ServerMessage } from "./hub";
import { LiveTemplateError, Outbox, tabId, type Pending } from "./outbox";
import { createSocket, type CloseInfo, type SocketOptions, type SocketState } from "./socket";
import { exec, prefetch } from "./run";
import { StatusView, type Status } from "./status";
import { joinVersion, step, type Action, type Input, type PageMessage, type PageSync, type SyncState } from "./sync";
import { uploads, type UploadSink } from "./upload";
import type { UploadSpec } from "./uploadspec";
import { View } from "./view";

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
  /** The connection's state as the document shows it (the class lvt-<status> on the root) changed. */
  status: { status: Status };
  /** The page is gone from the server (invalid_token, page_not_found, page_expired, page_evicted): the client stopped, and reloads the document unless the gone option says otherwise. */
  gone: LiveTemplateError;
  /** A live navigation showed the page at url in the root, and joins it on the same connection (connected follows once it is live). */
  navigated: { url: string };
}

interface Message extends PageMessage {
  token?: string;
  name?: string;
  data?: unknown;
  id?: string;
  ok?: boolean;
  retry_after?: number;
  reply?: unknown;
  redirect?: string; // an ack's: the handler sends this tab to the URL, loaded as a document
  navigate?: string; // the same, navigated live
  patch?: string; // the same, staying on the page: a new history entry
  replace?: string; // the same, replacing the history entry
  ref?: string; // an upload answer's
  uploads?: Record<string, UploadSpec>; // joined's: the page's declared uploads
}

/** A live page's connection to the server. */
export class LiveTemplateClient {
  /** Hooks of every client by name (lvt-hook="Name"); one registered after connect mounts at once. */
  static readonly hooks: Hooks = hooks;
  /** Runs client-side commands (a list, or its JSON text) from the element el. */
  static readonly exec = exec;
  readonly options: ClientOptions;
  private readonly ev_ = new Emitter<ClientEvents>();
  private readonly outbox_: Outbox;
  private readonly busy_ = new Busy();
  private readonly owner_ = new Map<string, Element>(); // event id -> element that sent it
  private readonly sentOn_ = new Map<string, number>(); // event id -> connection it was sent on
  private readonly browser_ = tabId();
  private link_: Link | null = null;
  private info_: () => LeaderInfo = () => ({ tab: this.browser_, leader: this.browser_, shared: false, browser: this.browser_, epoch: 0 });
  private conn_ = 0; // connections opened so far
  private sync_: SyncState = {}; // the page's sync (src/sync.ts), under its name
  private name_ = ""; // the page's name on the connection: "" for the default page of its own socket
  private view_: View | null = null;
  private retry_: ReturnType<typeof setTimeout> | undefined; // of a refused join
  private held_: ReturnType<typeof setTimeout> | undefined; // until refused events are sent again; later ones wait behind them
  private refused_ = 0; // refusals since the last ok ack: the resends' backoff
  private url_ = "";
  private unbind_: Unsubscribe | null = null;
  private hookHost_: HookHost | null = null;
  private early_: [string, unknown][] | null = null; // pushes that wait for the hooks' code
  private status_: StatusView | null = null;
  private params_ = false; // the page has a params handler
  private stopped_: LiveTemplateError | null = null;
  private up_: Promise<UploadSink | null> | null = null; // the upload chunk, once the page has an upload input
  private specs_: Record<string, UploadSpec> | undefined;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    this.outbox_ = new Outbox(options.maxPending ?? C.MAX_PENDING);
  }

  /** The connection's state: connecting, open, backoff or closed. */
  get state(): SocketState {
    return this.link_?.state ?? "closed";
  }

  /** The connection's state as the document shows it: connecting, connected, disconnected or error. */
  get status(): Status {
    return this.status_?.status ?? "connecting";
  }

  /** Which tab holds the connection, and whether this page shares it with the browser's other tabs. */
  get leader(): LeaderInfo {
    return this.info_();
  }

  /** The page's token, once known. */
  get token(): string | undefined {
    return this.page_?.token || undefined;
  }

  /** The version of the page that the DOM shows. */
  get version(): number {
    return this.page_?.v ?? 0;
  }

  private get page_(): PageSync | undefined {
    return this.sync_[this.name_];
  }

  /** Listens to one of the {@link ClientEvents}; returns the function that stops listening. */
  on<K extends keyof ClientEvents>(name: K, fn: (arg: ClientEvents[K]) => void): Unsubscribe {
    return this.ev_.on(name, fn);
  }

  /**
   * Connects to the live endpoint at url (ws:, wss:, http:, https: or relative to the page; http
   * becomes ws, and an https page always uses wss). A token in the URL's query is the page's
   * token unless presetToken is set. Calling connect again reconnects at once if the client is
   * waiting to, and otherwise does nothing.
   */
  connect(url: string): void {
    if (this.link_ && this.stopped_ === null) {
      this.link_.connect();
      return;
    }
    const u = new URL(wsURL(url));
    const token = this.options.presetToken ?? u.searchParams.get("token") ?? "";
    const own = ["token", "v", "browser", "epoch"];
    for (const k of own) u.searchParams.delete(k);
    // A page per connection is made from the handshake's URL: the document's query goes with it.
    own.push(...u.searchParams.keys());
    if (!token) for (const [k, v] of new URLSearchParams(location.search)) if (!own.includes(k)) u.searchParams.append(k, v);
    this.url_ = u.href;
    this.stopped_ = null;
    const root = this.options.root ?? document.querySelector(C.ROOT) ?? document;
    if (!this.status_) this.status_ = new StatusView(root, this.options.indicator === true);
    this.setStatus_("connecting");
    prefetch(); // the commands' code, in parallel with the connection: here by the first command
    if (this.options.bindings !== false) this.unbind_ = bind(root, (el, name, data) => this.send_(el, name, data));
    if (this.options.nav !== false) {
      listen(
        (url, pop, page) => void this.go_(url, pop, page),
        (url, replace) => void this.patch(url, replace),
      );
    }
    this.attach_(root, token, this.options.version ?? 0, this.options.params === true);
  }

  // attach starts the sync of the page of token in root, whose HTML shows version v; params: the
  // page has a params handler, which is told the URL's query once it is joined.
  private attach_(root: Element | Document, token: string, v: number, params: boolean): void {
    this.view_ = new View(root);
    const shared = this.options.shared !== false && token !== "" && typeof navigator.locks !== "undefined";
    const h = this.handlers_(shared);
    this.sync_ = {};
    this.outbox_.restart(); // a new page: its events are numbered from 1
    if (shared) {
      const hub = hubFor(this.url_, connectionOptions(this.options));
      [this.link_, this.name_] = hub.attach(h); // its open comes in a microtask at the earliest
      this.info_ = () => hub.info();
    }
    this.feed_({ type: "add", name: this.name_, token, v });
    if (!shared) this.link_ = this.solo_(h);
    this.hooks_(root);
    this.params_ = params;
    this.sendParams_();
  }

  /**
   * Changes this tab's URL to url, on the page's origin, without leaving the page: pushes a
   * history entry for it, or replaces the current one, and tells the page's params handler (the
   * params option) the new query. A URL of another origin is not patched; a client that stopped,
   * or cannot load the chunk, loads the document at url instead.
   */
  patch(url: string, replace = false): Promise<void> {
    if (this.stopped_) return Promise.resolve(load(url, 0));
    return loadChunk().then(
      (m) => void (m.patch(url, replace, this.token ?? "") && this.sendParams_()),
      () => load(url, 0),
    );
  }

  // sendParams tells the page's params handler, if it has one, the query of the tab's URL.
  private sendParams_(): void {
    if (this.params_) this.push_(C.PARAMS, location.search.slice(1), null).catch(() => {});
  }

  /**
   * Navigates to url live: fetches its HTML, and when it is a live page of the same endpoint with
   * its token, shows its live root's children and its title in place of this page's, which it
   * leaves, and joins it on the same connection, with a new history entry. Otherwise, or on any
   * error, it loads the document at url. Events of the page left that wait for their acks reject
   * with closed.
   */
  navigate(url: string): Promise<void> {
    return this.go_(new URL(url, location.href).href, 0);
  }

  // go navigates to url; pop: the id of the entry that back or forward showed, 0 for a new one,
  // and page the token of the page it showed: this page's, only its URL changed. Live only on
  // the shared connection (a named page), into a root element.
  private go_(url: string, pop: number, page?: string): Promise<void> {
    if (page && page === this.token && !this.stopped_) {
      this.sendParams_();
      return loadChunk().then((m) => m.popped(pop), () => {});
    }
    const root = this.view_?.root;
    if (this.stopped_ || !this.name_ || !(root instanceof HTMLElement)) return Promise.resolve(load(url, pop));
    return navigate(url, pop, {
      live: this.url_,
      root,
      token: this.token ?? "",
      swap: (nodes, token, v, params) => {
        this.leave_();
        root.replaceChildren(...nodes);
        this.attach_(root, token, v, params);
        this.ev_.emit("navigated", { url: location.href });
      },
    });
  }

  // leave leaves the page on the server and ends what was of it here.
  private leave_(): void {
    for (const p of this.outbox_.of(this.name_)) this.settle_(p.id, new LiveTemplateError(C.E_CLOSED, "livetemplate: page left"), true);
    this.link_?.close();
    this.hookHost_?.close();
    this.hookHost_ = this.early_ = null;
    clearTimeout(this.retry_);
    this.endUploads_();
  }

  // hooks makes the hooks' host of root once their code, in the chunk, is here; the server's
  // pushes to them wait for it meanwhile.
  private hooks_(root: Element | Document): void {
    this.early_ = [];
    loadChunk().then(
      (c) => {
        if (this.view_?.root !== root || this.hookHost_ || !this.early_) return;
        const h = (this.hookHost_ = c.hookHost(hookEnv, root, this, this.options.hooks));
        for (const [n, d] of this.early_) h.push(n, d);
        this.early_ = null;
      },
      () => {},
    );
  }

  // uploads starts the upload chunk once the page has an upload input; a failed load is tried again later.
  // Only a page whose joined declared uploads looks for one: this runs after every patch.
  private uploads_(): void {
    const root = this.view_?.root;
    if (this.up_ || !root || !this.specs_) return;
    const up = (this.up_ = uploads({ root, specs: () => this.specs_, send: (m) => this.write_(m) }));
    void up?.then((u) => u || this.up_ !== up || (this.up_ = null));
  }

  private endUploads_(): void {
    void this.up_?.then((u) => u?.close());
    this.up_ = null;
    this.specs_ = undefined;
  }

  private handlers_(shared: boolean): LinkHandlers {
    return {
      open: () => this.opened_(shared),
      message: (m) => this.receive_(m),
      close: (info) => this.closed_(info),
      state: (st, delay, attempt) => {
        this.log_("state", st, delay);
        if (st === "backoff") this.ev_.emit("reconnecting", { attempt, delay });
        if (st === "closed" && !shared && this.stopped_ === null) this.stop_(new LiveTemplateError(C.E_REPLACED, "livetemplate: replaced"));
      },
      leader: () => this.ev_.emit("leader", this.info_()),
      pending: () => this.outbox_.size > 0 || (this.page_?.joins ?? 0) > 0,
    };
  }

  // solo opens this client's own socket, which joins the page by the URL's token.
  private solo_(h: LinkHandlers): Link {
    const key = tabId(24);
    const s = createSocket({
      ...connectionOptions(this.options),
      url: () => this.socketURL_(),
      // Its own credential and epoch 0: its next connection replaces a half-open one at once.
      protocols: ["livetemplate", `livetemplate.fence.${this.browser_}.${key}.0`],
      reconnect: (info) => info.code !== C.CLOSE_REPLACED,
      autoConnect: false,
      maxQueue: 0,
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
   * Sends the event name with data to the page's handler; the promise resolves on its ack, with
   * the handler's reply (undefined when it gives none), or
   * rejects with a {@link LiveTemplateError} with the server's code (handler_error, unknown_event,
   * ...), or outbox_full when maxPending events wait for their acks. An event that is not
   * acknowledged before the connection drops is sent again, with the same id, after the
   * reconnect: the server runs its handler once.
   */
  pushEvent(name: string, data?: unknown): Promise<unknown> {
    return this.push_(name, data, null);
  }

  /** Closes the connection for good; events without an ack are rejected with code closed. */
  close(): void {
    this.stop_(new LiveTemplateError(C.E_CLOSED, "livetemplate: closed"), false);
  }

  private send_(el: Element, name: string, data: EventData): void {
    this.push_(name, data, el).catch(() => {}); // failures are reported by the error event
  }

  private push_(name: string, data: unknown, el: Element | null): Promise<unknown> {
    if (this.stopped_) return Promise.reject(this.stopped_); // announced once, when the client stopped
    let p: Pending;
    let promise: Promise<unknown>;
    try {
      [p, promise] = this.outbox_.add(this.name_, name, data);
    } catch (e) {
      this.report_(e as LiveTemplateError);
      return Promise.reject(e);
    }
    if (el) {
      this.owner_.set(p.id, el);
      this.busy_.start(el);
    }
    if (this.page_?.phase === "joined" && this.held_ === undefined) this.sendEvent_(p);
    return promise;
  }

  private sendEvent_(p: Pending): void {
    const m: Record<string, unknown> = { type: C.T_EVENT, id: p.id, seq: p.seq, name: p.name };
    if (p.page) m["page"] = p.page;
    if (p.data !== undefined) m["data"] = p.data;
    if (this.write_(m)) this.sentOn_.set(p.id, this.conn_);
  }

  private write_(m: object): boolean {
    this.log_("send", m);
    return this.link_?.send(m) ?? false;
  }

  // socketURL is the URL of the next connection: the default page's token and version.
  private socketURL_(): string {
    const u = new URL(this.url_);
    const pg = this.page_;
    if (pg?.token) {
      u.searchParams.set("token", pg.token);
      u.searchParams.set("v", String(joinVersion(pg)));
    }
    return u.href;
  }

  // opened starts a connection: a solo socket's URL joined the page; on the shared one, the
  // client joins it.
  private opened_(shared: boolean): void {
    this.conn_++;
    clearTimeout(this.retry_);
    this.feed_({ type: "open", shared });
  }

  private closed_(info: CloseInfo): void {
    this.log_("closed", info);
    clearTimeout(this.retry_);
    this.feed_({ type: "close" });
    if (!this.stopped_) this.setStatus_("disconnected");
    this.ev_.emit("disconnected", info);
    this.hookHost_?.down();
  }

  private receive_(data: ServerMessage): void {
    if (typeof data !== "object" || data === null || data instanceof ArrayBuffer) {
      this.report_(new LiveTemplateError(C.E_BAD_MESSAGE, "livetemplate: not JSON"));
      return;
    }
    const m = data as Message;
    this.log_("recv", m);
    if (m.type === C.T_ACK) this.ack_(m);
    else if (m.type === C.T_PAGE_TOKEN) m.token && this.feed_({ type: "token", token: m.token });
    else if (m.type === C.T_DEV) (m.page ?? "") === this.name_ && this.dev_(m);
    else if (m.type === C.T_UPLOAD || (m.type === C.T_ERROR && m.ref)) void this.up_?.then((u) => u?.frame(m));
    else if (m.type !== C.T_PONG) {
      if (m.type === C.T_JOINED) {
        this.specs_ = m.uploads;
        this.uploads_(); // a page loaded without data-version is connected before its joined
      }
      this.feed_({ type: "message", m: m as PageMessage & { type: string } });
    }
  }

  // dev hands a development mode message to dev.ts, which is in the chunk: the chunk's
  // promise keeps the messages' order.
  private dev_(m: object): void {
    const url = this.url_;
    loadChunk().then((c) => c.dev(url, m), () => {});
  }

  // feed steps the page's sync and carries out its actions.
  private feed_(input: Input): void {
    const [s, acts] = step(this.sync_, input);
    this.sync_ = s;
    for (const a of acts) this.act_(a);
  }

  private act_(a: Action): void {
    switch (a.do) {
      case "join":
        this.write_({ type: C.T_JOIN, ...(a.name ? { page: a.name } : {}), token: a.token, v: a.v });
        return;
      case "connected":
        this.setStatus_("connected");
        this.ev_.emit("connected", { v: a.v });
        this.uploads_();
        void this.up_?.then((u) => u?.connected());
        return this.hookHost_?.up(a.missed);
      case "render":
      case "diff":
        return this.apply_(a);
      case "resend":
        clearTimeout(this.held_);
        this.held_ = undefined;
        for (const p of this.outbox_.of(a.name)) if (this.sentOn_.get(p.id) !== this.conn_) this.sendEvent_(p);
        return;
      case "retry":
        clearTimeout(this.retry_);
        this.retry_ = setTimeout(() => this.feed_({ type: "retry", name: a.name }), retryDelay());
        return;
      case "idle":
        idle(() => this.feed_({ type: "idle", name: a.name }));
        return;
      case "push":
        return this.hookHost_ ? this.hookHost_.push(a.event, a.data) : void this.early_?.push([a.event, a.data]);
      case "error":
        return this.report_(new LiveTemplateError(a.code, a.message));
      case "stop":
        return this.stop_(new LiveTemplateError(a.code, a.message));
    }
  }

  // apply shows a render or a diff in the view.
  private apply_(a: Extract<Action, { do: "render" | "diff" }>): void {
    const view = this.view_;
    if (!view) return;
    try {
      if (a.do === "render") view.render(a.tree);
      else view.diff(a.d);
    } catch (e) {
      this.log_(a.do, "failed", e);
      if (a.do === "render") this.report_(new LiveTemplateError(C.E_BAD_MESSAGE, `livetemplate: render: ${String(e)}`));
      this.feed_({ type: "failed", name: a.name, render: a.do === "render" });
      return;
    }
    this.busy_.refresh();
    this.uploads_();
    this.status_?.show();
    this.ev_.emit("updated", { v: a.v });
  }

  private ack_(m: Message): void {
    const id = m.id ?? "";
    if (m.ok) {
      this.refused_ = 0;
      // The handler sends this tab elsewhere, once (a resend's ack says it again): to a path or
      // an http(s) URL only, and a patch on this origin only, as the server checks too.
      const to = m.navigate ?? m.redirect;
      const patch = m.patch ?? m.replace;
      if (!this.settle_(id, null, false, m.reply)) return;
      if (patch) void this.patch(patch, m.replace !== undefined);
      else if (to && /^https?:$/.test(new URL(to, location.href).protocol)) {
        if (m.navigate) void this.navigate(to);
        else load(to, 0);
      }
      return;
    }
    const code = m.code ?? "";
    if (code === C.E_NOT_JOINED || code === C.E_RATE_LIMITED || code === C.E_UNAVAILABLE) {
      // Not run: send it again with the same id, after a rejoin or a pause.
      this.hold_(id, m.retry_after ?? 0);
      if (code === C.E_NOT_JOINED) this.feed_({ type: "not_joined", name: this.name_ });
      return;
    }
    this.settle_(id, new LiveTemplateError(code, m.message ?? code));
  }

  // hold marks the refused event id and the page's later ones as not sent (the server refuses those
  // too, to keep their order), and sends them again in order after the server's retry_after (ms),
  // or a backoff that doubles with each refusal, with jitter; new events wait behind them.
  private hold_(id: string, retryAfter: number): void {
    const all = this.outbox_.of(this.name_);
    const from = all.find((p) => p.id === id)?.seq ?? Infinity;
    for (const p of all) if (p.seq >= from) this.sentOn_.delete(p.id);
    if (this.held_ !== undefined) return;
    const wait = Math.max(retryAfter, Math.min(C.RETRY_AFTER * 5, C.RETRY_BASE * 2 ** this.refused_++));
    this.held_ = setTimeout(() => {
      this.held_ = undefined;
      if (this.page_?.phase !== "joined") return; // the join's resend sends them
      for (const p of this.outbox_.of(this.name_)) if (this.sentOn_.get(p.id) === undefined) this.sendEvent_(p);
    }, wait * (1 + Math.random() / 2));
  }

  // settle ends the wait of event id: resolved with reply, or rejected with err, which is reported
  // unless quiet; false when it was not waiting.
  private settle_(id: string, err: LiveTemplateError | null, quiet = false, reply?: unknown): boolean {
    const p = this.outbox_.take(id);
    this.sentOn_.delete(id);
    const el = this.owner_.get(id);
    if (el) {
      this.owner_.delete(id);
      this.busy_.end(el);
    }
    if (!p) return false; // a second ack of a resent event
    if (!err) p.resolve(reply);
    else {
      if (!quiet) this.report_(err);
      p.reject(err);
    }
    return true;
  }

  // stop ends the client: every event waiting for its ack fails with e.
  private stop_(e: LiveTemplateError, report = true): void {
    if (this.stopped_) return;
    this.stopped_ = e;
    const l = this.link_;
    this.link_ = null;
    l?.close();
    this.unbind_?.();
    this.unbind_ = null;
    this.hookHost_?.close();
    this.hookHost_ = this.early_ = null;
    this.endUploads_();
    clearTimeout(this.retry_);
    clearTimeout(this.held_);
    this.held_ = undefined;
    for (const p of this.outbox_.of(this.name_)) this.settle_(p.id, e, true);
    this.setStatus_(e.code === C.E_CLOSED ? "disconnected" : "error");
    if (report) this.report_(Object.assign(e, { fatal: true }));
    if (C.GONE.includes(e.code)) this.gone_(e);
  }

  // gone tells the page that its page is gone from the server, and by default reloads the document.
  private gone_(e: LiveTemplateError): void {
    this.ev_.emit("gone", e);
    const g = this.options.gone ?? "reload";
    if (typeof g === "function") g(e);
    else if (g === "reload") loadChunk().then((c) => c.reloadOnce(), () => {}); // its code is in the chunk, loaded since connect
  }

  private setStatus_(s: Status): void {
    if (this.status_?.set(s)) this.ev_.emit("status", { status: s });
  }

  private report_(e: LiveTemplateError): void {
    this.log_("error", e.code, e.message);
    this.ev_.emit("error", e);
  }

  private log_(...args: unknown[]): void {
    if (this.options.debug) console.debug("livetemplate:", ...args);
  }
}

/** Calls fn once the connection has had its quiet time after a join, when the browser is idle. */
const idle = (fn: () => void) => setTimeout(() => (self.requestIdleCallback ?? setTimeout)(() => fn()), C.TREE_AFTER);

/** About retryAfter, with jitter. */
const retryDelay = () => C.RETRY_AFTER * (0.5 + Math.random());

/** The options of o that are set, for its socket, which takes those it knows. */
const connectionOptions = (o: ClientOptions): ConnectionOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// The hub: one server connection for every tab of a browser. Each tab has
// one hub per live endpoint; the hub of the tab that holds the leader lock
// owns the WebSocket, and every hub talks to it over the tab bus.
//
// Each client's page is joined under a name that starts with its tab's id, so
// the leader routes the server's messages to the tab they are for. The
// leader announces its socket's state with a generation; on every new open
// generation each tab joins its pages again with the versions it holds and
// resends the events still waiting for their acks (ids make that
// exactly-once). A frame meant for an older generation is dropped by the
// leader, since its tab will send it again on the new one.

import { openChannel, type BusMessage, type Channel } from "./bus";
import * as C from "./constants";
import type { Unsubscribe } from "./emitter";
import { createLeaderElector, type LeaderElector } from "./leader";
import { tabId as newTabId } from "./outbox";
import { createSocket, type CloseInfo, type Socket, type SocketOptions, type SocketState } from "./socket";
import { watchTab } from "./tablock";

/** A server message as the client reads it: a JSON object. */
export type ServerMessage = { type?: string; page?: string } & Record<string, unknown>;

/** What a client hears from its link to the server. */
export interface LinkHandlers {
  /** A new connection is ready: join the page. */
  open(): void;
  message(m: ServerMessage): void;
  close(info: CloseInfo): void;
  state(s: SocketState, delay: number, attempt: number): void;
  /** The leading tab changed. */
  leader(): void;
}

/** A client's way to the server: its own socket, or the hub's shared one. */
export interface Link {
  readonly state: SocketState;
  /** Sends a client message if a connection is open; false: it was not sent. */
  send(m: object): boolean;
  /** Connects at once if waiting to. */
  connect(): void;
  /** Detaches: the page is left on the server. */
  close(): void;
}

/** Who leads, as one tab sees it. */
export interface LeaderInfo {
  /** This tab's id. */
  tab: string;
  /** The leading tab's id, or "" while none is known. */
  leader: string;
  /** Whether the tabs share one connection (false without Web Locks, or with shared: false). */
  shared: boolean;
  /** The browser id that the leader's connection gives the server. */
  browser: string;
  /** The leader's epoch: it grows with every handover. */
  epoch: number;
}

// Bus message types of the hub.
const STATE = "lt:state"; // leader -> all: its socket's state
const HELLO = "lt:hello"; // new tab -> all: who leads?
const UP = "lt:up"; // tab -> leader: a client message for the socket
const DOWN = "lt:down"; // leader -> tab: a server message for one of its pages

interface State {
  leader: string;
  epoch: number;
  state: SocketState;
  gen: string; // of the open connection, "" when not open
  delay: number;
  attempt: number;
}
interface Up {
  gen: string;
  m: { type?: string; page?: string };
}

const hubs = new Map<string, Hub>();

/** The hub of this tab for the endpoint at url (a ws: or wss: URL without query). */
export function hubFor(url: string, opts: Partial<SocketOptions>): Hub {
  let h = hubs.get(url);
  if (!h) hubs.set(url, (h = new Hub(url, opts)));
  return h;
}

export class Hub {
  readonly tab = newTabId();
  private readonly bus: Channel;
  private readonly elector: LeaderElector;
  private readonly links = new Map<string, HubLink>(); // page name -> link
  private view: State = { leader: "", epoch: 0, state: "connecting", gen: "", delay: 0, attempt: 0 };
  private n = 0;
  // The leader's own: its socket, generation and what other tabs joined.
  private sock: Socket | null = null;
  private epoch = 0;
  private gen = "";
  private opens = 0;
  private readonly joined = new Map<string, Set<string>>(); // tab -> its page names joined on the socket
  private readonly watching = new Map<string, Unsubscribe>(); // tab -> watch of its lock

  constructor(
    private readonly url: string,
    private readonly opts: Partial<SocketOptions>,
  ) {
    const key = `livetemplate:${url}`;
    this.bus = openChannel({ channel: key, tabId: this.tab });
    this.elector = createLeaderElector({ key, tabId: this.tab });
    this.bus.subscribe<State>(STATE, (m) => this.onState(m.payload));
    this.bus.subscribe<Up>(UP, (m) => this.onUp(m));
    this.bus.subscribe<ServerMessage>(DOWN, (m) => this.dispatch(m.payload));
    this.bus.subscribe(HELLO, (m) => {
      if (!this.sock) return;
      if (this.sock.state === "closed") this.sock.connect(); // its state reaches every tab
      else this.bus.publish(STATE, this.stateOf(), m.from);
    });
    this.elector.on("acquire", () => this.lead());
    this.elector.on("lose", () => this.abdicate());
    addEventListener("pagehide", () => this.suspend());
    addEventListener("pageshow", (e) => {
      if (e.persisted) this.resume();
    });
    // A frozen tab runs no code, so a frozen leader would stall every tab: it hands over first.
    document.addEventListener("freeze", () => this.suspend());
    document.addEventListener("resume", () => this.resume());
    // Talk only once this tab's lock is held: the leader watches it to learn when this tab goes.
    void this.bus.ready.then(() => this.resume());
  }

  /** Attaches a client's page; name is the page's name on the connection. */
  attach(handlers: LinkHandlers): [Link, string] {
    const name = `${this.tab}~${++this.n}`;
    const link = new HubLink(this, name, handlers);
    this.links.set(name, link);
    if (this.view.gen) queueMicrotask(() => this.links.get(name) === link && handlers.open());
    else this.wake();
    return [link, name];
  }

  // wake asks for the connection, which the server closes when no tab has a page joined: the
  // leader opens it again, a follower asks the leader to.
  private wake(): void {
    if (!this.sock) this.bus.publish(HELLO);
    else if (this.sock.state === "closed") this.sock.connect();
  }

  get state(): SocketState {
    return this.view.state;
  }

  info(): LeaderInfo {
    return { tab: this.tab, leader: this.view.leader, shared: true, browser: browserId(), epoch: this.view.epoch };
  }

  /** Sends a client message of one of this tab's pages to the socket; false when none is open. */
  send(m: Up["m"]): boolean {
    if (!this.view.gen) return false;
    if (this.sock) return this.write(this.tab, m);
    this.bus.publish(UP, { gen: this.view.gen, m } satisfies Up, this.view.leader);
    return true;
  }

  connect(): void {
    this.sock?.connect();
  }

  detach(name: string): void {
    if (this.links.delete(name)) this.send({ type: "leave", page: name });
  }

  private resume(): void {
    this.elector.start();
    this.bus.publish(HELLO);
  }

  // suspend ends this tab's part: a leader hands the socket over, a follower leaves its pages.
  private suspend(): void {
    if (!this.sock) for (const name of this.links.keys()) this.send({ type: "leave", page: name });
    this.elector.stop(); // a leader's lose closes its socket
    this.onState({ ...this.view, state: "closed", gen: "" });
  }

  // lead opens the browser's connection, with an epoch above every earlier leader's.
  private lead(): void {
    this.epoch = nextEpoch(this.view.epoch);
    this.joined.clear();
    const s = createSocket({
      ...this.opts,
      url: () => this.socketURL(),
      reconnect: (info) => info.code !== C.CLOSE_IDLE, // until a tab has a page again
      maxQueue: 0,
      autoConnect: false,
    });
    this.sock = s;
    s.onState((st, delay, attempt) => {
      if (st === "open") this.gen = `${this.epoch}.${++this.opens}`;
      else this.joined.clear();
      this.bus.publish(STATE, { ...this.stateOf(), delay, attempt });
    });
    s.onClose((info) => {
      if (info.code === C.CLOSE_REPLACED) this.epoch = nextEpoch(this.epoch); // fenced: come back above
    });
    s.onMessage((d) => this.route(d as ServerMessage));
    s.connect();
  }

  // abdicate closes the connection of a tab that stopped leading; the next leader opens its own.
  private abdicate(): void {
    const s = this.sock;
    this.sock = null;
    s?.close(1000, "the leading tab left");
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
    this.joined.clear();
  }

  private socketURL(): string {
    const u = new URL(this.url);
    u.searchParams.set("browser", browserId());
    u.searchParams.set("epoch", String(this.epoch));
    return u.href;
  }

  private stateOf(): State {
    const st = this.sock?.state ?? "closed";
    return { leader: this.tab, epoch: this.epoch, state: st, gen: st === "open" ? this.gen : "", delay: 0, attempt: 0 };
  }

  // onState takes a leader's announcement: the links see their connection close and open.
  private onState(st: State): void {
    if (st.epoch < this.view.epoch) return; // from a leader that was replaced
    const was = this.view;
    this.view = st;
    if (was.leader !== st.leader) for (const l of this.links.values()) l.h.leader();
    if (was.gen && was.gen !== st.gen) for (const l of this.links.values()) l.h.close({ code: 1006, reason: "connection lost", wasClean: false });
    for (const l of this.links.values()) l.h.state(st.state, st.delay, st.attempt);
    if (st.gen && st.gen !== was.gen) for (const l of this.links.values()) l.h.open();
    if (st.state === "closed" && this.links.size > 0) this.wake(); // a page attached as the idle connection closed
  }

  private onUp(m: BusMessage<Up>): void {
    if (!this.sock || m.payload.gen !== this.gen) return; // meant for an older connection: its tab resends
    this.write(m.from, m.payload.m);
  }

  // write sends tab's message on the socket, and keeps the names it joined for when it goes.
  private write(tab: string, m: Up["m"]): boolean {
    if (!this.sock?.send(m)) return false;
    if (tab === this.tab || !m.page) return true;
    let names = this.joined.get(tab);
    if (!names) this.joined.set(tab, (names = new Set()));
    if (m.type === "join") names.add(m.page);
    else if (m.type === "leave") names.delete(m.page);
    if (!this.watching.has(tab)) this.watching.set(tab, watchTab(tab, () => this.gone(tab)));
    return true;
  }

  // gone leaves the pages of a tab that closed or crashed without leaving them.
  private gone(tab: string): void {
    this.watching.delete(tab);
    for (const page of this.joined.get(tab) ?? []) this.sock?.send({ type: "leave", page });
    this.joined.delete(tab);
  }

  // route hands a server message to the tab whose page it is about.
  private route(m: ServerMessage): void {
    if (typeof m !== "object" || m === null || typeof m.page !== "string") return;
    const tab = m.page.slice(0, m.page.indexOf("~"));
    if (tab === this.tab) this.dispatch(m);
    else this.bus.publish(DOWN, m, tab);
  }

  private dispatch(m: ServerMessage): void {
    if (typeof m.page === "string") this.links.get(m.page)?.h.message(m);
  }
}

class HubLink implements Link {
  constructor(
    private readonly hub: Hub,
    private readonly name: string,
    readonly h: LinkHandlers,
  ) {}
  get state(): SocketState {
    return this.hub.state;
  }
  send(m: object): boolean {
    return this.hub.send({ ...m, page: this.name });
  }
  connect(): void {
    this.hub.connect();
  }
  close(): void {
    this.hub.detach(this.name);
  }
}

const BROWSER_KEY = "livetemplate:browser";
const EPOCH_KEY = "livetemplate:epoch";
let browser = "";

/** This browser's id, shared by its tabs through localStorage (this tab's own where there is none). */
export function browserId(): string {
  if (!browser) {
    const id = stored(BROWSER_KEY) || newTabId();
    store(BROWSER_KEY, id);
    browser = stored(BROWSER_KEY) || id; // another tab may have stored its id first
  }
  return browser;
}

// nextEpoch is above every epoch this tab saw and every one stored, and at
// least the clock's milliseconds, so that a browser whose storage is gone
// still starts above its connections of an hour ago.
function nextEpoch(seen: number): number {
  const e = Math.max(seen + 1, Number(stored(EPOCH_KEY)) + 1 || 0, Date.now());
  store(EPOCH_KEY, String(e));
  return e;
}

function stored(key: string): string {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

function store(key: string, v: string): void {
  try {
    localStorage.setItem(key, v);
  } catch {
    // storage is off: the tab's own values serve
  }
}

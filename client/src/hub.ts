// The hub: one server connection for every tab of a browser. Each tab has
// one hub per live endpoint; the hub of the tab that holds the leader lock
// owns the WebSocket, and every hub talks to it over the tab bus.
//
// The leader's connection carries the browser's fencing credential for the
// endpoint (a secret key of the browser and endpoint, and the leader's
// epoch) in its subprotocols, never in the URL: the server closes an older
// leader's connection when a newer one opens. A follower whose messages get
// no answer pings the leader on the bus; a leader that does not answer (its
// main thread hangs) is deposed: the follower steals the lock.
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
import { TAB_LOCK, watchTab } from "./tablock";

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
const HELLO = "lt:hello"; // tab -> all: who leads? (A leader waiting to reconnect does so at once.)
const UP = "lt:up"; // tab -> leader: a client message for the socket
const DOWN = "lt:down"; // leader -> tab: a server message for one of its pages
const PING = "lt:ping"; // follower -> leader: are you there?
const PONG = "lt:pong"; // leader -> follower, from the message handler, which a hidden tab does not throttle

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
  private readonly lock: string; // of the leader, and the bus's channel
  private readonly key: string; // the browser's secret for this endpoint, in its fencing credential
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
  private ready = false; // this tab holds its tab lock: it may talk to the leader
  private fenced = false; // the server closed the socket for a newer one (4009): does this tab still lead?
  // A follower's question to the leader, until any message of the leader comes.
  private probe: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly opts: Partial<SocketOptions>,
  ) {
    this.lock = `livetemplate:${url}`;
    this.key = shared(`${KEY_KEY}:${url}`, 24);
    this.bus = openChannel({ channel: this.lock, tabId: this.tab });
    this.elector = createLeaderElector({ key: this.lock, tabId: this.tab });
    this.bus.subscribe<State>(STATE, (m) => {
      this.heard(m.from);
      if (this.ready) this.onState(m.payload);
    });
    this.bus.subscribe<Up>(UP, (m) => this.onUp(m));
    this.bus.subscribe<ServerMessage>(DOWN, (m) => {
      this.heard(m.from);
      this.dispatch(m.payload);
    });
    this.bus.subscribe(PING, (m) => this.sock && this.bus.publish(PONG, 0, m.from));
    this.bus.subscribe(PONG, (m) => this.heard(m.from));
    this.bus.subscribe(HELLO, (m) => {
      const st = this.sock?.state;
      if (st === "backoff" || (st === "closed" && !this.fenced)) this.sock!.connect(); // its state reaches every tab
      else if (st) this.bus.publish(STATE, this.stateOf(), m.from);
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
    // Talk only once this tab's lock is held: the leader watches it to learn when this tab goes,
    // and would take a tab that joins before for gone, and leave its pages.
    void this.bus.ready.then(() => {
      this.ready = true;
      this.resume();
    });
    // A tab that comes back, or a network that does, ends the leader's wait to reconnect.
    addEventListener("online", () => this.bus.publish(HELLO));
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && this.bus.publish(HELLO));
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
    if (!this.ready) return; // it says hello once it is
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
    const v = this.view;
    if (!v.gen) return false;
    if (v.leader === this.tab) return this.write(this.tab, m);
    this.bus.publish(UP, { gen: v.gen, m } satisfies Up, v.leader);
    if (m.type !== "leave") this.ask(v.leader); // it is answered: is the leader there to pass it on?
    return true;
  }

  // ask pings leader, unless a ping is out: a leader that answers no message of its within
  // leaderTimeout hangs, and this tab takes the lead from it.
  private ask(leader: string): void {
    if (this.probe !== undefined) return;
    this.bus.publish(PING, 0, leader);
    const at = Date.now();
    this.probe = setTimeout(() => {
      this.probe = undefined;
      if (leader !== this.view.leader || this.sock) return; // another tab leads by now
      // A timer this late tells of this tab's own thread or timers held up: ask again.
      if (Date.now() - at > 2 * C.DEFAULTS.leaderTimeout) this.ask(leader);
      else this.elector.steal();
    }, C.DEFAULTS.leaderTimeout);
  }

  // heard takes any message of the leader as its answer.
  private heard(from: string): void {
    if (from !== this.view.leader) return;
    clearTimeout(this.probe);
    this.probe = undefined;
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
    this.epoch = this.nextEpoch(this.view.epoch);
    this.joined.clear();
    this.fenced = false;
    const s = createSocket({
      ...this.opts,
      url: this.url,
      protocols: () => ["livetemplate", `livetemplate.fence.${browserId()}.${this.key}.${this.epoch}`],
      // Closed by the server: for want of a page (until a tab has one again), or for a newer
      // connection of this browser (which may be this tab's successor's).
      reconnect: (info) => info.code !== C.CLOSE_IDLE && info.code !== C.CLOSE_REPLACED,
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
      if (info.code === C.CLOSE_REPLACED) this.fence(s, info.reason);
    });
    s.onMessage((d) => this.route(d as ServerMessage));
    s.connect();
  }

  // fence handles the server's close of socket s for a newer connection of this browser: a tab
  // that another one deposed stops; one that still holds the lock (the newer connection was not
  // a tab's of this browser, or a leader the server still held had a higher epoch) comes back
  // above the open connection's epoch, which the server gives when it refuses a connection.
  private fence(s: Socket, reason: string): void {
    this.fenced = true;
    const open = Number(/epoch (\d+)/.exec(reason)?.[1] ?? 0);
    void leads(this.lock, this.tab).then((yes) => {
      if (!yes || this.sock !== s) return;
      this.fenced = false;
      this.epoch = this.nextEpoch(Math.max(this.epoch, open));
      s.connect();
    });
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

  // nextEpoch is above seen and above every epoch stored for this endpoint.
  private nextEpoch(seen: number): number {
    const k = `${EPOCH_KEY}:${this.url}`;
    const e = Math.min(Number.MAX_SAFE_INTEGER, Math.max(seen, Number(stored(k)) || 0) + 1);
    store(k, String(e));
    return e;
  }

  private stateOf(): State {
    const st = this.sock?.state ?? "closed";
    return { leader: this.tab, epoch: this.epoch, state: st, gen: st === "open" ? this.gen : "", delay: 0, attempt: 0 };
  }

  // onState takes a leader's announcement: the links see their connection close and open.
  private onState(st: State): void {
    if (st.epoch < this.view.epoch) return; // from a leader that was replaced
    if (this.sock && st.leader !== this.tab && st.epoch > this.epoch) this.abdicate(); // deposed while it hung
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
const KEY_KEY = "livetemplate:key";
const EPOCH_KEY = "livetemplate:epoch";
let browser = "";

/** This browser's public id, shared by its tabs through localStorage (this tab's own where there is none). */
export function browserId(): string {
  return (browser ||= shared(BROWSER_KEY, 12));
}

// shared returns the value stored under key, storing a new random one of n characters first
// when there is none; another tab may store its own first, which wins.
function shared(key: string, n: number): string {
  const id = stored(key) || newTabId(n);
  store(key, id);
  return stored(key) || id;
}

// leads asks the browser whether this tab (whose tab lock is held) holds the lock key.
async function leads(key: string, tab: string): Promise<boolean> {
  const s = await navigator.locks.query();
  const me = s.held?.find((l) => l.name === TAB_LOCK + tab)?.clientId;
  return me !== undefined && !!s.held?.some((l) => l.name === key && l.clientId === me);
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

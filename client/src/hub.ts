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
// the leader routes the server's messages to the tab they are for. A page
// that several tabs show costs one copy of each change: the leader joins
// the first tab's name as the page's carrier and the others quietly (they
// get the answers to their own joins and events only), and hands every
// diff and push of the carrier to all the tabs that show the page, in one
// bus message. When the carrier's tab leaves, another name becomes the
// carrier before it goes. The
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
  /** Whether the page waits for an answer of the server: an ack, or a join's. */
  pending(): boolean;
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
const DOWN = "lt:down"; // leader -> a tab, or all: a server message for the pages named (a diff or push of a page that several tabs show)
const PING = "lt:ping"; // follower -> leader: are you there?
const PONG = "lt:pong"; // leader -> follower, from the message handler, which a hidden tab does not throttle

interface State {
  leader: string;
  epoch: number;
  state: SocketState;
  gen: string; // of the open connection, "" when not open
  delay: number;
  attempt: number;
  close?: CloseInfo; // how the leader's last connection ended, when it ended
}
interface Up {
  gen: string;
  m: { type?: string; page?: string; token?: string; v?: number; quiet?: boolean };
}
// A DOWN message: m, for each of the pages named.
interface Fan {
  m: ServerMessage;
  names: string[];
}

// What the leader knows of a name joined on its socket: the page's token, the tab, the version
// it handed on last, and the joins not answered yet (while there are, the tab takes only the
// diffs that follow what it holds: the rest would look like a gap before its catch-up came).
interface Shown {
  tab: string;
  token: string;
  v: number;
  joins: number;
}

// The ref of the join that makes a name the carrier of its page: its answers are the hub's.
const CARRY = "~carry";

/** A page's link: a Link to the hub, with the page's handlers. */
type HubLink = Link & { readonly h: LinkHandlers };

const hubs = new Map<string, Hub>();

/** The hub of this tab for the endpoint at url (a ws: or wss: URL without query). */
export function hubFor(url: string, opts: Partial<SocketOptions>): Hub {
  let h = hubs.get(url);
  if (!h) hubs.set(url, (h = new Hub(url, opts)));
  return h;
}

export class Hub {
  readonly tab = newTabId();
  private readonly lock_: string; // of the leader, and the bus's channel
  private readonly key_: string; // the browser's secret for this endpoint, in its fencing credential
  private readonly bus_: Channel;
  private readonly elector_: LeaderElector;
  private readonly links_ = new Map<string, HubLink>(); // page name -> link
  private view_: State = { leader: "", epoch: 0, state: "connecting", gen: "", delay: 0, attempt: 0 };
  private n_ = 0;
  // The leader's own: its socket, generation and what other tabs joined.
  private sock_: Socket | null = null;
  private epoch_ = 0;
  private gen_ = "";
  private opens_ = 0;
  private readonly shown_ = new Map<string, Shown>(); // page name -> its join on the socket
  private readonly carrier_ = new Map<string, string>(); // token -> the name joined loud: it gets the page's diffs and pushes
  private readonly watching_ = new Map<string, Unsubscribe>(); // tab -> watch of its lock
  private ready_ = false; // this tab holds its tab lock: it may talk to the leader
  private fenced_ = false; // the server closed the socket for a newer one (4009): does this tab still lead?
  // While a follower waits for answers: the leader's silence, which ends at its next message.
  private silent_: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url_: string,
    private readonly opts_: Partial<SocketOptions>,
  ) {
    this.lock_ = `livetemplate:${url_}`;
    this.key_ = shared(`${KEY_KEY}:${url_}`, 24);
    this.bus_ = openChannel({ channel: this.lock_, tabId: this.tab });
    this.elector_ = createLeaderElector({ key: this.lock_, tabId: this.tab });
    this.bus_.subscribe<State>(STATE, (m) => {
      this.heard_(m.from);
      if (this.ready_) this.onState_(m.payload);
    });
    this.bus_.subscribe<Up>(UP, (m) => this.onUp_(m));
    this.bus_.subscribe<Fan>(DOWN, (m) => {
      this.heard_(m.from);
      if (m.from !== this.tab) for (const page of m.payload.names) this.dispatch_({ ...m.payload.m, page });
    });
    this.bus_.subscribe(PING, (m) => this.sock_ && this.bus_.publish(PONG, 0, m.from));
    this.bus_.subscribe(PONG, (m) => this.heard_(m.from));
    this.bus_.subscribe(HELLO, (m) => {
      const st = this.sock_?.state;
      if (st === "backoff" || (st === "closed" && !this.fenced_)) this.sock_!.connect(); // its state reaches every tab
      else if (st) this.bus_.publish(STATE, this.stateOf_(), m.from);
    });
    this.elector_.on("acquire", () => this.lead_());
    this.elector_.on("lose", () => this.abdicate_());
    addEventListener("pagehide", () => this.suspend_());
    addEventListener("pageshow", (e) => {
      if (e.persisted) this.resume_();
    });
    // A frozen tab runs no code, so a frozen leader would stall every tab: it hands over first.
    document.addEventListener("freeze", () => this.suspend_());
    document.addEventListener("resume", () => this.resume_());
    // Talk only once this tab's lock is held: the leader watches it to learn when this tab goes,
    // and would take a tab that joins before for gone, and leave its pages.
    void this.bus_.ready.then(() => {
      this.ready_ = true;
      this.resume_();
    });
    // A tab that comes back, or a network that does, ends the leader's wait to reconnect.
    addEventListener("online", () => this.bus_.publish(HELLO));
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && this.bus_.publish(HELLO));
  }

  /** Attaches a client's page; name is the page's name on the connection. */
  attach(handlers: LinkHandlers): [Link, string] {
    const name = `${this.tab}~${++this.n_}`;
    const hub = this;
    const link: HubLink = {
      h: handlers,
      get state() {
        return hub.state;
      },
      send: (m) => this.send({ ...m, page: name }),
      connect: () => this.connect(),
      close: () => this.detach(name),
    };
    this.links_.set(name, link);
    if (this.view_.gen) queueMicrotask(() => this.links_.get(name) === link && handlers.open());
    else this.wake_();
    return [link, name];
  }

  // wake asks for the connection, which the server closes when no tab has a page joined: the
  // leader opens it again, a follower asks the leader to.
  private wake_(): void {
    if (!this.ready_) return; // it says hello once it is
    if (!this.sock_) this.bus_.publish(HELLO);
    else if (this.sock_.state === "closed") this.sock_.connect();
  }

  get state(): SocketState {
    return this.view_.state;
  }

  info(): LeaderInfo {
    return { tab: this.tab, leader: this.view_.leader, shared: true, browser: browserId(), epoch: this.view_.epoch };
  }

  /** Sends a client message of one of this tab's pages to the socket; false when none is open. */
  send(m: Up["m"]): boolean {
    const v = this.view_;
    if (!v.gen) return false;
    if (v.leader === this.tab) return this.write_(this.tab, m);
    this.bus_.publish(UP, { gen: v.gen, m } satisfies Up, v.leader);
    if (m.type !== "leave" && this.silent_ === undefined) this.watch_(); // it is answered: is the leader there to pass it on?
    return true;
  }

  // watch_ times the leader's silence while this tab waits for answers: a leader silent for
  // LEADER_TIMEOUT is pinged, and one silent LEADER_CONFIRM more hangs: this tab takes the lead
  // from it. Any message of the leader starts the silence again; nothing left to wait for ends
  // the watch.
  private watch_(asked = false): void {
    clearTimeout(this.silent_);
    const leader = this.view_.leader;
    this.silent_ = setTimeout(
      () => {
        this.silent_ = undefined;
        if (this.sock_ || ![...this.links_.values()].some((l) => l.h.pending())) return;
        if (leader !== this.view_.leader) this.watch_(); // another tab leads: it gets its own time
        else if (asked) this.elector_.steal();
        else {
          this.bus_.publish(PING, 0, leader);
          this.watch_(true);
        }
      },
      asked ? C.LEADER_CONFIRM : C.LEADER_TIMEOUT,
    );
  }

  // heard_ takes any message of the leader as a sign of life.
  private heard_(from: string): void {
    if (from === this.view_.leader && this.silent_ !== undefined) this.watch_();
  }

  connect(): void {
    this.sock_?.connect();
  }

  detach(name: string): void {
    if (this.links_.delete(name)) this.send({ type: "leave", page: name });
  }

  private resume_(): void {
    this.elector_.start();
    this.bus_.publish(HELLO);
  }

  // suspend ends this tab's part: a leader hands the socket over, a follower leaves its pages.
  private suspend_(): void {
    if (!this.sock_) for (const name of this.links_.keys()) this.send({ type: "leave", page: name });
    this.elector_.stop(); // a leader's lose closes its socket
    this.onState_({ ...this.view_, state: "closed", gen: "" });
  }

  // lead opens the browser's connection, with an epoch above every earlier leader's.
  private lead_(): void {
    this.epoch_ = this.nextEpoch_(this.view_.epoch);
    this.forget_();
    this.fenced_ = false;
    const s = createSocket({
      ...this.opts_,
      url: this.url_,
      protocols: () => ["livetemplate", `livetemplate.fence.${browserId()}.${this.key_}.${this.epoch_}`],
      // Closed by the server: for want of a page (until a tab has one again), or for a newer
      // connection of this browser (which may be this tab's successor's).
      reconnect: (info) => info.code !== C.CLOSE_IDLE && info.code !== C.CLOSE_REPLACED,
      maxQueue: 0,
      autoConnect: false,
    });
    this.sock_ = s;
    let close: CloseInfo | undefined; // of the connection that ended last: every tab hears the server's code
    s.onState((st, delay, attempt) => {
      if (st === "open") {
        this.gen_ = `${this.epoch_}.${++this.opens_}`;
        close = undefined;
      } else this.forget_();
      this.bus_.publish(STATE, { ...this.stateOf_(), delay, attempt, ...(close && { close }) });
    });
    s.onClose((info) => {
      close = info;
      if (info.code === C.CLOSE_REPLACED) this.fence_(s, info.reason);
    });
    s.onMessage((d) => this.route_(d as ServerMessage));
    s.connect();
  }

  // fence handles the server's close of socket s for a newer connection of this browser: a tab
  // that another one deposed learns it meanwhile (its lose comes, which closes s for good); one
  // that still leads (the newer connection was not a tab's of this browser, or a leader the
  // server still held had a higher epoch) comes back above the open connection's epoch, which
  // the server gives when it refuses a connection.
  private fence_(s: Socket, reason: string): void {
    this.fenced_ = true;
    const open = Number(/epoch (\d+)/.exec(reason)?.[1] ?? 0);
    setTimeout(() => {
      if (this.sock_ !== s || !this.elector_.isLeader()) return;
      this.fenced_ = false;
      this.epoch_ = this.nextEpoch_(Math.max(this.epoch_, open));
      s.connect();
    }, C.RETRY_AFTER);
  }

  // abdicate closes the connection of a tab that stopped leading; the next leader opens its own.
  private abdicate_(): void {
    const s = this.sock_;
    this.sock_ = null;
    s?.close(1000, "the leading tab left");
    for (const stop of this.watching_.values()) stop();
    this.watching_.clear();
    this.forget_();
  }

  // nextEpoch is above seen and above every epoch stored for this endpoint.
  private nextEpoch_(seen: number): number {
    const k = `${EPOCH_KEY}:${this.url_}`;
    const e = Math.min(Number.MAX_SAFE_INTEGER, Math.max(seen, Number(stored(k)) || 0) + 1);
    store(k, String(e));
    return e;
  }

  private stateOf_(): State {
    const st = this.sock_?.state ?? "closed";
    return { leader: this.tab, epoch: this.epoch_, state: st, gen: st === "open" ? this.gen_ : "", delay: 0, attempt: 0 };
  }

  // onState takes a leader's announcement: the links see their connection close and open.
  private onState_(st: State): void {
    if (st.epoch < this.view_.epoch) return; // from a leader that was replaced
    if (this.sock_ && st.leader !== this.tab && st.epoch > this.epoch_) this.abdicate_(); // deposed while it hung
    const was = this.view_;
    this.view_ = st;
    if (was.leader !== st.leader) for (const l of this.links_.values()) l.h.leader();
    if (was.gen && was.gen !== st.gen) for (const l of this.links_.values()) l.h.close(st.close ?? { code: 1006, reason: "connection lost", wasClean: false });
    for (const l of this.links_.values()) l.h.state(st.state, st.delay, st.attempt);
    if (st.gen && st.gen !== was.gen) for (const l of this.links_.values()) l.h.open();
    if (st.state === "closed" && this.links_.size > 0) this.wake_(); // a page attached as the idle connection closed
  }

  private onUp_(m: BusMessage<Up>): void {
    if (!this.sock_ || m.payload.gen !== this.gen_) return; // meant for an older connection: its tab resends
    this.write_(m.from, m.payload.m);
  }

  // write sends tab's message on the socket, and keeps the names it joined for when it goes.
  private write_(tab: string, m: Up["m"]): boolean {
    const s = this.sock_;
    if (s?.state !== "open") return false;
    if (m.page && m.type === "join") m = this.join_(tab, m.page, m);
    else if (m.page && m.type === "leave") this.leave_(m.page);
    if (!s.send(m)) return false;
    if (tab !== this.tab && m.page && !this.watching_.has(tab)) this.watching_.set(tab, watchTab(tab, () => this.gone_(tab)));
    return true;
  }

  // join notes the join of name by tab: the first name of a page carries it, the others are quiet.
  private join_(tab: string, name: string, m: Up["m"]): Up["m"] {
    const token = m.token ?? "";
    let s = this.shown_.get(name);
    if (!s) this.shown_.set(name, (s = { tab, token, v: 0, joins: 0 }));
    s.v = m.v ?? 0;
    s.joins++;
    const c = this.carrier_.get(token) ?? name;
    this.carrier_.set(token, c);
    return c === name ? m : { ...m, quiet: true };
  }

  // leave forgets name, which leaves; a carrier first hands its page to another name of it.
  private leave_(name: string): void {
    const s = this.shown_.get(name);
    if (!s) return;
    this.shown_.delete(name);
    this.recarry_(s.token, name);
  }

  // carry makes a name of the page of token its carrier, by a resync without quiet from the
  // version that name was handed last: it gets the diffs from there.
  private carry_(token: string): void {
    if (this.carrier_.has(token)) return;
    for (const [name, s] of this.shown_) {
      if (s.token !== token) continue;
      this.carrier_.set(token, name);
      this.sock_?.send({ type: "join", page: name, token, v: s.v, ref: CARRY });
      return;
    }
  }

  // recarry hands the page of token to another name (or asks again for the carrier join of name,
  // which the server refused) while name carries it.
  private recarry_(token: string, name: string): void {
    if (this.carrier_.get(token) !== name) return;
    this.carrier_.delete(token);
    this.carry_(token);
  }

  // forget drops what the leader knew of the names joined on a connection that ended.
  private forget_(): void {
    this.shown_.clear();
    this.carrier_.clear();
  }

  // gone leaves the pages of a tab that closed or crashed without leaving them.
  private gone_(tab: string): void {
    this.watching_.delete(tab);
    for (const [page, s] of this.shown_) {
      if (s.tab !== tab) continue;
      this.leave_(page);
      this.sock_?.send({ type: "leave", page });
    }
  }

  // route hands a server message to the tab whose page it is about, and a carrier's diffs and
  // pushes (but a push to the sender of an event) to every tab that shows its page.
  private route_(m: ServerMessage): void {
    if (typeof m !== "object" || m === null || typeof m.page !== "string") return;
    const s = this.shown_.get(m.page);
    if (s && this.carrier_.get(s.token) === m.page && (m.type === "diff" || (m.type === "push" && m.id === undefined) || (m.type === "render" && s.joins === 0))) return this.fan_(s.token, m);
    if (s && !this.track_(s, m)) return;
    const tab = s?.tab ?? m.page.slice(0, m.page.indexOf("~"));
    if (tab === this.tab) this.dispatch_(m);
    else this.bus_.publish(DOWN, { m, names: [m.page] } satisfies Fan, tab);
  }

  // track follows the version of a name's page that its tab was handed, and its joins' answers;
  // false: the message is the hub's own (an answer to a carrier's join), for no tab.
  private track_(s: Shown, m: ServerMessage): boolean {
    if (m.ref === CARRY) {
      if (m.type === "error") setTimeout(() => this.recarry_(s.token, m.page!), C.RETRY_AFTER); // refused: again, later
      return false;
    }
    const v = typeof m.v === "number" ? m.v : s.v;
    if (m.type === "render" || m.type === "joined" || (m.type === "diff" && v > s.v)) s.v = v;
    if (m.type === "joined" || (m.type === "error" && s.joins > 0)) s.joins--;
    return true;
  }

  // fan hands a carrier's message to every name of the page of token whose tab takes it: one bus
  // message for all the other tabs, then this tab's own.
  private fan_(token: string, m: ServerMessage): void {
    const names: string[] = [];
    const own: string[] = [];
    for (const [name, s] of this.shown_) {
      if (s.token !== token || !this.takes_(s, m)) continue;
      (s.tab === this.tab ? own : names).push(name);
    }
    if (names.length) this.bus_.publish(DOWN, { m, names } satisfies Fan);
    for (const page of own) this.dispatch_({ ...m, page });
  }

  // takes says whether the tab of s is handed m: a diff only when it shows something newer, and,
  // while a join of the tab waits for its answer, only the diff from the version it holds.
  private takes_(s: Shown, m: ServerMessage): boolean {
    if (m.type === "render" && typeof m.v === "number") s.v = m.v;
    if (m.type !== "diff" || typeof m.v !== "number") return true;
    if (m.v <= s.v || (s.joins > 0 && m.base !== s.v)) return false;
    s.v = m.v;
    return true;
  }

  private dispatch_(m: ServerMessage): void {
    if (typeof m.page === "string") this.links_.get(m.page)?.h.message(m);
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

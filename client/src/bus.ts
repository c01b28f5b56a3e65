// The tab bus: messages between the tabs of one browser over a
// BroadcastChannel. Every message has an id, its sender tab and, optionally,
// the one tab it is for; a publish reaches the sender's own subscribers too,
// so that code written for "all tabs" needs no special case for its own.
//
// Requests ride on top: a request is kept until a responder accepts it (so
// one sent while no tab responds is not lost), and fails with a typed error
// on its deadline, on abort, or when the tab that accepted it goes away
// (closed, crashed or stopped responding) before it answered.

import { E_ABORTED, E_LEADER_CHANGED, E_TIMEOUT } from "./constants";
import { Emitter, type Unsubscribe } from "./emitter";
import { LiveTemplateError, tabId as newTabId } from "./outbox";
import { holdTab, watchTab } from "./tablock";

/** A message on the bus, as subscribers get it. */
export interface BusMessage<T = unknown> {
  /** Unique per message. */
  readonly id: string;
  readonly type: string;
  /** The id of the sending tab. */
  readonly from: string;
  /** The one tab the message is for; absent: every tab. */
  readonly to?: string;
  readonly payload: T;
}

/** Options of {@link createBus}. */
export interface BusOptions {
  /** The BroadcastChannel's name: tabs on the same channel (and origin) talk. */
  channel: string;
  /** This tab's id on the bus; generated when omitted. */
  tabId?: string;
  /**
   * "browser" (default where Web Locks exist): every tab of the origin. "tab": only this tab,
   * which is what a browser without Web Locks gets, where each tab leads itself (see
   * createLeaderElector).
   */
  scope?: "browser" | "tab";
}

/** Options of {@link Bus.request}. */
export interface RequestOptions {
  /** Milliseconds until the request fails with timeout (5,000). */
  timeout?: number;
  /** Aborting it fails the request with aborted. */
  signal?: AbortSignal;
  /** The tab to ask; default: whichever responds first. */
  to?: string;
}

/** Answers a request's payload; a thrown error with a string code reaches the requester with that code. */
export type Responder = (payload: unknown, message: BusMessage) => unknown;

/** The tab bus, made by {@link createBus}. */
export interface Bus {
  /** This tab's id on the bus. */
  readonly tabId: string;
  /** Settles once this tab holds the lock by which other tabs learn that it went away. */
  readonly ready: Promise<void>;
  /** Sends a message to every tab, this one included, or only to the tab `to`. Returns the message's id. */
  publish(type: string, payload?: unknown, to?: string): string;
  /** Calls handler with every message of type; returns the function that stops it. */
  subscribe<T = unknown>(type: string, handler: (message: BusMessage<T>) => void): Unsubscribe;
  /**
   * Asks the tab that responds to type (see respond) and resolves with its answer. Rejects with a
   * {@link LiveTemplateError}: timeout, aborted, leader_changed (the tab that accepted the
   * request closed, crashed or stopped responding first), closed (this bus was closed), or the
   * code of the responder's error.
   */
  request<T = unknown>(type: string, payload?: unknown, options?: RequestOptions): Promise<T>;
  /** Answers the requests of type from every tab, this one included, until the returned function is called. */
  respond(type: string, handler: Responder): Unsubscribe;
  /** Closes the channel: pending requests fail with closed, nothing more is sent or delivered. */
  close(): void;
}

// Internal message types of requests: a request, its acceptance by a
// responder, its answer, a responder's arrival (pending requests are sent
// again) and a responder's departure (its accepted requests fail).
const REQ = "lt:req";
const ACCEPT = "lt:accept";
const REPLY = "lt:reply";
const HERE = "lt:responder";
const GONE = "lt:gone";

interface Request {
  type: string;
  payload: unknown;
  to?: string;
}
interface Reply {
  rid: string;
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}
interface Pending {
  req: Request;
  by?: string; // the tab that accepted it
  unwatch?: Unsubscribe;
  resolve: (v: unknown) => void;
  reject: (e: LiveTemplateError) => void;
  done: () => void;
}

/** The bus without requests: what the client's hub needs, so that the classic script leaves requests out. */
export type Channel = Omit<Bus, "request" | "respond">;

/** Opens the tab bus's channel: publish, subscribe, close (see {@link Bus}). */
export function openChannel(options: BusOptions): Channel {
  const tab = options.tabId ?? newTabId();
  const scope = options.scope ?? (typeof navigator !== "undefined" && navigator.locks ? "browser" : "tab");
  const ch = scope === "browser" && typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(options.channel) : null;
  const ev = new Emitter<Record<string, BusMessage>>();
  const hold = holdTab(tab); // other tabs watch it to learn that this tab went away
  let n = 0;
  let closed = false;

  const deliver = (m: BusMessage) => {
    if (!closed && (m.to === undefined || m.to === tab)) ev.emit(m.type, m);
  };
  if (ch) ch.onmessage = (e: MessageEvent<BusMessage>) => deliver(e.data);

  return {
    tabId: tab,
    ready: hold.held,
    publish(type: string, payload?: unknown, to?: string): string {
      const m: BusMessage = { id: `${tab}.${++n}`, type, from: tab, payload, ...(to === undefined ? {} : { to }) };
      if (closed) return m.id;
      if (to !== tab) ch?.postMessage(m);
      if (to === undefined || to === tab) queueMicrotask(() => deliver(m));
      return m.id;
    },
    subscribe: <T>(type: string, handler: (m: BusMessage<T>) => void) => ev.on(type, handler as (m: BusMessage) => void),
    close() {
      if (closed) return;
      closed = true;
      ch?.close();
      hold.release();
    },
  };
}

/** Makes a tab bus on a BroadcastChannel (see {@link Bus}). */
export function createBus(options: BusOptions): Bus {
  const c = openChannel(options);
  const { publish } = c;
  const pending = new Map<string, Pending>();
  const responders = new Map<string, Responder>();
  const accepted = new Map<string, string>(); // request id -> its type, while its responder runs
  let n = 0;
  let closed = false;

  const fail = (rid: string, code: string, message: string) => {
    const p = pending.get(rid);
    if (!p) return;
    pending.delete(rid);
    p.done();
    p.unwatch?.();
    p.reject(new LiveTemplateError(code, message));
  };

  // Requester side.
  c.subscribe<string>(ACCEPT, (m) => {
    const rid = m.payload;
    const p = pending.get(rid);
    if (!p || p.by !== undefined) return;
    p.by = m.from;
    p.unwatch = watchTab(m.from, () => fail(rid, E_LEADER_CHANGED, "livetemplate: the tab that took the request went away before it answered"));
  });
  c.subscribe<Reply>(REPLY, (m) => {
    const r = m.payload;
    const p = pending.get(r.rid);
    if (!p || (p.by !== undefined && p.by !== m.from)) return;
    pending.delete(r.rid);
    p.done();
    p.unwatch?.();
    if (r.ok) p.resolve(r.value);
    else p.reject(new LiveTemplateError(r.code ?? "error", r.message ?? ""));
  });
  c.subscribe(HERE, (m) => {
    for (const [rid, p] of pending) if (p.by === undefined && (p.req.to ?? m.from) === m.from) publish(REQ, { rid, ...p.req }, m.from);
  });
  c.subscribe(GONE, (m) => {
    for (const [rid, p] of pending) if (p.by === m.from && (m.payload === "" || m.payload === p.req.type)) fail(rid, E_LEADER_CHANGED, "livetemplate: the tab that took the request stopped responding");
  });

  // Responder side.
  c.subscribe<Request & { rid: string }>(REQ, (m) => {
    const { rid, type, payload } = m.payload;
    const h = responders.get(type);
    if (!h || accepted.has(rid)) return;
    accepted.set(rid, type);
    void c.ready.then(() => publish(ACCEPT, rid, m.from));
    const answer = (r: Omit<Reply, "rid">) => {
      if (accepted.delete(rid) && !closed) publish(REPLY, { rid, ...r }, m.from);
    };
    Promise.resolve()
      .then(() => h(payload, m))
      .then(
        (value) => answer({ ok: true, value }),
        (e: unknown) => {
          const err = e as { code?: unknown; message?: unknown };
          answer({ ok: false, code: typeof err?.code === "string" ? err.code : "error", message: String(err?.message ?? e) });
        },
      );
  });

  return {
    ...c,
    request<T>(type: string, payload?: unknown, o: RequestOptions = {}): Promise<T> {
      if (closed) return Promise.reject(new LiveTemplateError("closed", "livetemplate: the bus is closed"));
      if (o.signal?.aborted) return Promise.reject(new LiveTemplateError(E_ABORTED, "livetemplate: the request was aborted"));
      const rid = `${c.tabId}.r${++n}`;
      const timeout = o.timeout ?? 5000;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => fail(rid, E_TIMEOUT, `livetemplate: no answer to "${type}" in ${timeout} ms`), timeout);
        const onAbort = () => fail(rid, E_ABORTED, "livetemplate: the request was aborted");
        o.signal?.addEventListener("abort", onAbort, { once: true });
        const req: Request = { type, payload, ...(o.to === undefined ? {} : { to: o.to }) };
        pending.set(rid, {
          req,
          resolve: resolve as (v: unknown) => void,
          reject,
          done: () => {
            clearTimeout(timer);
            o.signal?.removeEventListener("abort", onAbort);
          },
        });
        publish(REQ, { rid, ...req }, o.to);
      });
    },
    respond(type: string, handler: Responder): Unsubscribe {
      responders.set(type, handler);
      publish(HERE, type);
      return () => {
        if (responders.get(type) !== handler) return;
        responders.delete(type);
        for (const [rid, t] of accepted) if (t === type) accepted.delete(rid);
        publish(GONE, type);
      };
    },
    close() {
      if (closed) return;
      if (responders.size > 0) publish(GONE, "");
      closed = true;
      for (const rid of [...pending.keys()]) fail(rid, "closed", "livetemplate: the bus was closed");
      c.close();
    },
  };
}

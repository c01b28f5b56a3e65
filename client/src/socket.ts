// A reconnecting WebSocket: one socket at a time, reconnects with full-jitter
// exponential backoff, a connect timeout and an application heartbeat that
// finds half-open sockets. Frames sent while it is not open wait in a bounded
// queue; a frame that does not fit, or is still queued at close(), is
// reported to onDrop, never dropped silently.

import { DEFAULTS, T_PING } from "./constants";
import { Emitter, type Unsubscribe } from "./emitter";

/**
 * The states of a socket: `connecting` (a WebSocket is opening), `open`,
 * `backoff` (waiting to reconnect) and `closed` (by close(), or a close the
 * reconnect option refused).
 */
export type SocketState = "connecting" | "open" | "backoff" | "closed";

/** Why a socket closed. */
export interface CloseInfo {
  /** The WebSocket close code (1006 for a lost connection, 4000... for the server's). */
  code: number;
  reason: string;
  wasClean: boolean;
}

/** Options of {@link createSocket}. Times are in milliseconds. */
export interface SocketOptions {
  /** The WebSocket URL (ws: or wss:), or a function called before each connect. */
  url: string | (() => string);
  /** The subprotocols to offer (the WebSocket constructor's second argument), or a function called before each connect. */
  protocols?: string[] | (() => string[]);
  /** First backoff step: the first retry waits a random time up to this (500). */
  backoffBase?: number;
  /** The longest backoff step: retries wait a random time up to this (30,000). */
  backoffMax?: number;
  /** How long a connection must stay open for the backoff to start again from its first step (10,000). */
  stableAfter?: number;
  /** How long a WebSocket may take to open before it is given up and retried (10,000). */
  connectTimeout?: number;
  /** Interval of the heartbeat's pings; 0 turns the heartbeat off (25,000). */
  heartbeat?: number;
  /** How long after a ping a message must arrive, or the socket is closed and reconnected (10,000). */
  pongTimeout?: number;
  /** Whether to reconnect after a close; the default reconnects after every close. */
  reconnect?: (info: CloseInfo) => boolean;
  /** Connect now; default true. */
  autoConnect?: boolean;
  /** How many frames sent while the socket is not open wait for it to open (100); 0 queues none. */
  maxQueue?: number;
}

/** What send() takes: text, binary, or any other value, which is sent as its JSON text. */
export type Frame = string | ArrayBuffer | ArrayBufferView<ArrayBuffer> | Blob;

/** Why a frame was dropped: the queue was full, or the socket was closed while it waited. */
export type DropReason = "queue_full" | "closed";

/** A reconnecting WebSocket, made by {@link createSocket}. */
export interface Socket {
  /** The current state. */
  readonly state: SocketState;
  /** Connects, if not connecting or open already; from backoff, at once. Never makes a second socket. */
  connect(): void;
  /** Closes the socket for good (until connect()): no reconnect. */
  close(code?: number, reason?: string): void;
  /**
   * Sends a frame, or queues it until the socket opens; objects and other values are sent as
   * their JSON text. Returns false when the frame was dropped (onDrop is told why).
   */
  send(data: Frame | object | number | boolean | null): boolean;
  /** Sends a ping now and expects a message within the pong timeout. */
  probe(): void;
  onOpen(fn: () => void): Unsubscribe;
  onClose(fn: (info: CloseInfo) => void): Unsubscribe;
  onError(fn: (ev: Event) => void): Unsubscribe;
  /** Text frames arrive parsed from JSON, or as strings when they are not JSON; binary frames as ArrayBuffers. */
  onMessage(fn: (data: unknown) => void): Unsubscribe;
  /** Called with every frame that send() could not queue or that close() dropped from the queue. */
  onDrop(fn: (data: Frame, reason: DropReason) => void): Unsubscribe;
  /**
   * Called on every change of state. In backoff, delay is the wait before the next connect and
   * attempt the number of retries since the last connection that stayed open for stableAfter.
   */
  onState(fn: (state: SocketState, delay: number, attempt: number) => void): Unsubscribe;
}

interface Events {
  open: undefined;
  close: CloseInfo;
  error: Event;
  message: unknown;
  drop: [Frame, DropReason];
  state: [SocketState, number, number];
}

/** The wait before retry number attempt (from 0): full jitter, up to the cap included. */
export function backoffDelay(attempt: number, base: number, max: number): number {
  return Math.random() * Math.min(max, base * 2 ** Math.min(attempt, 30));
}

/** A text frame's JSON value, or the text itself when it is not JSON. */
function parse(data: string | ArrayBuffer): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/** The frame that send(data) writes. */
function frame(data: unknown): Frame {
  if (typeof data === "string" || data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) return data as Frame;
  return JSON.stringify(data);
}

/** Makes a reconnecting WebSocket (see {@link Socket}). */
export function createSocket(opts: SocketOptions): Socket {
  const o = { ...DEFAULTS, reconnect: () => true, maxQueue: 100, ...opts };
  const queue: Frame[] = [];
  let shut = false; // close() was called, and connect() not since
  const ev = new Emitter<Events>();
  let state: SocketState = "closed";
  let ws: WebSocket | null = null;
  let attempt = 0;
  let openedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined; // connect timeout or backoff
  let beat: ReturnType<typeof setInterval> | undefined;
  let deadline: ReturnType<typeof setTimeout> | undefined; // pong

  const setState = (s: SocketState, delay = 0) => {
    state = s;
    ev.emit("state", [s, delay, attempt]);
  };
  const clearTimers = () => {
    clearTimeout(timer);
    clearInterval(beat);
    clearTimeout(deadline);
    timer = beat = deadline = undefined;
  };

  const connect = () => {
    if (state === "connecting" || state === "open") return;
    shut = false;
    clearTimers();
    const url = typeof o.url === "function" ? o.url() : o.url;
    const s = new WebSocket(url, typeof o.protocols === "function" ? o.protocols() : o.protocols);
    s.binaryType = "arraybuffer";
    ws = s;
    setState("connecting");
    timer = setTimeout(() => lost(s, { code: 1006, reason: "connect timeout", wasClean: false }), o.connectTimeout);
    s.onopen = () => {
      if (s !== ws) return;
      clearTimeout(timer);
      openedAt = Date.now();
      setState("open");
      if (o.heartbeat > 0) beat = setInterval(probe, o.heartbeat);
      for (const f of queue.splice(0)) s.send(f);
      ev.emit("open", undefined);
    };
    s.onmessage = (m: MessageEvent<string | ArrayBuffer>) => {
      if (s !== ws) return;
      clearTimeout(deadline);
      deadline = undefined;
      ev.emit("message", parse(m.data));
    };
    s.onerror = (e) => {
      if (s === ws) ev.emit("error", e);
    };
    s.onclose = (c) => lost(s, { code: c.code, reason: c.reason, wasClean: c.wasClean });
  };

  // lost handles the end of socket s, from the browser or a timeout.
  const lost = (s: WebSocket, info: CloseInfo) => {
    if (s !== ws) return;
    ws = null;
    detach(s);
    clearTimers();
    if (openedAt && Date.now() - openedAt >= o.stableAfter) attempt = 0;
    openedAt = 0;
    ev.emit("close", info);
    if (state === "closed") return; // a close listener closed us
    if (!o.reconnect(info)) {
      setState("closed");
      shut = true;
      for (const f of queue.splice(0)) ev.emit("drop", [f, "closed"]);
      return;
    }
    const delay = backoffDelay(attempt++, o.backoffBase, o.backoffMax);
    setState("backoff", delay);
    if (state === "backoff") timer = setTimeout(connect, delay);
  };

  const detach = (s: WebSocket) => {
    s.onopen = s.onmessage = s.onerror = s.onclose = null;
    if (s.readyState < 2) s.close();
  };

  const probe = () => {
    if (state !== "open" || !ws || deadline !== undefined) return;
    const s = ws;
    s.send(JSON.stringify({ type: T_PING }));
    deadline = setTimeout(() => lost(s, { code: 1006, reason: "no pong", wasClean: false }), o.pongTimeout);
  };

  const wake = () => {
    if (state === "backoff") connect();
    else probe();
  };
  addEventListener("online", wake);
  const onVisible = () => {
    if (document.visibilityState === "visible") wake();
  };
  document.addEventListener("visibilitychange", onVisible);

  const sock: Socket = {
    get state() {
      return state;
    },
    connect,
    close(code = 1000, reason = "") {
      shut = true;
      const s = ws;
      ws = null;
      clearTimers();
      const was = state;
      setState("closed");
      if (s) {
        s.onopen = s.onmessage = s.onerror = s.onclose = null;
        if (s.readyState < 2) s.close(code, reason);
      }
      if (was === "open" || was === "connecting") ev.emit("close", { code, reason, wasClean: true });
      for (const f of queue.splice(0)) ev.emit("drop", [f, "closed"]);
    },
    send(data) {
      const f = frame(data);
      if (state === "open" && ws && ws.readyState === 1) {
        ws.send(f);
        return true;
      }
      const full = shut || queue.length >= o.maxQueue;
      if (!full) queue.push(f);
      else ev.emit("drop", [f, shut ? "closed" : "queue_full"]);
      return !full;
    },
    probe,
    onOpen: (fn) => ev.on("open", fn),
    onClose: (fn) => ev.on("close", fn),
    onError: (fn) => ev.on("error", fn),
    onMessage: (fn) => ev.on("message", fn),
    onDrop: (fn) => ev.on("drop", ([f, r]) => fn(f, r)),
    onState: (fn) => ev.on("state", ([s, d, a]) => fn(s, d, a)),
  };
  if (opts.autoConnect !== false) connect();
  return sock;
}

import { type Unsubscribe } from "./emitter";
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
/** The wait before retry number attempt (from 0): full jitter, up to the cap included. */
export declare function backoffDelay(attempt: number, base: number, max: number): number;
/** Makes a reconnecting WebSocket (see {@link Socket}). */
export declare function createSocket(opts: SocketOptions): Socket;

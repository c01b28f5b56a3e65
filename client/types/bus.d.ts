import { type Unsubscribe } from "./emitter";
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
/** The bus without requests: what the client's hub needs, so that the classic script leaves requests out. */
export type Channel = Omit<Bus, "request" | "respond">;
/** Opens the tab bus's channel: publish, subscribe, close (see {@link Bus}). */
export declare function openChannel(options: BusOptions): Channel;
/** Makes a tab bus on a BroadcastChannel (see {@link Bus}). */
export declare function createBus(options: BusOptions): Bus;

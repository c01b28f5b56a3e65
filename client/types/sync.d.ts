import type { DiffMessage, TreeMessage } from "./view";
/**
 * Where a page is on the current connection:
 * - down: there is no connection.
 * - joining: a join is on its way (or the URL's token joins the page).
 * - live: the join was answered (render, diff or joined): connected was announced. Events wait.
 * - joined: the server said joined: events go out.
 * A page goes down -> joining -> live -> joined; not_joined brings a joined page back to live.
 */
export type Phase = "down" | "joining" | "live" | "joined";
/**
 * What the page asked the server for to catch up, while the answer is on its way:
 * - "": nothing.
 * - base: a join from the version the DOM shows, after a gap: the server sends what it lacks.
 * - tree: a join from 0, for the whole page. It outlives a close: the next connection's join
 *   asks for 0 too.
 */
export type Fetch = "" | "base" | "tree";
/** A server push to the page's hooks. */
export interface Held {
    readonly event: string;
    readonly data: unknown;
}
/** One page's sync. Invariants: phase down has joins 0; fetch base has joins > 0. */
export interface PageSync {
    readonly name: string;
    readonly token: string;
    readonly v: number;
    readonly tree: boolean;
    readonly phase: Phase;
    readonly fetch: Fetch;
    readonly joins: number;
    readonly held: readonly Held[];
}
/** The sync of all the pages of a client, by name. */
export type SyncState = Readonly<Record<string, PageSync>>;
/** A server message about a page, as the sync reads it. */
export interface PageMessage {
    type: string;
    page?: string;
    v?: number;
    base?: number;
    tree?: TreeMessage;
    d?: DiffMessage;
    code?: string;
    message?: string;
    name?: string;
    data?: unknown;
}
/** What happened, for step. */
export type Input = {
    type: "add";
    name: string;
    token: string;
    v: number;
} | {
    type: "open";
    shared: boolean;
} | {
    type: "close";
} | {
    type: "token";
    token: string;
} | {
    type: "message";
    m: PageMessage;
} | {
    type: "failed";
    name: string;
    render: boolean;
} | {
    type: "not_joined";
    name: string;
} | {
    type: "retry";
    name: string;
} | {
    type: "idle";
    name: string;
};
/** What the client is to do, in order. */
export type Action = {
    do: "join";
    name: string;
    token: string;
    v: number;
} | {
    do: "connected";
    name: string;
    v: number;
    missed: boolean;
} | {
    do: "render";
    name: string;
    tree: TreeMessage;
    v: number;
} | {
    do: "diff";
    name: string;
    d: DiffMessage;
    v: number;
} | {
    do: "resend";
    name: string;
} | {
    do: "retry";
    name: string;
} | {
    do: "idle";
    name: string;
} | {
    do: "push";
    name: string;
    event: string;
    data: unknown;
} | {
    do: "error";
    name: string;
    code: string;
    message: string;
} | {
    do: "stop";
    name: string;
    code: string;
    message: string;
};
/** Takes input: returns the new state and the actions to carry out. Never changes state. */
export declare function step(state: SyncState, input: Input): [SyncState, Action[]];
/** The version a new connection joins the page with: 0 when it wants the tree. */
export declare function joinVersion(pg: PageSync): number;

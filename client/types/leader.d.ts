import { type Unsubscribe } from "./emitter";
/** Options of {@link createLeaderElector}. */
export interface LeaderOptions {
    /** The lock's name: tabs that use the same key elect one leader. */
    key: string;
    /** This tab's id; generated when omitted. */
    tabId?: string;
}
/** A tab's part in an election, made by {@link createLeaderElector}. */
export interface LeaderElector {
    readonly tabId: string;
    /**
     * Whether Web Locks elect the leader. Without them (old browsers, insecure origins) every tab
     * leads itself alone: each keeps its own socket, and a bus made then reaches only its own tab.
     */
    readonly shared: boolean;
    /** Joins the election: the tab waits for the lock and leads once it holds it. */
    start(): void;
    /** Leaves the election: a leader releases the lock (lose fires) and another tab takes it. */
    stop(): void;
    /**
     * Takes the lock at once from a leader that stopped answering (Web Locks' steal): the browser
     * releases the leader's hold, and that tab's lose fires when it runs again, after which it
     * waits for the lock anew. Of several tabs that steal within a second, one does; the others go
     * on waiting. Does nothing while this tab leads, or without Web Locks.
     */
    steal(): void;
    isLeader(): boolean;
    /**
     * Calls handler each time this tab becomes leader (acquire) or stops leading (lose: stop(), or
     * another tab stole the lock). acquire
     * never fires inside start(), so a handler attached right after start() sees the first one; a
     * handler attached while the tab leads is called for that leadership too.
     */
    on(event: "acquire" | "lose", handler: () => void): Unsubscribe;
}
/** Makes a leader elector (see {@link LeaderElector}). */
export declare function createLeaderElector(options: LeaderOptions): LeaderElector;

import type { HookEnv, Hooks } from "./hooks";
/** The client's part that its hooks use. */
export interface HookClient {
    pushEvent(name: string, data?: unknown): Promise<unknown>;
}
/** The hooks of one client's page: mounts, destroys and tells them about the connection. */
export declare class HookHost {
    readonly root: Element | Document;
    private readonly client_;
    private readonly own_;
    private readonly live_;
    private since_;
    private out_;
    /** Reconnected, and the changes the page missed are on their way: reconnected follows them. */
    missed: boolean;
    private timer_?;
    constructor(root: Element | Document, client_: HookClient, own_?: Hooks);
    /** Destroys the hooks whose elements left the page and mounts those of new elements, in document order. */
    scan(): void;
    private mount_;
    private unmount_;
    /** Hands a server push to the hooks that handle name. */
    push(name: string, data: unknown): void;
    /** The page's connection went: the hooks hear of it if it stays away for HOOK_GRACE. */
    down(): void;
    private lost_;
    /**
     * The page is joined again; missed: the server is sending changes that it
     * missed (before the client applies them). The hooks hear disconnected now
     * (if they did not yet), and reconnected once the page shows them.
     */
    up(missed: boolean): void;
    /** The page is connected and up to date again: reconnected. */
    back(): void;
    /** Destroys every hook: the client was closed. */
    close(): void;
}
/** Makes the host of the hooks of root, a page of client whose own hooks are own. */
export declare function hookHost(e: HookEnv, root: Element | Document, client: HookClient, own?: Hooks): HookHost;

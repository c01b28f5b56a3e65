import type { Command } from "./commands";
import type { Unsubscribe } from "./emitter";
/** What a hook's callbacks get as this (with whatever they keep on it). */
export interface HookContext {
    /** The element with the lvt-hook attribute. */
    readonly el: HTMLElement;
    /** Sends an event to the page's handler, as the client's pushEvent; resolves with the handler's reply, undefined when it gives none. */
    pushEvent(name: string, data?: unknown): Promise<unknown>;
    /** Calls fn with the data of every server push of name to the page, until the returned function is called or the hook is destroyed. */
    handleEvent(name: string, fn: (data: unknown) => void): Unsubscribe;
    /** Runs client-side commands (a list, or its JSON text) from el; a push command sends through pushEvent. */
    exec(commands: string | Command[]): void;
}
/** The callbacks of a hook, each optional; T is what they keep on this. */
export interface Hook<T extends object = {
    [key: string]: unknown;
}> {
    /** The element came into the page (or was there when the client connected). */
    mounted?(this: HookContext & T): void;
    /** A patch is about to change the element or something inside it (once per patch). */
    beforeUpdate?(this: HookContext & T): void;
    /** A patch changed the element or something inside it (once per patch, after the DOM changed). */
    updated?(this: HookContext & T): void;
    /** The element left the page, or the client was closed. */
    destroyed?(this: HookContext & T): void;
    /** The page has had no connection for a while (HOOK_GRACE, 1 s), or lost one in which it missed a change. */
    disconnected?(this: HookContext & T): void;
    /** The page is connected again after disconnected, with the changes it missed applied. */
    reconnected?(this: HookContext & T): void;
}
/** Hooks by name. */
export type Hooks = Record<string, Hook<object>>;
/** The client's part that its hooks use. */
export interface HookClient {
    pushEvent(name: string, data?: unknown): Promise<unknown>;
}
/**
 * The hooks of every client of the page (LiveTemplateClient.hooks): a hook
 * registered after a client connected mounts on the elements already there.
 */
export declare const hooks: Hooks;
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

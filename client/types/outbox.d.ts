/** An error of the server (its code, see docs/protocol.md) or of the client (outbox_full, closed, ...). */
export declare class LiveTemplateError extends Error {
    readonly code: string;
    constructor(code: string, message: string);
}
/** One event waiting for its ack. */
export interface Pending {
    readonly id: string;
    readonly seq: number;
    readonly page: string;
    readonly name: string;
    readonly data: unknown;
    /** Resolves with the handler's reply: the ack's, undefined when it has none. */
    readonly resolve: (reply: unknown) => void;
    readonly reject: (e: LiveTemplateError) => void;
}
/** A random id: n (12) characters of a-z and 0-9. */
export declare function tabId(n?: number): string;
export declare class Outbox {
    readonly max: number;
    private prefix_;
    private n_;
    private readonly items_;
    constructor(max: number);
    get size(): number;
    /** Adds an event with a new id, or throws outbox_full when max events wait for their ack. */
    add(page: string, name: string, data: unknown): [Pending, Promise<unknown>];
    /** Numbers the next events from 1 again, under a new id: for a new page, when none waits. */
    restart(): void;
    /** Removes and returns the event of id. */
    take(id: string): Pending | undefined;
    /** The events of a page, oldest first. */
    of(page: string): Pending[];
}

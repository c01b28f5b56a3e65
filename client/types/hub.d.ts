import { type CloseInfo, type SocketOptions, type SocketState } from "./socket";
/** A server message as the client reads it: a JSON object. */
export type ServerMessage = {
    type?: string;
    page?: string;
} & Record<string, unknown>;
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
interface Up {
    gen: string;
    m: {
        type?: string;
        page?: string;
        token?: string;
        v?: number;
        quiet?: boolean;
    };
}
/** The hub of this tab for the endpoint at url (a ws: or wss: URL without query). */
export declare function hubFor(url: string, opts: Partial<SocketOptions>): Hub;
export declare class Hub {
    private readonly url_;
    private readonly opts_;
    readonly tab: string;
    private readonly lock_;
    private readonly key_;
    private readonly bus_;
    private readonly elector_;
    private readonly links_;
    private view_;
    private n_;
    private sock_;
    private epoch_;
    private gen_;
    private opens_;
    private readonly shown_;
    private readonly carrier_;
    private readonly watching_;
    private ready_;
    private fenced_;
    private silent_;
    constructor(url_: string, opts_: Partial<SocketOptions>);
    /** Attaches a client's page; name is the page's name on the connection. */
    attach(handlers: LinkHandlers): [Link, string];
    private wake_;
    get state(): SocketState;
    info(): LeaderInfo;
    /** Sends a client message of one of this tab's pages to the socket; false when none is open. */
    send(m: Up["m"]): boolean;
    private watch_;
    private heard_;
    connect(): void;
    detach(name: string): void;
    private resume_;
    private suspend_;
    private lead_;
    private fence_;
    private abdicate_;
    private nextEpoch_;
    private stateOf_;
    private onState_;
    private onUp_;
    private write_;
    private join_;
    private leave_;
    private carry_;
    private recarry_;
    private forget_;
    private gone_;
    private route_;
    private track_;
    private fan_;
    private takes_;
    private dispatch_;
}
/** This browser's public id, shared by its tabs through localStorage (this tab's own where there is none). */
export declare function browserId(): string;
export {};

export { exec, kept } from "./commands";
export { dev } from "./dev";
export { indicate } from "./indicator";
/** What the chunk needs of the client that navigates. */
export interface NavHost {
    /** The client's endpoint, a ws: or wss: URL. */
    live: string;
    root: HTMLElement;
    /** Leaves the page, puts nodes in the root and joins the page of token, whose HTML shows version v. */
    swap(nodes: Node[], token: string, v: number): void;
}
/** Navigates host to url live; pop is the id of the entry that back or forward showed, 0 for a new one. */
export declare function go(url: string, pop: number, host: NavHost): Promise<void>;

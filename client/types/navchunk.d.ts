export { exec, kept } from "./commands";
export { dev } from "./dev";
export { hookHost } from "./hookhost";
export { indicate } from "./indicator";
export { reloadOnce } from "./status";
/** What the chunk needs of the client that navigates. */
export interface NavHost {
    /** The client's endpoint, a ws: or wss: URL. */
    live: string;
    root: HTMLElement;
    /** The token of the page shown. */
    token: string;
    /** Leaves the page, puts nodes in the root and joins the page of token, whose HTML shows version v; params: it has a params handler. */
    swap(nodes: Node[], token: string, v: number, params: boolean): void;
}
/** Navigates host to url live; pop is the id of the entry that back or forward showed, 0 for a new one. */
export declare function go(url: string, pop: number, host: NavHost): Promise<void>;
/** Patches the URL to url on the page of token: pushes its entry, or replaces the one shown; false for a URL of another origin, left as it is. */
export declare function patch(url: string, replace: boolean, token: string): boolean;
/** Back or forward showed the entry of id, of the page shown: only the URL changed. */
export declare function popped(id: number): void;

import type { NavHost } from "./navchunk";
/** The chunk's module. */
export type Chunk = typeof import("./navchunk");
/** Sets the URL of the client's own script, which the chunk's is made from. */
export declare function scriptURL(s: string): void;
/** Loads the chunk, once: a failed load is tried again on the next call. */
export declare function loadChunk(): Promise<Chunk>;
/**
 * Calls go for clicks on links marked lvt-nav (pop 0) and for back and forward to live entries
 * (pop: the entry's id; page: the token of the page it showed), and patch for clicks on links
 * marked lvt-patch, for the document's life: a client that stopped loads the document instead.
 * The document's first client listens; a later one's listen does nothing, so that one click is
 * one navigation.
 */
export declare function listen(go: (url: string, pop: number, page?: string) => void, patch: (url: string, replace: boolean) => void): void;
/** Navigates to url with the chunk, or loads it as a document when the chunk cannot be had. */
export declare function navigate(url: string, pop: number, host: NavHost): Promise<void>;
/** Loads url as a whole document: the fallback of a navigation that cannot be live. */
export declare function load(url: string, pop: number): void;
/** The WebSocket URL of url, relative to base: http becomes ws, and an https page always uses wss. */
export declare function wsURL(url: string, base?: string): string;

// Live navigation, the part in the client's bundle: links marked lvt-nav
// and back/forward between live entries go to the client, which navigates
// with the chunk (navchunk.ts, served by ScriptHandler as the client's own
// URL with the query "nav"). Anything that cannot be done live loads the
// document instead.

import * as C from "./constants";
import type { NavHost } from "./navchunk";

/** The chunk's module. */
export type Chunk = typeof import("./navchunk");

let src = ""; // the chunk's URL, "" while unknown
let chunk: Promise<Chunk> | undefined;
let heard = false; // a client listens to the document's links and history

/** Sets the URL of the client's own script, which the chunk's is made from. */
export function scriptURL(s: string): void {
  src = new URL("?nav", s).href;
}

/** Loads the chunk, once: a failed load is tried again on the next call. */
export function loadChunk(): Promise<Chunk> {
  if (!src) return Promise.reject(new Error("livetemplate: no chunk"));
  return (chunk ??= import(src).catch((e: unknown) => {
    chunk = undefined;
    throw e;
  }));
}

/**
 * Calls go for clicks on links marked lvt-nav (pop 0) and for back and forward to live entries
 * (pop: the entry's id; page: the token of the page it showed), and patch for clicks on links
 * marked lvt-patch, for the document's life: a client that stopped loads the document instead.
 * The document's first client listens; a later one's listen does nothing, so that one click is
 * one navigation.
 */
export function listen(go: (url: string, pop: number, page?: string) => void, patch: (url: string, replace: boolean) => void): void {
  if (heard) return;
  heard = true;
  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest(`a[${C.NAV}],a[${C.PATCH}]`) : null;
    if (!(a instanceof HTMLAnchorElement) || e.defaultPrevented || e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if ((a.target && a.target !== "_self") || a.hasAttribute("download") || a.origin !== location.origin) return;
    e.preventDefault();
    const p = a.getAttribute(C.PATCH);
    if (p === null) go(a.href, 0);
    else patch(a.href, p === "replace");
  });
  addEventListener("popstate", (e) => {
    const s = e.state as { lvt?: number; page?: string } | null;
    if (s?.lvt) go(location.href, s.lvt, s.page);
  });
}

/** Navigates to url with the chunk, or loads it as a document when the chunk cannot be had. */
export function navigate(url: string, pop: number, host: NavHost): Promise<void> {
  if (!src) return Promise.resolve(load(url, pop));
  return loadChunk().then(
    (m) => m.go(url, pop, host),
    () => load(url, pop),
  );
}

/** Loads url as a whole document: the fallback of a navigation that cannot be live. */
export function load(url: string, pop: number): void {
  if (pop) location.reload();
  else location.assign(url);
}

/** The WebSocket URL of url, relative to base: http becomes ws, and an https page always uses wss. */
export function wsURL(url: string, base = location.href): string {
  const u = new URL(url, base);
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  if (location.protocol === "https:" && u.protocol === "ws:") u.protocol = "wss:";
  return u.href;
}

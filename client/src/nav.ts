// Live navigation, the part in the client's bundle: links marked lvt-nav
// and back/forward between live entries go to the client, which loads the
// navigation chunk (navchunk.ts, served by ScriptHandler as the client's
// own URL with the query "nav") on its first navigation. Anything that
// cannot be done live loads the document instead.

import * as C from "./constants";
import type { NavHost } from "./navchunk";

let chunk = ""; // the navigation chunk's URL, "" while unknown

/** Sets the URL of the client's own script, which the navigation chunk's is made from. */
export function scriptURL(src: string): void {
  chunk = new URL("?nav", src).href;
}

/**
 * Calls go for clicks on links marked lvt-nav (pop 0) and for back and forward to live entries
 * (pop: the entry's id), for the document's life: a client that stopped loads the document instead.
 */
export function listen(go: (url: string, pop: number) => void): void {
  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest(`a[${C.NAV}]`) : null;
    if (!(a instanceof HTMLAnchorElement) || e.defaultPrevented || e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if ((a.target && a.target !== "_self") || a.hasAttribute("download") || a.origin !== location.origin) return;
    e.preventDefault();
    go(a.href, 0);
  });
  addEventListener("popstate", (e) => {
    const id = (e.state as { lvt?: number } | null)?.lvt;
    if (id) go(location.href, id);
  });
}

/** Navigates to url with the chunk, or loads it as a document when the chunk cannot be had. */
export function navigate(url: string, pop: number, host: NavHost): Promise<void> {
  if (!chunk) return Promise.resolve(load(url, pop));
  return import(chunk).then(
    (m: typeof import("./navchunk")) => m.go(url, pop, host),
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

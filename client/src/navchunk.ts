// The navigation chunk: the part of live navigation that a page needs only
// once it navigates, loaded on demand (nav.ts) as an ES module from the
// client's own URL, which a Content Security Policy that allows the client
// allows too. It fetches the next page's HTML (with the header NAV_HEADER,
// so the server knows), and when it is a live page of the same endpoint,
// pushes its history entry, has the client swap its root's children and
// join the new page on the same connection, then restores the entry's
// scroll position and moves the focus. It keeps the history entries of URL
// patches (lvt-patch, a handler's Patch) too. The chunk has the client-side
// commands' code too (run.ts loads it as the client connects), the hooks'
// code (hookhost.ts), dev.ts, for the messages of development mode, the
// connection indicator, and the reload of a page that is gone.

import * as C from "./constants";
import { load, wsURL } from "./nav";

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

// A live entry's history.state is {lvt: its id, page: the token of the page it shows}.
// The scroll positions of this document's live entries by id, the id of
// the entry shown (0 until the first live navigation), and the navigation under way.
const scrolls = new Map<number, [x: number, y: number]>();
let shown = 0;
let ids = Date.now();
let under: AbortController | undefined;

/** Navigates host to url live; pop is the id of the entry that back or forward showed, 0 for a new one. */
export async function go(url: string, pop: number, host: NavHost): Promise<void> {
  if (pop) {
    scrolls.set(shown, [scrollX, scrollY]); // of the entry left: history does not scroll (manual)
    shown = pop;
  }
  under?.abort();
  const ctl = (under = new AbortController());
  const next = await fetchPage(url, ctl.signal);
  if (ctl.signal.aborted) return;
  const s = next?.[0].querySelector<HTMLScriptElement>("script[data-live][data-token]");
  const root = next?.[0].querySelector(C.ROOT);
  if (!next || !s || !root || wsURL(s.dataset["live"] ?? "", next[1]) !== host.live) return load(url, pop);
  const token = s.dataset["token"] ?? "";
  if (!pop) entry(next[1], token, host.token);
  host.swap([...root.childNodes], token, Number(s.dataset["version"]) || 0, s.dataset["params"] !== undefined);
  document.title = next[0].title;
  scrollTo(...(scrolls.get(shown) ?? [0, 0]));
  if (!host.root.hasAttribute("tabindex")) host.root.tabIndex = -1;
  host.root.focus({ preventScroll: true }); // screen readers read the new page from its root
}

// fetchPage fetches the document at url and its URL after the server's redirects, which must
// stay on this origin; null on any error.
async function fetchPage(url: string, signal: AbortSignal): Promise<[Document, string] | null> {
  try {
    const res = await fetch(url, { headers: { [C.NAV_HEADER]: "1" }, signal, mode: "same-origin" });
    return res.ok ? [new DOMParser().parseFromString(await res.text(), "text/html"), res.url] : null;
  } catch {
    return null;
  }
}

/** Patches the URL to url on the page of token: pushes its entry, or replaces the one shown; false for a URL of another origin, left as it is. */
export function patch(url: string, replace: boolean, token: string): boolean {
  const u = new URL(url, location.href);
  if (u.origin !== location.origin) return false;
  entry(u.href, token, token, replace);
  return true;
}

/** Back or forward showed the entry of id, of the page shown: only the URL changed. */
export function popped(id: number): void {
  scrolls.set(shown, [scrollX, scrollY]);
  shown = id;
}

// entry pushes the entry of url, showing the page of token, after making the one shown, of the
// page from, a live one with its scroll position; or replaces the one shown.
function entry(url: string, token: string, from: string, replace = false): void {
  history.scrollRestoration = "manual";
  if (!shown) history.replaceState({ ...(history.state as object), lvt: (shown = ++ids), page: from }, "");
  if (replace) return history.replaceState({ lvt: shown, page: token }, "", url);
  scrolls.set(shown, [scrollX, scrollY]);
  history.pushState({ lvt: (shown = ++ids), page: token }, "", url);
}

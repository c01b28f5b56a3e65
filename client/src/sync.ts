// The page sync: what a client does with its pages' messages, as one pure
// function step(state, input) -> [state, actions]. It knows neither the DOM
// nor the socket: the client feeds it the connection's opens and closes, the
// server's messages, and the outcome of what it asked for, and carries out
// the actions it returns. It holds any number of pages, by name on the
// connection. Every transition is here, and tested alone (src/testing).

import * as C from "./constants";
import type { DiffMessage, TreeMessage } from "./view";

/**
 * Where a page is on the current connection:
 * - down: there is no connection.
 * - joining: a join is on its way (or the URL's token joins the page).
 * - live: the join was answered (render, diff or joined): connected was announced. Events wait.
 * - joined: the server said joined: events go out.
 * A page goes down -> joining -> live -> joined; not_joined brings a joined page back to live.
 */
export type Phase = "down" | "joining" | "live" | "joined";

/**
 * What the page asked the server for to catch up, while the answer is on its way:
 * - "": nothing.
 * - base: a join from the version the DOM shows, after a gap: the server sends what it lacks.
 * - tree: a join from 0, for the whole page. It outlives a close: the next connection's join
 *   asks for 0 too.
 */
export type Fetch = "" | "base" | "tree";

/** A server push to the page's hooks. */
export interface Held {
  readonly event: string;
  readonly data: unknown;
}

/** One page's sync. Invariants: phase down has joins 0; fetch base has joins > 0. */
export interface PageSync {
  readonly name: string; // "": the connection's default page, joined by the URL's token
  readonly token: string;
  readonly v: number; // the version the DOM shows
  readonly tree: boolean; // the view holds the page's tree, so diffs apply
  readonly phase: Phase;
  readonly fetch: Fetch;
  readonly joins: number; // joins sent on this connection without their joined yet
  // Pushes that came while a fetch was on its way: they follow changes that the DOM does not
  // show yet, so the hooks get them once the fetch's answer is shown.
  readonly held: readonly Held[];
}

/** The sync of all the pages of a client, by name. */
export type SyncState = Readonly<Record<string, PageSync>>;

/** A server message about a page, as the sync reads it. */
export interface PageMessage {
  type: string;
  page?: string;
  v?: number;
  base?: number;
  tree?: TreeMessage;
  d?: DiffMessage;
  code?: string;
  message?: string;
  name?: string; // a push's
  data?: unknown; // a push's
}

/** What happened, for step. */
export type Input =
  | { type: "add"; name: string; token: string; v: number } // a page to sync; v: the version its HTML shows
  | { type: "open"; shared: boolean } // a connection opened; solo: the URL's token joined the default page
  | { type: "close" }
  | { type: "token"; token: string } // page_token: the default page's token
  | { type: "message"; m: PageMessage }
  | { type: "failed"; name: string; render: boolean } // a render or diff the client was told to apply threw
  | { type: "not_joined"; name: string } // an event's ack: the page is not joined on this connection
  | { type: "retry"; name: string } // the retry's wait is over
  | { type: "idle"; name: string }; // the connection is idle: a good time for the page's tree

/** What the client is to do, in order. */
export type Action =
  | { do: "join"; name: string; token: string; v: number }
  | { do: "connected"; name: string; v: number; missed: boolean } // announce the page joined on a new connection; missed: it missed changes meanwhile
  | { do: "render"; name: string; tree: TreeMessage; v: number } // apply, then announce updated; on a throw, step "failed"
  | { do: "diff"; name: string; d: DiffMessage; v: number } // the same
  | { do: "resend"; name: string } // send the page's events not sent on this connection
  | { do: "retry"; name: string } // step "retry" after about a second, unless the connection opens or closes first
  | { do: "idle"; name: string } // step "idle" when the connection is idle
  | { do: "push"; name: string; event: string; data: unknown } // hand the push to the page's hooks
  | { do: "error"; name: string; code: string; message: string } // report
  | { do: "stop"; name: string; code: string; message: string }; // the page ended on the server: stop

/** Codes of errors after which the page is gone from the server, or refused to this connection's identity (not_allowed): joining again would fail again. */
const FATAL = new Set(["invalid_token", "page_not_found", "page_expired", "page_closed", "page_evicted", "limit_reached", "not_allowed"]);

// Page is a page's sync that step may change: its own copy.
type Page = { -readonly [K in keyof PageSync]: PageSync[K] };

/** Takes input: returns the new state and the actions to carry out. Never changes state. */
export function step(state: SyncState, input: Input): [SyncState, Action[]] {
  const out: Record<string, Page> = { ...state };
  const acts: Action[] = [];
  switch (input.type) {
    case "add":
      out[input.name] = { name: input.name, token: input.token, v: input.token ? input.v : 0, tree: false, phase: "down", fetch: "", joins: 0, held: [] };
      break;
    case "open":
    case "close":
      for (const name in out) {
        const p = (out[name] = { ...out[name]! });
        if (input.type === "open") opened(p, input.shared, acts);
        else closed(p);
      }
      break;
    default: {
      const name = input.type === "message" ? (input.m.page ?? "") : input.type === "token" ? "" : input.name;
      const pg = out[name];
      if (!pg) return [state, acts]; // a page this client does not hold
      pageStep((out[name] = { ...pg }), input, acts);
    }
  }
  return [out, acts];
}

/** The version a new connection joins the page with: 0 when it wants the tree. */
export function joinVersion(pg: PageSync): number {
  return pg.fetch === "tree" ? 0 : pg.v;
}

function pageStep(p: Page, input: Input, acts: Action[]): void {
  switch (input.type) {
    case "token":
      p.token = input.token;
      return;
    case "message":
      message(p, input.m, acts);
      if (p.fetch === "" && p.held.length) {
        for (const h of p.held) acts.push({ do: "push", name: p.name, event: h.event, data: h.data });
        p.held = [];
      }
      return;
    case "failed":
      // The view may be half changed: only the whole page repairs it. A render that failed is
      // not asked for again at once (it would fail again): the next diff asks.
      p.tree = false;
      if (p.fetch === "tree") p.fetch = "";
      if (!input.render) resync(p, 0, acts);
      return;
    case "not_joined":
      if (p.phase === "joined") p.phase = "live";
      return resync(p, joinVersion(p), acts);
    case "retry":
      return resync(p, joinVersion(p), acts);
    case "idle":
      if (p.phase === "joined" && !p.tree && p.fetch === "") resync(p, 0, acts);
  }
}

// opened starts a connection: a solo socket's URL joined the default page; on the shared one,
// the page is joined here.
function opened(p: Page, shared: boolean, acts: Action[]): void {
  p.phase = "joining";
  p.joins = 1;
  if (!p.token) p.fetch = "tree";
  else if (p.fetch === "base") p.fetch = "";
  if (shared) acts.push({ do: "join", name: p.name, token: p.token, v: joinVersion(p) });
}

function closed(p: Page): void {
  p.phase = "down";
  p.joins = 0;
  if (p.fetch === "base") p.fetch = "";
}

function message(p: Page, m: PageMessage, acts: Action[]): void {
  if (p.phase === "joining" && (m.type === C.T_RENDER || m.type === C.T_DIFF || m.type === C.T_JOINED)) {
    p.phase = "live"; // the join succeeded: its catch-up or joined comes
    const missed = (m.v ?? 0) > p.v || (m.type === C.T_JOINED && m.v !== p.v); // a catch-up follows
    acts.push({ do: "connected", name: p.name, v: p.v, missed });
  }
  switch (m.type) {
    case C.T_RENDER:
      if (!m.tree) return;
      acts.push({ do: "render", name: p.name, tree: m.tree, v: (p.v = m.v ?? 0) });
      p.tree = true;
      if (p.fetch === "tree") p.fetch = "";
      return;
    case C.T_DIFF:
      return diff(p, m, acts);
    case C.T_JOINED:
      return joined(p, m.v ?? 0, acts);
    case C.T_ERROR:
      return error(p, m.code ?? "", m.message ?? m.code ?? "", acts);
    case C.T_PUSH:
      p.held = [...p.held, { event: m.name ?? "", data: m.data }];
  }
}

function diff(p: Page, m: PageMessage, acts: Action[]): void {
  const v = m.v ?? 0;
  if (v <= p.v) return; // the DOM shows it already: a catch-up that crossed a diff
  if (p.tree && p.fetch !== "tree" && m.base === p.v && m.d) acts.push({ do: "diff", name: p.name, d: m.d, v: (p.v = v) });
  else if (!p.tree) p.fetch !== "tree" && resync(p, 0, acts); // only the whole page helps
  else if (p.fetch === "") resync(p, p.v, acts); // a gap; else the answer to a resync is on its way
}

function joined(p: Page, v: number, acts: Action[]): void {
  p.joins = Math.max(0, p.joins - 1);
  if (p.joins === 0 && p.fetch === "base") p.fetch = "";
  if (p.phase !== "joined") acts.push({ do: "resend", name: p.name });
  p.phase = "joined";
  if (p.fetch === "" && p.joins === 0 && v !== p.v) resync(p, 0, acts); // the server holds another version and sends nothing more
  if (p.fetch === "" && !p.tree) acts.push({ do: "idle", name: p.name }); // fetch the tree before the first change needs it
}

function error(p: Page, code: string, message: string, acts: Action[]): void {
  if (FATAL.has(code)) acts.push({ do: "stop", name: p.name, code, message });
  else if (code === C.E_RATE_LIMITED || code === C.E_UNAVAILABLE) {
    // A join (or a ping) was refused: join again later, quietly (the client retries it
    // itself); a join of a joined page is harmless.
    p.joins = Math.max(0, p.joins - 1);
    acts.push({ do: "retry", name: p.name });
  } else acts.push({ do: "error", name: p.name, code, message });
}

// resync joins the page again from version v: the server answers with what the client lacks.
// Without a connection, the next connection's join does it.
function resync(p: Page, v: number, acts: Action[]): void {
  if (p.token && p.phase !== "down") {
    acts.push({ do: "join", name: p.name, token: p.token, v });
    p.joins++;
  } else if (v > 0) return;
  p.fetch = v === 0 ? "tree" : "base";
}

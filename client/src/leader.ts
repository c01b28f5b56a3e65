// Leader election among the tabs of a browser with one exclusive Web Lock:
// the tab holding the lock leads. The browser releases a lock the moment its
// tab closes, crashes or is discarded, so a waiting tab takes over at once,
// and there is never a second leader: no lease, no clock, no timer.

import { Emitter, type Unsubscribe } from "./emitter";
import { tabId as newTabId } from "./outbox";

/** Options of {@link createLeaderElector}. */
export interface LeaderOptions {
  /** The lock's name: tabs that use the same key elect one leader. */
  key: string;
  /** This tab's id; generated when omitted. */
  tabId?: string;
}

/** A tab's part in an election, made by {@link createLeaderElector}. */
export interface LeaderElector {
  readonly tabId: string;
  /**
   * Whether Web Locks elect the leader. Without them (old browsers, insecure origins) every tab
   * leads itself alone: each keeps its own socket, and a bus made then reaches only its own tab.
   */
  readonly shared: boolean;
  /** Joins the election: the tab waits for the lock and leads once it holds it. */
  start(): void;
  /** Leaves the election: a leader releases the lock (lose fires) and another tab takes it. */
  stop(): void;
  isLeader(): boolean;
  /**
   * Calls handler each time this tab becomes leader (acquire) or stops leading (lose). acquire
   * never fires inside start(), so a handler attached right after start() sees the first one; a
   * handler attached while the tab leads is called for that leadership too.
   */
  on(event: "acquire" | "lose", handler: () => void): Unsubscribe;
}

/** Makes a leader elector (see {@link LeaderElector}). */
export function createLeaderElector(options: LeaderOptions): LeaderElector {
  const id = options.tabId ?? newTabId();
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  const ev = new Emitter<{ acquire: undefined; lose: undefined }>();
  let leader = false;
  let ac: AbortController | null = null; // while started
  let release: (() => void) | null = null; // while leading

  const lead = (r: () => void) => {
    leader = true;
    release = r;
    ev.emit("acquire", undefined);
  };

  return {
    tabId: id,
    shared: locks !== undefined,
    start() {
      if (ac) return;
      const a = (ac = new AbortController());
      if (!locks) {
        queueMicrotask(() => {
          if (ac === a) lead(() => {});
        });
        return;
      }
      locks
        .request(options.key, { signal: a.signal }, () => {
          if (ac !== a) return;
          return new Promise<void>((r) => lead(r));
        })
        .catch(() => {}); // aborted by stop() before it was granted
    },
    stop() {
      const a = ac;
      if (!a) return;
      ac = null;
      a.abort();
      if (!leader) return;
      leader = false;
      release?.();
      release = null;
      ev.emit("lose", undefined);
    },
    isLeader: () => leader,
    on(event, handler) {
      const off = ev.on(event, handler);
      if (event === "acquire" && leader) queueMicrotask(() => leader && handler());
      return off;
    },
  };
}

// Leader election among the tabs of a browser with one exclusive Web Lock:
// the tab holding the lock leads. The browser releases a lock the moment its
// tab closes, crashes or is discarded, so a waiting tab takes over at once:
// no lease, no clock, no timer. A tab whose leader stopped answering (its
// main thread hangs) may steal the lock; the old leader learns it when it
// runs again, and waits for the lock like any other tab.

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
  /**
   * Takes the lock at once from a leader that stopped answering (Web Locks' steal): the browser
   * releases the leader's hold, and that tab's lose fires when it runs again, after which it
   * waits for the lock anew. Of several tabs that steal within a second, one does; the others go
   * on waiting. Does nothing while this tab leads, or without Web Locks.
   */
  steal(): void;
  isLeader(): boolean;
  /**
   * Calls handler each time this tab becomes leader (acquire) or stops leading (lose: stop(), or
   * another tab stole the lock). acquire
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
  const lose = () => {
    leader = false;
    release?.();
    release = null;
    ev.emit("lose", undefined);
  };

  // ask requests the lock for the election a; when another tab steals it, the
  // promise fails: this tab has lost the lead, and waits for the lock again.
  const ask = (a: AbortController, o: LockOptions) =>
    locks!.request(options.key, o, () => (ac === a ? new Promise<void>((r) => lead(r)) : undefined)).catch(() => {
      if (ac !== a || !leader) return; // aborted by stop() before it was granted
      lose();
      ac = null;
      el.start();
    });

  const el: LeaderElector = {
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
      void ask(a, { signal: a.signal });
    },
    stop() {
      const a = ac;
      if (!a) return;
      ac = null;
      a.abort();
      if (leader) lose();
    },
    steal() {
      if (!locks || leader) return;
      // One stealer at a time: a tab that finds another stealing leaves it to that one. The
      // stealer keeps the steal lock a second after it leads, for the other tabs to learn of
      // it, so that one that found the old leader silent too does not steal from the new one.
      void locks.request(`${options.key}:steal`, { ifAvailable: true }, async (l) => {
        if (!l || leader) return;
        ac?.abort();
        const a = (ac = new AbortController());
        let off = () => {};
        await Promise.race([ask(a, { steal: true }), new Promise<void>((r) => (off = ev.on("acquire", r)))]);
        off();
        await new Promise((r) => setTimeout(r, 1000));
      });
    },
    isLeader: () => leader,
    on(event, handler) {
      const off = ev.on(event, handler);
      if (event === "acquire" && leader) queueMicrotask(() => leader && handler());
      return off;
    },
  };
  return el;
}

// Tab locks: every tab holds a Web Lock named by its id for as long as it
// lives, so another tab learns that it closed or crashed the moment the
// browser releases that lock, with no timer and no message from the dead tab.

import type { Unsubscribe } from "./emitter";

const PREFIX = "livetemplate:tab:";

/** A lock held while this tab lives: held settles once it is held, release gives it up. */
export interface TabHold {
  readonly held: Promise<void>;
  release(): void;
}

/** Holds the lock of tab id. Without Web Locks, held settles at once and nothing is held. */
export function holdTab(id: string): TabHold {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return { held: Promise.resolve(), release: () => {} };
  let release = () => {};
  const gone = new Promise<void>((r) => (release = r));
  const held = new Promise<void>((resolve) => {
    locks.request(PREFIX + id, () => {
      resolve();
      return gone;
    }).catch(() => resolve());
  });
  return { held, release };
}

/** Calls onGone once tab id no longer holds its lock; the returned function stops watching. */
export function watchTab(id: string, onGone: () => void): Unsubscribe {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return () => {};
  const ac = new AbortController();
  locks
    .request(PREFIX + id, { signal: ac.signal }, () => {
      if (!ac.signal.aborted) onGone();
    })
    .catch(() => {}); // aborted
  return () => ac.abort();
}

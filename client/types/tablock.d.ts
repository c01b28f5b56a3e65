import type { Unsubscribe } from "./emitter";
/** A lock held while this tab lives: held settles once it is held, release gives it up. */
export interface TabHold {
    readonly held: Promise<void>;
    release(): void;
}
/** Holds the lock of tab id. Without Web Locks, held settles at once and nothing is held. */
export declare function holdTab(id: string): TabHold;
/** Calls onGone once tab id no longer holds its lock; the returned function stops watching. */
export declare function watchTab(id: string, onGone: () => void): Unsubscribe;

// Element hooks: an element with lvt-hook="Name" gets the callbacks of the
// hook registered as Name, for the JavaScript of a chart, a map or an editor
// that lives in it. This is the part in the client's bundle: the hooks' types
// and their registry. Their code (hookhost.ts) is in the chunk, which the
// client loads as it connects: a page's hooks mount once it is here, and the
// server's pushes to them wait for it.

import type { Command } from "./commands";
import type { Unsubscribe } from "./emitter";
import { watch } from "./morph";

/** What a hook's callbacks get as this (with whatever they keep on it). */
export interface HookContext {
  /** The element with the lvt-hook attribute. */
  readonly el: HTMLElement;
  /** Sends an event to the page's handler, as the client's pushEvent; resolves with the handler's reply, undefined when it gives none. */
  pushEvent(name: string, data?: unknown): Promise<unknown>;
  /** Calls fn with the data of every server push of name to the page, until the returned function is called or the hook is destroyed. */
  handleEvent(name: string, fn: (data: unknown) => void): Unsubscribe;
  /** Runs client-side commands (a list, or its JSON text) from el; a push command sends through pushEvent. */
  exec(commands: string | Command[]): void;
}

/** The callbacks of a hook, each optional; T is what they keep on this. */
export interface Hook<T extends object = { [key: string]: unknown }> {
  /** The element came into the page (or was there when the client connected). */
  mounted?(this: HookContext & T): void;
  /** A patch is about to change the element or something inside it (once per patch). */
  beforeUpdate?(this: HookContext & T): void;
  /** A patch changed the element or something inside it (once per patch, after the DOM changed). */
  updated?(this: HookContext & T): void;
  /** The element left the page, or the client was closed. */
  destroyed?(this: HookContext & T): void;
  /** The page has had no connection for a while (HOOK_GRACE, 1 s), or lost one in which it missed a change. */
  disconnected?(this: HookContext & T): void;
  /** The page is connected again after disconnected, with the changes it missed applied. */
  reconnected?(this: HookContext & T): void;
}

/** Hooks by name. */
export type Hooks = Record<string, Hook<object>>;

/** What the hooks' code in the chunk gets of the client's bundle. */
export interface HookEnv {
  /** The registry (LiveTemplateClient.hooks). */
  hooks: Hooks;
  /** How many hooks were registered on it. */
  named(): number;
  /** The hosts of the tab's pages, scanned when a hook is registered. */
  hosts: Set<{ scan(): void }>;
  /** The bundle's morph, which tells the hooks of patches. */
  watch: typeof watch;
}

let named = 0; // hooks registered on the static registry
const hosts = new Set<{ scan(): void }>();

/**
 * The hooks of every client of the page (LiveTemplateClient.hooks): a hook
 * registered after a client connected mounts on the elements already there.
 */
export const hooks: Hooks = new Proxy({} as Hooks, {
  set(t, k, v: Hook) {
    if (!(k in t)) named++;
    t[k as string] = v;
    queueMicrotask(() => {
      for (const h of hosts) h.scan();
    });
    return true;
  },
});

/** The bundle's part of the hooks, for the chunk. */
export const hookEnv: HookEnv = { hooks, named: () => named, hosts, watch };

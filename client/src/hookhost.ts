// The hooks' code, in the chunk (hooks.ts, in the client's bundle, has their
// types and registry). A hook instance lives as long as its element: a patch
// that keeps the element (a diff, a row move, the morph of a resync) keeps
// the instance and calls updated; mounted and destroyed follow the element
// into and out of the page. disconnected and reconnected follow this tab's
// page, not the socket: a leader handover that loses nothing is not seen.

import { exec, type Command } from "./commands";
import { HOOK, HOOK_GRACE } from "./constants";
import type { Hook, HookContext, HookEnv, Hooks } from "./hooks";

/** The client's part that its hooks use. */
export interface HookClient {
  pushEvent(name: string, data?: unknown): Promise<unknown>;
}

type Callback = keyof Hook;

/** A mounted hook: its definition, instance (whose prototype h is), name and handlers of pushes. */
interface Live {
  h: Hook;
  x: HookContext & { [key: string]: unknown };
  name: string;
  on: Map<string, Set<(data: unknown) => void>>;
}

const mounted = new WeakMap<Element, Live>();
let count = 0; // hooks mounted in this tab

/** Runs the page's code fn; an exception is reported by the browser and disturbs nothing. */
function safe(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    setTimeout(() => {
      throw e;
    });
  }
}

const call = (l: Live, cb: Callback) => safe(() => l.h[cb]?.call(l.x));

// The current patch: the hooks told beforeUpdate, and the nodes whose ancestors were looked at.
const batch = new Set<Live>();
const seen = new Set<Node>();

const touch = (n: Node) => {
  if (!count) return;
  for (let x: Node | null = n; x && !seen.has(x); x = x.parentNode) {
    seen.add(x);
    const l = mounted.get(x as Element);
    if (l && !batch.has(l)) {
      batch.add(l);
      call(l, "beforeUpdate");
    }
  }
};

const done = (root: Element | Document) => {
  seen.clear();
  const touched = [...batch];
  batch.clear();
  for (const h of hosts()) if (h.root === root) h.scan();
  for (const l of touched) if (mounted.get(l.x.el) === l) call(l, "updated");
  for (const h of hosts()) if (h.root === root && h.missed) h.back();
};

/** The hooks of one client's page: mounts, destroys and tells them about the connection. */
export class HookHost {
  private readonly live_ = new Set<Live>();
  private since_ = 0; // when the connection went, 0 while connected
  private out_ = false; // disconnected was called
  /** Reconnected, and the changes the page missed are on their way: reconnected follows them. */
  missed = false;
  private timer_?: ReturnType<typeof setTimeout>;

  constructor(
    readonly root: Element | Document,
    private readonly client_: HookClient,
    private readonly own_: Hooks = {},
  ) {
    env.hosts.add(this);
    this.scan();
  }

  /** Destroys the hooks whose elements left the page and mounts those of new elements, in document order. */
  scan(): void {
    for (const l of this.live_) if (!this.root.contains(l.x.el) || l.x.el.getAttribute(HOOK) !== l.name) this.unmount_(l);
    if (!env.named() && !Object.keys(this.own_).length) return;
    for (const el of this.root.querySelectorAll(`[${HOOK}]`)) {
      const name = el.getAttribute(HOOK) ?? "";
      const h = this.own_[name] ?? env.hooks[name];
      if (h && !mounted.has(el)) this.mount_(el as HTMLElement, name, h);
    }
  }

  private mount_(el: HTMLElement, name: string, h: Hook): void {
    const c = this.client_;
    const on = new Map<string, Set<(data: unknown) => void>>();
    const x = Object.assign(Object.create(h) as { [key: string]: unknown }, {
      el,
      pushEvent: (n: string, d?: unknown) => c.pushEvent(n, d),
      handleEvent: (n: string, fn: (data: unknown) => void) => {
        let s = on.get(n);
        if (!s) on.set(n, (s = new Set()));
        s.add(fn);
        return () => void s.delete(fn);
      },
      exec: (cmds: string | Command[]) => exec(el, cmds, (n, v) => void c.pushEvent(n, v).catch(() => {})),
    });
    const l: Live = { h, x, name, on };
    mounted.set(el, l);
    this.live_.add(l);
    count++;
    call(l, "mounted");
  }

  private unmount_(l: Live): void {
    mounted.delete(l.x.el);
    this.live_.delete(l);
    count--;
    call(l, "destroyed");
  }

  /** Hands a server push to the hooks that handle name. */
  push(name: string, data: unknown): void {
    for (const l of this.live_) for (const fn of l.on.get(name) ?? []) safe(() => fn(data));
  }

  /** The page's connection went: the hooks hear of it if it stays away for HOOK_GRACE. */
  down(): void {
    this.missed = false;
    if (this.since_) return;
    this.since_ = Date.now();
    this.timer_ = setTimeout(() => this.lost_(), HOOK_GRACE);
  }

  private lost_(): void {
    if (this.out_) return;
    this.out_ = true;
    for (const l of this.live_) call(l, "disconnected");
  }

  /**
   * The page is joined again; missed: the server is sending changes that it
   * missed (before the client applies them). The hooks hear disconnected now
   * (if they did not yet), and reconnected once the page shows them.
   */
  up(missed: boolean): void {
    const since = this.since_;
    if (!since) return;
    this.since_ = 0;
    clearTimeout(this.timer_);
    if (!this.out_ && !missed && Date.now() - since < HOOK_GRACE) return;
    this.lost_();
    this.missed = missed;
    if (!missed) this.back();
  }

  /** The page is connected and up to date again: reconnected. */
  back(): void {
    this.missed = this.out_ = false;
    for (const l of this.live_) call(l, "reconnected");
  }

  /** Destroys every hook: the client was closed. */
  close(): void {
    clearTimeout(this.timer_);
    env.hosts.delete(this);
    for (const l of this.live_) this.unmount_(l);
  }
}

let env: HookEnv; // the bundle's registry, hosts and morph, once a host was made

const hosts = () => env.hosts as Set<HookHost>;

/** Makes the host of the hooks of root, a page of client whose own hooks are own. */
export function hookHost(e: HookEnv, root: Element | Document, client: HookClient, own?: Hooks): HookHost {
  if (!env) {
    env = e;
    e.watch.touch = touch;
    e.watch.done = done;
  }
  return new HookHost(root, client, own);
}

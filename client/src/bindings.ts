// The lvt-* attributes: DOM events of the page's elements that become live
// events. Listeners are delegated to the root (and window), so elements that
// a render or diff adds work without anything to attach. A binding whose
// value is a JSON list runs client-side commands (commands.ts), which may
// push the event. docs/client.md documents every attribute.

import { LVT } from "./constants";
import type { Unsubscribe } from "./emitter";
import { exec } from "./run";

/** Event data as the bindings send it: strings, or lists of strings for repeated form fields. */
export type EventData = Record<string, string | string[]>;

/** Sends the live event name for element el. */
export type Sender = (el: Element, name: string, data: EventData) => void;

/** DOM events bound by lvt-<type>, delegated from the root. */
const BUBBLING = ["click", "submit", "change", "input", "keydown", "keyup"] as const;
/** focus and blur do not bubble: listened for in the capture phase. */
const CAPTURED = ["focus", "blur"] as const;
/** Window events bound by lvt-window-<type>. */
const WINDOW = ["keydown", "keyup", "focus", "blur", "resize", "scroll"] as const;

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

const isField = (el: Element): el is Field =>
  el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement;

/** The lvt-value-* attributes of el: lvt-value-user-id="7" gives {"user-id": "7"}. */
function values(el: Element): EventData {
  const out: EventData = {};
  for (const a of el.attributes) {
    if (a.name.startsWith(LVT + "value-")) out[a.name.slice(LVT.length + 6)] = a.value;
  }
  return out;
}

/** A form's fields as FormData sees them, every value a string (files by name). */
export function formValues(form: HTMLFormElement, submitter?: HTMLElement | null): EventData {
  const out: EventData = {};
  let fd: FormData;
  try {
    fd = new FormData(form, submitter ?? null);
  } catch {
    fd = new FormData(form); // a submitter that is not a submit button
  }
  for (const [k, v] of fd) {
    const s = typeof v === "string" ? v : v.name;
    const had = out[k];
    out[k] = had === undefined ? s : Array.isArray(had) ? [...had, s] : [had, s];
  }
  return out;
}

/** The value of one field: a checkbox or radio gives its value when checked, else "". */
function fieldValue(el: Field): string | string[] {
  if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) {
    return el.checked ? el.value : "";
  }
  if (el instanceof HTMLSelectElement && el.multiple) {
    return [...el.selectedOptions].map((o) => o.value);
  }
  return el.value;
}

/** The data of a DOM event of type on el. */
function dataOf(el: Element, type: string, e: Event): EventData {
  let d: EventData = {};
  if (el instanceof HTMLFormElement) {
    d = formValues(el, (e as SubmitEvent).submitter);
  } else if (isField(el) && type !== "click") {
    d[el.name || "value"] = fieldValue(el);
  }
  if (e instanceof KeyboardEvent) d["key"] = e.key;
  return Object.assign(d, values(el));
}

/** Whether a keyboard event passes el's lvt-key filter: a space-separated list of KeyboardEvent.key values. */
function keyMatches(el: Element, e: Event): boolean {
  const keys = el.getAttribute(LVT + "key");
  if (keys === null || !(e instanceof KeyboardEvent)) return true;
  return keys.split(" ").includes(e.key);
}

interface Limiter {
  timer?: ReturnType<typeof setTimeout> | undefined;
  next?: (() => void) | undefined; // a throttled send waiting for the end of the window
}

/** Binds the lvt-* attributes of the elements under root; returns the function that unbinds them. */
export function bind(root: Element | Document, send: Sender): Unsubscribe {
  const limits = new WeakMap<Element, Map<string, Limiter>>();

  // fire sends el's event, through its lvt-debounce or lvt-throttle (milliseconds).
  const fire = (el: Element, key: string, name: string, data: EventData) => {
    const go = () => send(el, name, data);
    const deb = el.getAttribute(LVT + "debounce");
    const thr = el.getAttribute(LVT + "throttle");
    if (deb === null && thr === null) return go();
    let m = limits.get(el);
    if (!m) limits.set(el, (m = new Map()));
    let l = m.get(key);
    if (!l) m.set(key, (l = {}));
    const lim = l;
    if (deb !== null) {
      clearTimeout(lim.timer);
      lim.timer = setTimeout(() => {
        lim.timer = undefined;
        go();
      }, Number(deb) || 0);
      return;
    }
    if (lim.timer !== undefined) {
      lim.next = go;
      return;
    }
    go();
    const open = () => {
      lim.timer = setTimeout(() => {
        lim.timer = undefined;
        const n = lim.next;
        lim.next = undefined;
        if (n) {
          n();
          open();
        }
      }, Number(thr) || 0);
    };
    open();
  };

  const onEvent = (e: Event) => {
    const type = e.type;
    const attr = LVT + type;
    const t = e.target;
    if (!(t instanceof Element)) return;
    const el = type === "focus" || type === "blur" ? (t.hasAttribute(attr) ? t : null) : t.closest(`[${attr}]`);
    if (!el || (root !== document && !(root as Element).contains(el))) return;
    if (type === "submit" || (type === "click" && el instanceof HTMLAnchorElement)) e.preventDefault();
    if (!keyMatches(el, e)) return;
    run(el, type, el.getAttribute(attr) ?? "", dataOf(el, type, e));
  };

  // run sends the binding's event, or runs its commands, whose push sends one (through fire: debounce and throttle apply to sends only).
  const run = (el: Element, key: string, v: string, data: EventData) => {
    if (v[0] === "[") exec(el, v, (name, value) => fire(el, key, name, { ...data, ...value }));
    else fire(el, key, v, data);
  };

  const onWindow = (e: Event) => {
    const type = e.type;
    if ((type === "focus" || type === "blur") && e.target !== window) return;
    const attr = `${LVT}window-${type}`;
    for (const el of root.querySelectorAll(`[${attr}]`)) {
      if (!keyMatches(el, e)) continue;
      const d = values(el);
      if (e instanceof KeyboardEvent) d["key"] = e.key;
      run(el, "window-" + type, el.getAttribute(attr) ?? "", d);
    }
  };

  for (const t of BUBBLING) root.addEventListener(t, onEvent);
  for (const t of CAPTURED) root.addEventListener(t, onEvent, true);
  for (const t of WINDOW) addEventListener(t, onWindow, { passive: true });
  return () => {
    for (const t of BUBBLING) root.removeEventListener(t, onEvent);
    for (const t of CAPTURED) root.removeEventListener(t, onEvent, true);
    for (const t of WINDOW) removeEventListener(t, onWindow);
  };
}

/** An element busy with events between send and ack: its loading class and lvt-disable-with. */
export class Busy {
  private readonly count_ = new Map<Element, number>();
  private readonly saved_ = new Map<Element, [text: string, disabled: boolean]>();

  /** Elements that had no class attribute before their loading class. */
  private readonly classless_ = new Set<Element>();

  /** Marks el busy with one more event; for a form, also its elements with lvt-disable-with. */
  start(el: Element): void {
    if (!this.count_.has(el) && !el.hasAttribute("class")) this.classless_.add(el);
    this.count_.set(el, (this.count_.get(el) ?? 0) + 1);
    this.apply_(el);
  }

  /** Ends one event of el; the last one restores el. */
  end(el: Element): void {
    const n = (this.count_.get(el) ?? 1) - 1;
    if (n > 0) {
      this.count_.set(el, n);
      return;
    }
    this.count_.delete(el);
    el.classList.remove(LVT + "loading");
    // Leave no class="" behind: the DOM must stay the server's HTML.
    if (this.classless_.delete(el) && el.getAttribute("class") === "") el.removeAttribute("class");
    for (const d of disablers(el)) {
      const s = this.saved_.get(d);
      if (!s || this.busyForm_(d)) continue;
      this.saved_.delete(d);
      if (text(d) === d.getAttribute(LVT + "disable-with")) setText(d, s[0]);
      (d as HTMLButtonElement).disabled = s[1];
    }
  }

  /** Applies the busy state again after a patch of the DOM, which may have undone it. */
  refresh(): void {
    for (const el of this.count_.keys()) {
      if (el.isConnected) this.apply_(el);
    }
  }

  private busyForm_(d: Element): boolean {
    for (const el of this.count_.keys()) if (el.contains(d)) return true;
    return false;
  }

  private apply_(el: Element): void {
    el.classList.add(LVT + "loading");
    for (const d of disablers(el)) {
      const w = d.getAttribute(LVT + "disable-with") ?? "";
      const s = this.saved_.get(d);
      const t = text(d);
      if (!s) this.saved_.set(d, [t, (d as HTMLButtonElement).disabled]);
      else if (t !== w) s[0] = t; // a patch changed the text: restore that one
      if (t !== w) setText(d, w);
      (d as HTMLButtonElement).disabled = true;
    }
  }
}

function disablers(el: Element): Element[] {
  const out = [...el.querySelectorAll(`[${LVT}disable-with]`)];
  if (el.hasAttribute(LVT + "disable-with")) out.unshift(el);
  return out;
}

const text = (el: Element) => (el instanceof HTMLInputElement ? el.value : (el.textContent ?? ""));

function setText(el: Element, s: string): void {
  if (el instanceof HTMLInputElement) el.value = s;
  else el.textContent = s;
}

// Client-side commands: changes of the page that run in the browser without
// a round trip (show, hide, classes, attributes, focus, DOM events,
// transitions), written as a JSON list in a binding's attribute
// (lvt-click='[["toggle",{"to":"#menu"}]]') or run by a hook. What a command
// sets stays across patches: every patch that sets an element's attributes
// to the server's applies the commands' state of that element again. The
// classic script has this code in its chunk (navchunk.ts, run.ts loads it).

import { TRANSITION } from "./constants";

/** The arguments of a command; each command reads those it needs. */
export interface CommandArgs {
  /**
   * The elements it applies to: a CSS selector of the document, "closest SEL" (the element's
   * nearest ancestor, or itself, that matches) or "inner SEL" (elements inside the element).
   * Default: the element whose binding or hook runs the commands.
   */
  to?: string;
  /** add-class, remove-class, toggle-class: class names, separated by spaces. */
  names?: string;
  /** set-attr, remove-attr: the attribute's name. */
  attr?: string;
  /** set-attr: the attribute's value; push: strings added to the event's data. */
  value?: string | Record<string, string>;
  /** show, toggle: the display shown (default: the element's own, else "block"). */
  display?: string;
  /** show, hide, toggle, transition: classes held during the transition, or [held, from, to]. */
  transition?: string | [string, string, string];
  /** The transition's length in milliseconds (200). */
  time?: number;
  /** push: the live event; dispatch: the DOM event. */
  event?: string;
  /** dispatch: the CustomEvent's detail. */
  detail?: unknown;
  /** dispatch: whether the event bubbles (true). */
  bubbles?: boolean;
}

/** A command: its name and arguments, such as ["add-class", {"to": "#menu", "names": "open"}]. */
export type Command = [name: string, args?: CommandArgs];

/** Sends a live event, for the push command: its name and the strings to add to its data. */
export type Push = (event: string, value?: Record<string, string>) => void;

/** What the commands set on one element: classes on (true) or off, attributes (null: removed), display. */
interface State {
  c: Map<string, boolean>;
  a: Map<string, string | null>;
  d?: string;
}

const states = new WeakMap<Element, State>();

function state(el: Element): State {
  let s = states.get(el);
  if (!s) states.set(el, (s = { c: new Map(), a: new Map() }));
  return s;
}

/** Puts the commands' state of el back on, after a patch set its attributes to the server's (watch.kept). */
export function kept(el: Element): void {
  const s = states.get(el);
  if (!s) return;
  for (const [n, on] of s.c) el.classList.toggle(n, on);
  for (const [n, v] of s.a) v === null ? el.removeAttribute(n) : el.setAttribute(n, v);
  if (s.d !== undefined) (el as HTMLElement).style.display = s.d;
}

/** Sets classes on or off, and keeps them so (off: until forgotten, with keep false). */
function classes(el: Element, names: string, on: boolean, keep = true): void {
  const s = state(el);
  for (const n of names.split(" ")) {
    if (!n) continue;
    el.classList.toggle(n, on);
    if (keep) s.c.set(n, on);
    else s.c.delete(n);
  }
}

function display(el: HTMLElement, d: string): void {
  el.style.display = state(el).d = d;
}

const hidden = (el: Element) => getComputedStyle(el).display === "none";

/**
 * Runs a transition on el: the held classes and from at once, to instead
 * of from once the browser computed from's style, all gone after time ms;
 * then calls done.
 */
function transition(el: Element, t: CommandArgs["transition"], time: number = TRANSITION, done?: () => void): void {
  const [held, from, to] = typeof t === "string" ? [t, "", ""] : (t ?? ["", "", ""]);
  classes(el, held + " " + from, true);
  el.getBoundingClientRect(); // the style with from, to transition from
  classes(el, from, false, false);
  classes(el, to, true);
  setTimeout(() => {
    classes(el, held + " " + to, false, false);
    done?.();
  }, time);
}

/** Shows (show true) or hides el, through a transition if a has one. */
function visible(el: HTMLElement, show: boolean, a: CommandArgs): void {
  if (show) {
    display(el, a.display ?? "");
    if (hidden(el)) display(el, "block");
  }
  if (a.transition) transition(el, a.transition, a.time, show ? undefined : () => display(el, "none"));
  else if (!show) display(el, "none");
}

/** The elements that a command's to names, from el. */
function targets(el: Element, to?: string): Element[] {
  if (!to) return [el];
  const m = /^(closest|inner) (.+)/.exec(to);
  if (!m) return [...document.querySelectorAll(to)];
  const sel = m[2] as string;
  if (m[1] === "inner") return [...el.querySelectorAll(sel)];
  const c = el.closest(sel);
  return c ? [c] : [];
}

/** Runs command name with a on the element t. */
function run(name: string, t: Element, a: CommandArgs): void {
  const el = t as HTMLElement;
  switch (name) {
    case "show":
    case "hide":
    case "toggle":
      return visible(el, name === "show" || (name === "toggle" && hidden(el)), a);
    case "add-class":
    case "remove-class":
      return classes(el, a.names ?? "", name === "add-class");
    case "toggle-class":
      for (const n of (a.names ?? "").split(" ")) if (n) classes(el, n, !el.classList.contains(n));
      return;
    case "set-attr":
    case "remove-attr": {
      const v = name === "set-attr" ? String(a.value ?? "") : null;
      state(el).a.set(a.attr ?? "", v);
      return v === null ? el.removeAttribute(a.attr ?? "") : el.setAttribute(a.attr ?? "", v);
    }
    case "focus":
      return el.focus();
    case "dispatch":
      el.dispatchEvent(new CustomEvent(a.event ?? "", { bubbles: a.bubbles !== false, detail: a.detail }));
      return;
    case "transition":
      return transition(el, a.transition ?? a.names ?? "", a.time);
  }
}

const KNOWN = /^(show|hide|toggle|(add|remove|toggle)-class|(set|remove)-attr|focus|dispatch|transition|push)$/;

/**
 * Runs commands (a list, or its JSON text) from the element el, in order:
 * each on the elements its "to" names, el by default. A push command sends
 * its event through push. Throws on a list that is not valid JSON or names
 * an unknown command (before running any of them).
 */
export function exec(el: Element, commands: string | Command[], push?: Push): void {
  const list: Command[] = typeof commands === "string" ? JSON.parse(commands) : commands;
  for (const [name] of list) if (!KNOWN.test(name)) throw new Error(`livetemplate: unknown command "${name}"`);
  for (const [name, a = {}] of list) {
    if (name === "push") push?.(a.event ?? "", a.value as Record<string, string> | undefined);
    else for (const t of targets(el, a.to)) run(name, t, a);
  }
}

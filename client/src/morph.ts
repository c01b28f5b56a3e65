// Morphing: changes live DOM nodes into the nodes parsed from new HTML,
// keeping every live node whose kind, tag and key match the new node in its
// place, so that focus, caret, typed values, scroll positions and media keep
// going. It serves the first render over the HTML that the server sent, a
// resync, and the rebuild of a value that cannot be patched in place.
// An element with lvt-ignore keeps its children, and one with
// lvt-ignore-attrs the attributes it names, whatever the server sends.

import { IGNORE, IGNORE_ATTRS } from "./constants";

/**
 * What other parts of the client do around a patch's DOM changes, each set
 * by the module that needs it: touch(n) before n or a node under it changes
 * (hooks.ts: beforeUpdate), kept(el) after a patch set el's attributes to
 * the server's (commands.ts applies its own state again), done(root) after
 * the patch of the page at root (hooks.ts: mounted, updated, destroyed).
 */
export const watch: {
  touch?: (n: Node) => void;
  kept?: (el: Element) => void;
  done?: (root: Element | Document) => void;
} = {};

/** n, or a node under it, is about to change. */
export const touch = (n: Node) => watch.touch?.(n);

/** The tbody elements that the parser added to a table before its first row, or the view did as the parser would. */
export const implicit = new WeakSet<Node>();

/** For each new node that a live node stands for, that live node. */
export type NodeMap = Map<Node, Node>;

/** Whether el has the focus: the server's changes do not overwrite what the user is typing. */
function focused(el: Element): boolean {
  return el.ownerDocument.activeElement === el;
}

/**
 * The attribute name of el changed to value (null: removed): the property
 * that the user can change follows the server's attribute, unless the user
 * is in the field.
 */
export function syncProp(el: Element, name: string, value: string | null): void {
  const tag = el.localName;
  if (tag === "input" && !focused(el)) {
    const input = el as HTMLInputElement;
    if (name === "value") input.value = value ?? "";
    else if (name === "checked") input.checked = value !== null;
  } else if (tag === "option" && name === "selected") {
    const select = el.closest("select");
    if (!select || !focused(select)) (el as HTMLOptionElement).selected = value !== null;
  }
}

/** Sets the text of a textarea, script, style or title; a textarea's value follows unless the user is in it. */
export function syncText(el: Element, text: string): void {
  if (el.textContent !== text) {
    touch(el);
    el.textContent = text;
    if (el.localName === "textarea" && !focused(el)) (el as HTMLTextAreaElement).value = text;
  }
}

/** The key of a node: its data-key and id ("" for a node without either, or not an element). */
function key(n: Node): string {
  if (n.nodeType !== 1) return "";
  const el = n as Element;
  const k = el.getAttribute("data-key");
  return k === null && !el.id ? "" : (k ?? "") + "\n" + el.id;
}

function same(o: Node, n: Node): boolean {
  if (o.nodeType !== n.nodeType) return false;
  if (o.nodeType !== 1) return true;
  const a = o as Element;
  const b = n as Element;
  return a.localName === b.localName && a.namespaceURI === b.namespaceURI && key(a) === key(b);
}

/** Moves node n before ref, keeping the state of a live node (focus, iframes) where the browser can. */
export function moveBefore(parent: Node, n: Node, ref: Node | null): void {
  try {
    (parent as Element).moveBefore(n, ref);
  } catch {
    // no moveBefore, or not movable atomically (a new node, another document): insert
    parent.insertBefore(n, ref);
  }
}

/**
 * Morphs the live siblings from..to (inclusive; from null: none) of parent
 * into the children of src, the new nodes, which are moved into the DOM where no live node
 * matches. A keyed new node (data-key or id) takes the live node of its key
 * wherever it is among the siblings, which moves if it must; other nodes
 * match by position. keepOpen keeps the open attribute of details and
 * dialog elements that the new HTML lacks (the user opened them).
 */
export function morph(parent: Node, from: Node | null, to: Node | null, src: Node, map: NodeMap, keepOpen: boolean): void {
  const ref = to ? to.nextSibling : null;
  const news = Array.from(src.childNodes);
  const want = new Set(news.map(key));
  const keyed = new Map<string, Node>(); // live nodes of the keys that news has
  for (let n = from; n && n !== ref; n = n.nextSibling) {
    const k = key(n);
    if (k && want.has(k) && !keyed.has(k)) keyed.set(k, n);
  }
  const reserved = (x: Node) => keyed.get(key(x)) === x;
  // The live nodes before o are done; o and its next siblings up to ref are not matched yet.
  let o: Node | null = from ?? ref;
  for (const n of news) {
    const k = key(n);
    let m = keyed.get(k);
    if (m && same(m, n)) {
      keyed.delete(k);
      if (m === o) o = o.nextSibling;
      else {
        touch(parent);
        moveBefore(parent, m, o);
      }
      morphNode(m, n, map, keepOpen);
      continue;
    }
    if (o !== ref && o && !same(o, n) && !reserved(o)) {
      const next = o.nextSibling;
      if (next !== ref && next && same(next, n)) {
        // One live node too many here: drop it rather than lose the match that follows.
        touch(parent);
        (o as ChildNode).remove();
        o = next;
      }
    }
    if (o !== ref && o && same(o, n)) {
      m = o;
      o = o.nextSibling;
      morphNode(m, n, map, keepOpen);
    } else {
      touch(parent);
      parent.insertBefore(n, o);
    }
  }
  while (o !== ref && o) {
    const next: Node | null = o.nextSibling;
    touch(parent);
    (o as ChildNode).remove();
    o = next;
  }
}

/** Morphs the live node o into n, of the same kind. */
export function morphNode(o: Node, n: Node, map: NodeMap, keepOpen: boolean): void {
  map.set(n, o);
  if (implicit.has(n)) implicit.add(o);
  if (o.nodeType !== 1) {
    if (o.nodeType !== 10 && (o as CharacterData).data !== (n as CharacterData).data) {
      touch(o);
      (o as CharacterData).data = (n as CharacterData).data;
    }
    return;
  }
  const a = o as Element;
  const b = n as Element;
  syncAttrs(a, attrs(a), attrs(b), keepOpen);
  if (b.hasAttribute(IGNORE)) return; // the children are a script's
  if (a.localName === "textarea") syncText(a, b.textContent ?? "");
  else if (a.localName === "template") {
    if (a.innerHTML !== b.innerHTML) {
      touch(a);
      a.innerHTML = b.innerHTML;
    }
  } else morph(a, a.firstChild, a.lastChild, b, map, keepOpen);
}

/** An attribute, as a copy: the view compares the server's old and new attributes. */
export interface At {
  ns: string | null;
  n: string; // qualified name
  l: string; // local name
  v: string;
}

export function attrs(el: Element): At[] {
  return Array.from(el.attributes, (x) => ({ ns: x.namespaceURI, n: x.name, l: x.localName, v: x.value }));
}

function find(list: At[], x: At): At | undefined {
  return list.find((y) => y.l === x.l && y.ns === x.ns);
}

// Attributes whose setting has an effect even when the value is the same
// (a reload, a dialog's modality): never set again only to fix the order.
const RESET_HAS_EFFECT = /^(src|srcdoc|data|open)$/;

/**
 * Changes el's attributes from old to at, the server's: only those that
 * differ, so that what the user or other scripts changed stays. Attributes
 * after the first new one are set again, to keep the source order.
 * keepOpen keeps an open that the user gave a details or dialog. The
 * attributes that the server's lvt-ignore-attrs names are left as they are.
 */
export function syncAttrs(el: Element, old: At[], at: At[], keepOpen: boolean): void {
  let reorder = false;
  const skip = (at.find((x) => x.n === IGNORE_ATTRS)?.v ?? "").split(" ");
  for (const x of at) {
    if (skip.includes(x.n)) continue;
    const o = find(old, x);
    reorder ||= !o;
    if (o && o.v === x.v && (!reorder || RESET_HAS_EFFECT.test(x.l))) continue;
    touch(el);
    if (o && reorder) el.removeAttributeNS(x.ns, x.l);
    el.setAttributeNS(x.ns, x.n, x.v);
    if (o?.v !== x.v) syncProp(el, x.n, x.v);
  }
  for (const o of old) {
    if (skip.includes(o.n) || find(at, o) || (keepOpen && o.n === "open" && (el.localName === "details" || el.localName === "dialog"))) continue;
    touch(el);
    el.removeAttributeNS(o.ns, o.l);
    syncProp(el, o.n, null);
  }
  watch.kept?.(el);
}

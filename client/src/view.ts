// The DOM of one live page. The view holds the page's tree (tree.ts) and,
// for every value, where the DOM shows it (view-build.ts): a diff changes
// the tree and patches only those places. A text becomes one Text.data
// assignment, a row insert builds that row, a move or removal touches only
// that row's nodes, a value in a start tag recomputes that element's
// attributes. A value that the parser would not keep as one run of nodes is
// rebuilt with the nearest enclosing value that it does keep, or the page.
// Values inside an element with lvt-ignore change in the tree only.
import { Builder, Part, Span, dom } from "./view-build";
import type { Dom } from "./view-build";
import { attrs, implicit, morph, morphNode, moveBefore, syncAttrs, syncText, touch, watch } from "./morph";
import type { At, NodeMap } from "./morph";
import { IGNORE } from "./constants";
import { Statics, decode, decodeRow, fail, html, isFull, isObj, patch, patchRow, planRows, slotIndex } from "./tree";
import type { Comp, Frag, Obj, RowPlan, Val } from "./tree";

/** A full tree as the server sends it in render messages: {"s": statics, "f": root fragment}. */
export interface TreeMessage {
  s?: Record<string, string[]>;
  f: unknown;
}

/** A diff as the server sends it in diff messages: {"s"?: new statics, "f": root patch}. */
export type DiffMessage = TreeMessage;

let inertDoc: Document | undefined;

/** A document without a window, where parsed HTML loads nothing and runs nothing. */
function inert(): Document {
  return (inertDoc ??= document.implementation.createHTMLDocument(""));
}

/** Parses html as the content of an element like parent, as the page's parser would there. */
function parseIn(parent: Element, html: string): Element {
  const c = inert().createElementNS(parent.namespaceURI, parent.localName);
  c.innerHTML = html;
  return c;
}

// The character references that html/template writes in text.
const ENTITIES = new Map([
  ["&lt;", "<"],
  ["&gt;", ">"],
  ["&amp;", "&"],
  ["&#34;", '"'],
  ["&#39;", "'"],
  ["&#43;", "+"],
  ["&", "&"], // an ampersand that starts no reference
]);

/** The text of escaped HTML that holds no markup; null when it needs the parser. */
function plainText(v: string, dropLF: boolean): string | null {
  if (/[<\r\0]/.test(v)) return null;
  let ok = true;
  const t = v.indexOf("&") < 0 ? v : v.replace(/&[^;&\s<]*;?/g, (m) => ENTITIES.get(m) ?? ((ok = false), m));
  if (!ok) return null;
  return dropLF && t.charCodeAt(0) === 10 ? t.slice(1) : t;
}

/** Whether a text at the start of sp loses its first newline to the parser (first thing in a pre). */
function dropsLF(sp: Span): boolean {
  const p = sp.a.parentNode;
  if (!p || (p.nodeName !== "PRE" && p.nodeName !== "LISTING")) return false;
  for (let n = sp.a.previousSibling; n; n = n.previousSibling) if (n.nodeType !== 3 || (n as Text).data) return false;
  return true;
}

/** The nodes of span sp, in order. */
function nodes(sp: Span): Node[] {
  const out: Node[] = [];
  for (let n: Node | null = sp.a; n; n = n.nextSibling) {
    out.push(n);
    if (n === sp.z) break;
  }
  return out;
}

/** sp's bounds changed from oa..oz: enclosing spans that shared a bound follow. */
function lift(sp: Span, oa: Node, oz: Node): void {
  for (let s = sp.up; s; s = s.up) {
    let hit = false;
    if (s.a === oa) {
      s.a = sp.a;
      hit = true;
    }
    if (s.z === oz) {
      s.z = sp.z;
      hit = true;
    }
    if (!hit) break;
  }
}

const WS = /^[ \t\n\f\r]*$/;

/**
 * Rows are to go into span sp of a table that has no tbody there: puts sp's
 * nodes and the white space after them into a new tbody, as the parser does
 * at a table's first row. Null when the table's content after sp or an
 * enclosing span would not follow.
 */
function openBody(sp: Span): Element | null {
  const table = sp.a.parentNode as Element;
  const move: Node[] = [];
  for (let n: Node | null = sp.a, past = false; n; n = n.nextSibling) {
    if (past && (n.nodeType !== 3 || !WS.test((n as Text).data))) return null;
    move.push(n);
    past ||= n === sp.z;
  }
  for (let s = sp.up; s; s = s.up) if (move.includes(s.a) !== move.includes(s.z)) return null;
  const tb = table.ownerDocument.createElement("tbody");
  touch(table);
  implicit.add(tb);
  table.insertBefore(tb, sp.a);
  tb.append(...move);
  return tb;
}

/** Moves the nodes of tbody tb back into its table and removes it; enclosing spans of sp bound to it follow. */
function unwrap(tb: Element, sp: Span): void {
  for (let s: Span | null = sp; s; s = s.up) {
    if (s.a === tb) s.a = tb.firstChild as Node;
    if (s.z === tb) s.z = tb.lastChild as Node;
  }
  touch(tb);
  tb.replaceWith(...Array.from(tb.childNodes));
}

/** After span sp changed: an implicit tbody around it that holds no row any more goes, as the parser would not make it. */
function closeBody(sp: Span): void {
  const tb = sp.a.parentNode as Element;
  if (implicit.has(tb) && !tb.childElementCount) unwrap(tb, sp);
}

/** The source of part p: its fragment's statics and values from where it starts to where it ends. */
function source(st: Statics, p: Part, html: (v: Val) => string): string {
  const parts = st.get(p.f.s, p.f.v.length);
  let s = (parts[p.i] as string).slice(p.o);
  for (let i = p.i; i < p.j; i++) s += html(p.f.v[i] as Val) + (i + 1 < p.j ? parts[i + 1] : "");
  return s + (parts[p.j] as string).slice(0, p.p);
}

/** The DOM of one live page: the children of an element, or a whole document. */
export class View {
  readonly root: Element | Document;
  private st = new Statics();
  private tree_: Frag | null = null;
  private top_ = new Span(null, null, -1);
  private dirty_: (Span | Part)[] = [];
  private readonly nonce_ = Math.random().toString(36).slice(2, 10);
  private readonly attr_ = "data-lt" + this.nonce_;

  constructor(root: Element | Document) {
    this.root = root;
  }

  /** Whether the view holds the page's tree, so that diffs can apply. */
  get hasTree(): boolean {
    return this.tree_ !== null;
  }

  /**
   * Shows a full tree: morphs the DOM (the HTML the server sent, or what a
   * resync replaces) into the tree's HTML, keeping what the user is doing.
   */
  render(tree: TreeMessage): void {
    const st = new Statics();
    st.add(tree.s);
    if (!Array.isArray(tree.f)) fail("root");
    const root = decode(st, tree.f) as Frag;
    this.st = st;
    this.tree_ = root;
    this.guard_(() => this.fillRoot_(true));
  }

  /** Applies a diff to the tree and patches only what changed in the DOM. Throws when it does not fit the tree. */
  diff(d: DiffMessage): void {
    const root = this.tree_;
    if (!root) fail("diff: no tree");
    try {
      this.st.add(d.s);
      const f = d.f;
      this.guard_(() => {
        if (Array.isArray(f)) {
          this.tree_ = decode(this.st, f) as Frag;
          this.dirty_.push(this.top_);
        } else if (isObj(f) && !("r" in f)) this.patchFrag_(root, f);
        else fail("root");
        this.flush_();
      });
    } catch (e) {
      // The tree may be half changed: only a full tree can repair it.
      this.tree_ = null;
      this.dirty_.length = 0;
      throw e;
    }
  }

  /**
   * Runs fn, then gives the focus and the selection back to the element that
   * had them, if fn moved it, and ends the patch for the hooks.
   */
  private guard_(fn: () => void): void {
    const doc = this.root.ownerDocument ?? (this.root as Document);
    const el = doc.activeElement as HTMLInputElement | null;
    const sel = el && "selectionStart" in el ? [el.selectionStart, el.selectionEnd, el.selectionDirection] : null;
    try {
      fn();
      if (el && el !== doc.activeElement && el.isConnected) {
        el.focus({ preventScroll: true });
        if (sel) {
          try {
            el.setSelectionRange(sel[0] as number, sel[1] as number, (sel[2] ?? "none") as "none");
          } catch {
            // an input type without selection
          }
        }
      }
    } finally {
      watch.done?.(this.root);
    }
  }

  private html_ = (v: Val): string => html(this.st, v);

  private builder_(): Builder {
    return new Builder(this.st, this.nonce_);
  }

  /** Rebuilds the whole page from the tree, morphing the DOM into it. */
  private fillRoot_(keepOpen: boolean): void {
    const b = this.builder_();
    const top = (this.top_ = new Span(null, null, -1));
    b.frag(this.tree_ as Frag, top);
    const html = b.html(this.attr_);
    const map: NodeMap = new Map();
    const root = this.root;
    if (root.nodeType === 9) {
      const doc = new DOMParser().parseFromString(html, "text/html");
      b.bind(doc, this.attr_, []);
      morphNode((root as Document).documentElement, doc.documentElement, map, keepOpen);
    } else {
      const c = parseIn(root as Element, html);
      b.bind(c, this.attr_, []);
      morph(root, root.firstChild, root.lastChild, c, map, keepOpen);
    }
    top.a = top.z = root; // never a child: nested spans do not share it
    remap(b, map);
  }

  /**
   * Shows v in span sp: a text by setting the data of its Text node, else by
   * building v's DOM and morphing sp's nodes into it. False when v's HTML
   * would not come out of the parser as a run of nodes there: an enclosing
   * span must be rebuilt instead.
   */
  private fill_(sp: Span, v: Val): boolean {
    if (sp.ig) return true;
    let parent = sp.a.parentNode;
    let tb: Element | null = null;
    if (parent?.nodeName === "TABLE" && this.html_(v)) tb = parent = openBody(sp);
    if (!(parent instanceof Element)) return false;
    const lf = dropsLF(sp);
    // At the start of a pre, a value that turns empty or not changes whether the parser drops the first newline of what follows.
    if (lf && (sp.a === sp.z && !sp.a.textContent) !== !this.html_(v)) return false;
    // (Text directly in a table's parts would be moved out of the table by the parser: parseAt finds out.)
    if (typeof v === "string" && sp.a === sp.z && sp.a.nodeType === 3 && !/^T(ABLE|BODY|HEAD|FOOT|R)$/.test(parent.nodeName)) {
      const t = plainText(v, lf);
      if (t !== null) {
        if ((sp.a as Text).data !== t) {
          touch(sp.a);
          (sp.a as Text).data = t;
        }
        return true;
      }
    }
    const oa = sp.a;
    const oz = sp.z;
    const b = this.builder_();
    b.pre = lf ? 2 : 0;
    b.span(sp, v);
    const c = this.parseAt_(parent, b.html(this.attr_));
    if (sp.bad || !c || !b.bind(c, this.attr_, [sp])) {
      sp.bad = false;
      sp.a = oa;
      sp.z = oz;
      if (tb) unwrap(tb, sp);
      return false;
    }
    const map: NodeMap = new Map();
    morph(parent, oa, oz, c, map, false);
    remap(b, map);
    lift(sp, oa, oz);
    closeBody(sp);
    return true;
  }

  /**
   * Parses html as the page's parser would as the content of parent, in
   * place: after the start tags of parent and its ancestors, so that the
   * parser nests, closes and moves nodes as it does there. Returns the copy
   * of parent that holds the nodes, or null when the parser would not keep
   * them in parent: a table moves them out, an end tag closes parent, a
   * start tag closes a p, an li closes an li...
   */
  private parseAt_(parent: Element, html: string): Element | null {
    let open = "";
    let depth = 0;
    let ctx = parent;
    while (ctx !== this.root && !/^(BODY|HEAD|HTML)$/.test(ctx.nodeName)) {
      open = "<" + ctx.localName + ">" + open;
      depth++;
      const up = ctx.parentElement;
      if (!up) return null;
      ctx = up;
    }
    let c: Node = parseIn(ctx, open + html);
    for (; depth > 0; depth--) {
      if (c.childNodes.length !== 1) return null;
      c = c.firstChild as Node;
    }
    return c.nodeType === 1 ? (c as Element) : null;
  }

  /** Applies a fragment patch to f, a fragment that the DOM shows. */
  private patchFrag_(f: Frag, obj: unknown): void {
    if (!isObj(obj) || "r" in obj) fail("patch");
    const d = dom(f) as Dom;
    for (const k in obj) {
      const i = slotIndex(f, k);
      const ch = obj[k];
      const x = d.b[i];
      const cur = f.v[i] as Val;
      if (!(x instanceof Span)) {
        // An attribute, a raw text, or a value without a place of its own.
        f.v[i] = patch(this.st, cur, ch);
        this.dirty_.push(x ?? d.sp);
      } else if (isFull(ch)) {
        const v = decode(this.st, ch);
        f.v[i] = v;
        if (!this.fill_(x, v)) this.dirty_.push(d.sp);
      } else if (typeof cur === "string") fail("patch of a text");
      else if ("s" in cur) this.patchFrag_(cur, ch);
      else this.patchComp_(cur, ch as Obj, x);
    }
  }

  /** Applies a comprehension patch to c, whose rows span x shows. */
  private patchComp_(c: Comp, obj: Obj, x: Span): void {
    const plan = planRows(this.st, c.r, obj);
    if (x.ig) return this.purely_(c, plan);
    let parent = x.a.parentNode;
    let tb: Element | null = null;
    // The first rows of a table without a tbody go into one, as the parser's.
    if (!c.r.length && plan.rows.length && parent?.nodeName === "TABLE") tb = parent = openBody(x);
    const fresh = plan.places.filter((p) => p.isNew).map((p) => p.row);
    // (At the start of a pre, whichever row comes first loses its first newline to the parser: rebuild.)
    if (!(parent instanceof Element) || dropsLF(x) || (fresh.length && !this.buildRows_(fresh, x, parent))) {
      // Rows that the parser would not keep as they are here: rebuild the enclosing span.
      if (tb) unwrap(tb, x);
      this.purely_(c, plan);
      this.dirty_.push(x.up as Span);
      return;
    }
    if (plan.gone.length || plan.places.length) this.arrange_(c, plan, x, parent);
    closeBody(x);
    c.r = plan.rows;
    for (const [j, ch] of plan.updates) {
      const r = c.r[j] as Frag;
      if (!isFull(ch)) {
        this.patchFrag_(r, ch);
        continue;
      }
      if (!Array.isArray(ch)) fail("row");
      const nr = decodeRow(this.st, ch);
      const rs = (dom(r) as Dom).sp;
      c.r[j] = nr;
      rs.own = nr;
      if (!this.fill_(rs, nr)) this.dirty_.push(x);
    }
  }

  /** Removes, moves and inserts rows in the DOM as plan says. */
  private arrange_(c: Comp, plan: RowPlan, x: Span, parent: Element): void {
    const oa = x.a;
    const oz = x.z;
    const after = oz.nextSibling;
    touch(parent);
    for (const r of plan.gone) for (const n of nodes((dom(r) as Dom).sp)) (n as ChildNode).remove();
    const placed = new Map(plan.places.map((p) => [p.row, p.isNew]));
    const rows = plan.rows;
    let ref: Node | null = after;
    for (let j = rows.length - 1; j >= 0; j--) {
      const r = rows[j] as Frag;
      const rs = (dom(r) as Dom).sp;
      const isNew = placed.get(r);
      if (isNew !== undefined) for (const n of nodes(rs)) moveBefore(parent, n, ref);
      ref = rs.a;
    }
    if (!rows.length) {
      // An empty Text node keeps the place of the rows.
      x.a = x.z = (parent.ownerDocument as Document).createTextNode("");
      parent.insertBefore(x.a, after);
    } else {
      if (!c.r.length) (oa as ChildNode).remove(); // the empty Text node
      x.a = (dom(rows[0] as Frag) as Dom).sp.a;
      x.z = (dom(rows[rows.length - 1] as Frag) as Dom).sp.z;
    }
    lift(x, oa, oz);
  }

  /** Builds the DOM of new rows of span x in parent; false if the parser would not keep them as runs of nodes there. */
  private buildRows_(rows: Frag[], x: Span, parent: Element): boolean {
    const b = this.builder_();
    const spans = rows.map((r) => {
      const sp = new Span(x, r, -1);
      b.span(sp, r);
      return sp;
    });
    const c = this.parseAt_(parent, b.html(this.attr_));
    return !!c && b.bind(c, this.attr_, spans);
  }

  /** Applies a comprehension patch to the tree alone. */
  private purely_(c: Comp, plan: RowPlan): void {
    c.r = plan.rows;
    for (const [j, ch] of plan.updates) c.r[j] = patchRow(this.st, c.r[j] as Frag, ch);
  }

  /** Patches what the diff left to do: attributes and raw texts to recompute, spans to rebuild. */
  private flush_(): void {
    for (let i = 0; i < this.dirty_.length; i++) {
      const x = this.dirty_[i] as Span | Part;
      if (x instanceof Part) this.updatePart_(x);
      else if (x === this.top_) {
        this.fillRoot_(false);
        break; // everything is new
      } else if (live(x) && !this.fill_(x, x.k < 0 ? (x.own as Frag) : ((x.own as Frag).v[x.k] as Val))) {
        this.dirty_.push(x.up as Span);
      }
    }
    this.dirty_.length = 0;
  }

  /** Recomputes the attributes or the text of a part's element. */
  private updatePart_(p: Part): void {
    const d = dom(p.f);
    if (!d || d.b[p.i] !== p || p.ig) return; // rebuilt since, or ignored
    const src = source(this.st, p, this.html_);
    const el = p.el;
    if (p.raw) {
      syncText(el, rawText(el.localName, src));
      return;
    }
    const at = attrs(parseTag(el, src));
    try {
      syncAttrs(el, p.at, at, false);
      // lvt-ignore came or went: the element's children are to be bound again.
      if (ignores(p.at) !== ignores(at)) this.dirty_.push(d.sp);
      p.at = at;
    } catch {
      // A name that the parser takes and setAttribute does not: rebuild.
      this.dirty_.push(d.sp);
    }
  }
}

const ignores = (at: At[]) => at.some((x) => x.n === IGNORE);

/** Whether sp is still the binding of its value (not replaced by a rebuild of an enclosing span). */
function live(sp: Span): boolean {
  const d = sp.own && dom(sp.own);
  return !!d && (sp.k < 0 ? d.sp === sp : d.b[sp.k] === sp);
}

/** Points the bindings that a build made at the live nodes that the morph kept in place of the parsed ones. */
function remap(b: Builder, map: NodeMap): void {
  if (!map.size) return;
  for (const sp of b.spans) {
    sp.a = map.get(sp.a) ?? sp.a;
    sp.z = map.get(sp.z) ?? sp.z;
  }
  for (const p of b.parts) if (p.el) p.el = (map.get(p.el) as Element | undefined) ?? p.el;
}

let tpl: HTMLTemplateElement | undefined;

/** Parses html in an inert template; returns its content. */
function parseInert(html: string): DocumentFragment {
  tpl ??= inert().createElement("template");
  tpl.innerHTML = html;
  return tpl.content;
}

/** The element that a start tag src gives, parsed as for el's namespace (SVG and MathML fix the case of names). */
function parseTag(el: Element, src: string): Element {
  const rest = src.replace(/^<[^\s/>]+/, "");
  const ns = el.namespaceURI;
  if (ns === "http://www.w3.org/2000/svg") return (parseInert("<svg><g" + rest + "</svg>").firstChild as Element).firstChild as Element;
  if (ns === "http://www.w3.org/1998/Math/MathML") return (parseInert("<math><mi" + rest + "</math>").firstChild as Element).firstChild as Element;
  return parseInert("<i" + rest).firstChild as Element;
}

/** The text that the parser makes of raw text src in an element named tag (entities, a textarea's first newline). */
function rawText(tag: string, src: string): string {
  return parseInert("<" + tag + ">" + src + "</" + tag + ">").firstChild?.textContent ?? "";
}

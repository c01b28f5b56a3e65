// How the view builds DOM for a value of the tree and finds every value's
// place in it. The Builder writes the value's HTML with markers (comments
// around every value in text, an attribute on every element whose start tag
// or raw text holds values), parsing with the HTML tokenizer's state as it
// goes; the HTML is parsed, bind() turns the markers into bindings and
// removes them.
import { DATA, EV_CLOSE, EV_NAME, EV_OPEN, EV_RAW_END, EV_RAW_LT, RAW, Scanner, inTag } from "./html";
import type { Frag, Statics, Val } from "./tree";
import { attrs, implicit } from "./morph";
import type { At } from "./morph";
import { IGNORE } from "./constants";

/**
 * A run of sibling nodes, a to z, that shows one value in text: a slot's
 * value, a comprehension's row, or the page. Never empty: an empty Text node
 * stands for an empty value. Spans nest; a span that starts or ends where
 * its enclosing span (up) does shares that node with it.
 */
export class Span {
  a!: Node;
  z!: Node;
  /** The HTML did not come out as a run of siblings: the value is not addressable on its own. */
  bad = false;
  /** It is inside an element with lvt-ignore: patches change the value, not the DOM. */
  ig = false;
  /** Its number in the build that made it. */
  n = 0;
  constructor(
    public up: Span | null,
    public own: Frag | null, // the fragment whose slot k it shows, or (k < 0) the row it shows
    public k: number,
  ) {}
}

/**
 * An element whose start tag (or, raw, whose text: script, style, textarea,
 * title) holds values of fragment f: its source is f's statics and values
 * from statics[i] at offset o to statics[j] at offset p.
 */
export class Part {
  el!: Element;
  j = -1;
  p = 0;
  /** The start tag's attributes as the server last sent them. */
  at: At[] = [];
  /** Inside an element with lvt-ignore (a raw text: or with it itself): patches leave it. */
  ig = false;
  constructor(
    public f: Frag,
    public i: number,
    public o: number,
    public raw: boolean,
    public id: number, // the element's marker
  ) {}
}

/** The bindings of a fragment: the span that shows it, and how each slot is reached (null: by rebuilding sp). */
export interface Dom {
  sp: Span;
  b: (Span | Part | null)[];
}

export function dom(f: Frag): Dom | undefined {
  return f.d as Dom | undefined;
}

/** Builds the HTML of values with markers, then binds the parsed DOM. */
export class Builder extends Scanner {
  private out_: string[] = [];
  readonly spans: Span[] = [];
  private starts_: number[] = []; // chunk of each span's start marker
  readonly parts: Part[] = [];
  private ins_: number[] = []; // element markers: chunk, offset, id
  private els_ = 0;
  private pure_ = 0; // > 0: inside a value that has no binding of its own
  private cf: Frag | null = null; // the fragment whose static is being scanned (null: a value)
  private ci = 0; // and its index
  private cut_ = 0; // characters left out at the start of the current chunk
  private cl = 0; // the current chunk's length
  // The current start tag: where its "<" is (tf null: not in a static of a live fragment), where its name ends, its element id.
  private tf: Frag | null = null;
  private ti = 0;
  private to = 0;
  private tc = 0;
  private tn = 0;
  private tid_ = -1;
  private tag_: Part | null = null;
  // The current raw text: where it starts, its part, and where its last "<" was.
  private rf: Frag | null = null;
  private ri = 0;
  private ro = 0;
  private rawp_: Part | null = null;
  private lt: Frag | null = null;
  private lti_ = 0;
  private lto_ = 0;
  /** After a pre or listing start tag, whose first newline the parser drops; 2: a marker came since. */
  pre = 0;

  constructor(
    private tb: Statics,
    private nonce_: string,
  ) {
    super();
  }

  /** Writes f; sp (null: none) is the span that shows it. */
  frag(f: Frag, sp: Span | null): void {
    const parts = this.tb.get(f.s, f.v.length);
    const live = sp !== null && this.pure_ === 0;
    const d: Dom | undefined = live ? { sp, b: [] } : undefined;
    f.d = d;
    for (let i = 0; i < f.v.length; i++) {
      this.text_(parts[i] as string, f, i);
      if (d) d.b[i] = this.slot_(f, i, d);
      else this.value_(f.v[i] as Val, null);
    }
    this.text_(parts[f.v.length] as string, f, f.v.length);
  }

  /** Writes slot i of a live fragment and returns its binding. */
  private slot_(f: Frag, i: number, d: Dom): Span | Part | null {
    const v = f.v[i] as Val;
    if (this.s === DATA) {
      const sp = new Span(d.sp, f, i);
      this.span(sp, v);
      return sp;
    }
    let part: Part | null = null;
    if (inTag(this.s) && this.tf === f) {
      part = this.tag_ || (this.tag_ = this.part_(new Part(f, this.ti, this.to, false, this.elemId_())));
    } else if (this.s === RAW && this.rf === f) {
      part = this.rawp_ || (this.rawp_ = this.part_(new Part(f, this.ri, this.ro, true, this.elemId_())));
    }
    this.pure_++;
    this.value_(v, null);
    this.pure_--;
    return part;
  }

  private part_(p: Part): Part {
    this.parts.push(p);
    return p;
  }

  /** Writes v between the markers of span sp. */
  span(sp: Span, v: Val): void {
    const id = (sp.n = this.spans.push(sp) - 1);
    this.starts_.push(this.out_.length);
    this.out_.push("<!--" + this.nonce_ + id + "-->");
    if (this.pre) this.pre = 2;
    this.value_(v, sp);
    if (this.s === DATA) this.out_.push("<!--" + this.nonce_ + "/" + id + "-->");
    else {
      // The value ends elsewhere than in text: it cannot be a run of nodes.
      this.out_[this.starts_[id] as number] = "";
      sp.bad = true;
    }
  }

  private value_(v: Val, sp: Span | null): void {
    if (typeof v === "string") this.text_(v, null, 0);
    else if ("s" in v) this.frag(v, sp);
    else
      for (const r of v.r) {
        if (sp && !this.pure_) this.span(new Span(sp, r, -1), r);
        else this.frag(r, null);
      }
  }

  /** Writes and scans t: statics[i] of f, or a value (f null). */
  private text_(t: string, f: Frag | null, i: number): void {
    if (!t) return;
    this.cf = this.pure_ ? null : f;
    this.ci = i;
    this.cut_ = 0;
    if (this.pre) {
      if (this.pre === 2 && t.charCodeAt(0) === 10) this.cut_ = 1;
      this.pre = 0;
    }
    this.out_.push(this.cut_ ? t.slice(1) : t);
    this.cl = t.length;
    this.scan(t);
  }

  private elemId_(): number {
    if (this.tid_ < 0) {
      this.tid_ = this.els_++;
      this.ins_.push(this.tc, this.tn, this.tid_);
    }
    return this.tid_;
  }

  protected ev(kind: number, i: number): void {
    const f = i < 0 ? null : this.cf;
    switch (kind) {
      case EV_OPEN:
        this.tf = f;
        this.ti = this.ci;
        this.to = i;
        this.tid_ = -1;
        this.tag_ = null;
        this.pre = 0;
        break;
      case EV_NAME:
        this.tc = this.out_.length - 1;
        this.tn = i - this.cut_;
        break;
      case EV_CLOSE:
        if (this.tag_) this.end_(this.tag_, f, i);
        this.tag_ = null;
        this.rf = f;
        this.ri = this.ci;
        this.ro = i;
        this.rawp_ = null;
        if ((this.name === "pre" || this.name === "listing") && i === this.cl) this.pre = 1;
        break;
      case EV_RAW_LT:
        this.lt = f;
        this.lti_ = this.ci;
        this.lto_ = i;
        break;
      case EV_RAW_END:
        if (this.rawp_) this.end_(this.rawp_, this.lt, this.lto_, this.lti_);
        this.rawp_ = null;
    }
  }

  /** The part p ends at offset o of static i (default: the current one) of f, which must be p's own fragment. */
  private end_(p: Part, f: Frag | null, o: number, i = this.ci): void {
    if (f === p.f) {
      p.j = i;
      p.p = o;
    } else drop(p);
  }

  /** The HTML written, with the element markers. */
  html(attr: string): string {
    const out = this.out_;
    for (let k = this.ins_.length - 3; k >= 0; k -= 3) {
      const c = this.ins_[k] as number;
      const o = this.ins_[k + 1] as number;
      const s = out[c] as string;
      out[c] = s.slice(0, o) + " " + attr + "=" + this.ins_[k + 2] + s.slice(o);
    }
    return out.join("");
  }

  /**
   * Binds the spans and parts to the parsed DOM under root and removes the
   * markers. tops are the spans written at the top (their markers must be
   * root's children, in order, covering all of them); false if one is bad.
   */
  bind(root: ParentNode, attr: string, tops: Span[]): boolean {
    const doc = (root.ownerDocument ?? root) as Document;
    const starts: Comment[] = [];
    const ends: Comment[] = [];
    const markers = new Set<Node>();
    const w = doc.createTreeWalker(root, 128 /* NodeFilter.SHOW_COMMENT */);
    const nl = this.nonce_.length;
    for (let n = w.nextNode() as Comment | null; n; n = w.nextNode() as Comment | null) {
      const d = n.data;
      if (!d.startsWith(this.nonce_)) continue;
      markers.add(n);
      if (d.charCodeAt(nl) === 47) ends[+d.slice(nl + 1)] = n;
      else starts[+d.slice(nl)] = n;
    }
    const topSet = new Set(tops);
    for (let id = this.spans.length - 1; id >= 0; id--) {
      const sp = this.spans[id] as Span;
      const s = starts[id];
      const e = ends[id];
      if (!sp.bad && s && e && (s.parentNode === e.parentNode || fixTable(s, e, markers))) anchor(sp, s, e, markers);
      else broken(sp, topSet);
    }
    let ok = tops.every((sp) => !sp.bad);
    if (ok && tops.length) {
      ok = root.firstChild === starts[(tops[0] as Span).n] && root.lastChild === ends[(tops[tops.length - 1] as Span).n];
      for (let t = 0; ok && t + 1 < tops.length; t++) ok = ends[(tops[t] as Span).n]?.nextSibling === starts[(tops[t + 1] as Span).n];
    }
    for (const m of markers) (m as ChildNode).remove();
    const els: Element[] = [];
    for (const el of Array.from(root.querySelectorAll("[" + attr + "]"))) {
      els[+(el.getAttribute(attr) as string)] = el;
      el.removeAttribute(attr);
    }
    for (const p of this.parts) {
      const el = els[p.id];
      if (p.j < 0 || !el) drop(p);
      else {
        p.el = el;
        if (!p.raw) p.at = attrs(el);
      }
    }
    // Where the parsed HTML has ignored regions, the values inside them are
    // found there, whatever scripts did to the live DOM since.
    if (root.querySelector(`[${IGNORE}]`)) {
      for (const sp of this.spans) if (!sp.bad) sp.ig = ignored(sp.a.parentNode);
      for (const p of this.parts) if (p.el) p.ig = ignored(p.raw ? p.el : p.el.parentNode);
    }
    return ok;
  }
}

/** Whether n is an element with lvt-ignore or inside one. */
function ignored(n: Node | null): boolean {
  return !!(n as Element | null)?.closest?.(`[${IGNORE}]`);
}

/** A part that cannot be recomputed on its own: its slots rebuild the fragment's span. */
function drop(p: Part): void {
  const d = dom(p.f);
  if (d) d.b = d.b.map((x) => (x === p ? null : x));
  p.j = -2;
}

/** A span whose markers did not come out as siblings: its value is rebuilt with its enclosing span. */
function broken(sp: Span, tops: Set<Span>): void {
  sp.bad = true;
  if (tops.has(sp)) return;
  const d = sp.own && dom(sp.own);
  if (sp.k >= 0) {
    if (d && d.b[sp.k] === sp) d.b[sp.k] = null;
  } else if (sp.up) broken(sp.up, tops); // a row: its comprehension cannot change row by row
}

/**
 * The parser put the start marker of rows in a table and the rows, with the
 * end marker, in the tbody it added: moves the start marker (and markers
 * between) into the tbody, where the rows are.
 */
function fixTable(s: Node, e: Node, markers: Set<Node>): boolean {
  const tb = e.parentNode;
  if (!tb || tb.nodeName !== "TBODY" || s.parentNode?.nodeName !== "TABLE" || tb.parentNode !== s.parentNode) return false;
  const move: Node[] = [];
  for (let n: Node | null = s; n !== tb; n = n.nextSibling) {
    if (!n || !markers.has(n)) return false;
    move.push(n);
  }
  for (let k = move.length - 1; k >= 0; k--) tb.insertBefore(move[k] as Node, tb.firstChild);
  implicit.add(tb);
  return true;
}

/** Sets sp to the nodes between its markers, with an empty Text node when there are none. */
function anchor(sp: Span, s: Node, e: Node, markers: Set<Node>): void {
  const parent = s.parentNode as Node;
  let a = s.nextSibling as Node;
  while (a !== e && markers.has(a)) a = a.nextSibling as Node;
  if (a === e) {
    a = (parent.ownerDocument as Document).createTextNode("");
    parent.insertBefore(a, e);
    sp.a = sp.z = a;
  } else {
    let z = e.previousSibling as Node;
    while (markers.has(z)) z = z.previousSibling as Node;
    sp.a = a;
    sp.z = z;
  }
}


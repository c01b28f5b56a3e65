// The page's tree as the client holds it: the statics table, the values, and
// the pure operations of docs/protocol.md (decode a full value, apply a
// patch, plan a comprehension patch, write the HTML). It is the TypeScript
// twin of internal/replica; the DOM view (view.ts) drives these operations
// and patches the DOM beside them.

/** A value: text (already escaped HTML), a fragment, or a comprehension. */
export type Val = string | Frag | Comp;

/** A fragment: statics id and its values; `d` is the view's DOM binding. */
export interface Frag {
  s: number;
  v: Val[];
  d?: unknown;
}

/** A comprehension: its rows, each a fragment. */
export interface Comp {
  r: Frag[];
}

/** A JSON object as JSON.parse makes it. */
export type Obj = { [k: string]: unknown };

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a change replaces the value in full (text, fragment, comprehension) rather than patching it. */
export function isFull(change: unknown): boolean {
  return !isObj(change) || "r" in change;
}

/** Throws: the message does not fit the tree (what names the part that does not). */
export function fail(what: string): never {
  throw new Error("livetemplate: bad " + what);
}

/** The statics table of one page: statics id to the strings between values. */
export class Statics {
  private t: string[][] = [];

  /** Adds the definitions of a message's "s". */
  add(s: unknown): void {
    if (s === undefined || s === null) return;
    if (!isObj(s)) fail("statics");
    for (const id in s) {
      const parts = s[id];
      const sid = Number(id);
      if (!Number.isInteger(sid) || sid < 0 || !Array.isArray(parts) || !parts.every((p) => typeof p === "string")) {
        fail("statics " + id);
      }
      this.t[sid] = parts as string[];
    }
  }

  /** The statics of sid, checked against a fragment of n values. */
  get(sid: number, n: number): string[] {
    const parts = this.t[sid];
    if (!parts) fail("statics " + sid);
    if (parts.length !== n + 1) fail("statics " + sid);
    return parts;
  }
}

/** Turns a full value from JSON into a Val, checking it against the statics. */
export function decode(st: Statics, v: unknown): Val {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return decodeFrag(st, v);
  if (isObj(v) && Array.isArray(v["r"])) return { r: v["r"].map((r: unknown) => decodeRow(st, r)) };
  return fail("value");
}

function decodeFrag(st: Statics, a: unknown[]): Frag {
  const sid = a[0];
  if (typeof sid !== "number") fail("fragment");
  const v: Val[] = [];
  for (let i = 1; i < a.length; i++) v.push(decode(st, a[i]));
  st.get(sid, v.length);
  return { s: sid, v };
}

/** A row: a full fragment. */
export function decodeRow(st: Statics, r: unknown): Frag {
  if (!Array.isArray(r)) fail("row");
  return decodeFrag(st, r);
}

/** Slot index of a fragment patch key, checked. */
export function slotIndex(f: Frag, k: string): number {
  const i = Number(k);
  if (!Number.isInteger(i) || i < 0 || i >= f.v.length) fail("slot " + k);
  return i;
}

/** Applies a change to cur without any DOM: the value cur becomes. */
export function patch(st: Statics, cur: Val, change: unknown): Val {
  if (isFull(change)) return decode(st, change);
  const obj = change as Obj;
  if (typeof cur === "string") return fail("patch");
  if ("s" in cur) {
    for (const k in obj) {
      const i = slotIndex(cur, k);
      cur.v[i] = patch(st, cur.v[i] as Val, obj[k]);
    }
    return cur;
  }
  const plan = planRows(st, cur.r, obj);
  cur.r = plan.rows;
  for (const [j, ch] of plan.updates) cur.r[j] = patchRow(st, cur.r[j] as Frag, ch);
  return cur;
}

/** Applies a row change: a fragment patch, or a full fragment. */
export function patchRow(st: Statics, row: Frag, change: unknown): Frag {
  const v = patch(st, row, change);
  if (typeof v === "string" || !("s" in v)) fail("row");
  return v;
}

/** A placement of a comprehension patch: a kept row moved, or a new one. */
export interface Place {
  to: number;
  row: Frag;
  isNew: boolean;
}

/** What a comprehension patch does: the rows removed, the placements, the new list, and the row updates ("u", by new index). */
export interface RowPlan {
  gone: Frag[];
  places: Place[];
  rows: Frag[];
  updates: [number, unknown][];
}

/**
 * Plans a comprehension patch (docs/protocol.md, "Comprehension patch"):
 * "d" removes rows by old index, "p" places moved rows (by index among the
 * rows left) and new rows at ascending new indices, "u" updates rows by new
 * index. Everything is checked before anything changes.
 */
export function planRows(st: Statics, old: Frag[], obj: Obj): RowPlan {
  const gone: Frag[] = [];
  let left = old;
  const d = obj["d"];
  if (d !== undefined) {
    const dead = new Set<number>();
    for (const i of ints(d)) {
      if (i < 0 || i >= old.length || dead.has(i)) fail("delete " + i);
      dead.add(i);
    }
    left = old.filter((r, i) => (dead.has(i) ? (gone.push(r), false) : true));
  }
  const places: Place[] = [];
  let rows = left;
  const p = obj["p"];
  if (p !== undefined) {
    if (!Array.isArray(p)) fail("placements");
    const moved = new Set<number>();
    for (const e of p) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "number") fail("placement");
      const from: unknown = e[1];
      if (typeof from === "number") {
        if (!Number.isInteger(from) || from < 0 || from >= left.length || moved.has(from)) fail("move " + from);
        moved.add(from);
        places.push({ to: e[0], row: left[from] as Frag, isNew: false });
      } else {
        places.push({ to: e[0], row: decodeRow(st, from), isNew: true });
      }
    }
    rows = left.filter((_, i) => !moved.has(i));
    let last = -1;
    for (const pl of places) {
      if (!Number.isInteger(pl.to) || pl.to < last || pl.to > rows.length) fail("placement " + pl.to);
      last = pl.to;
      rows.splice(pl.to, 0, pl.row);
    }
  }
  const updates: [number, unknown][] = [];
  const u = obj["u"];
  if (u !== undefined) {
    if (!isObj(u)) fail("updates");
    for (const k in u) {
      const j = Number(k);
      if (!Number.isInteger(j) || j < 0 || j >= rows.length) fail("update " + k);
      updates.push([j, u[k]]);
    }
  }
  return { gone, places, rows: rows === old ? old.slice() : rows, updates };
}

function ints(v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((i) => Number.isInteger(i))) fail("indices");
  return v as number[];
}

/** The HTML a value stands for. */
export function html(st: Statics, v: Val): string {
  if (typeof v === "string") return v;
  if ("s" in v) {
    const parts = st.get(v.s, v.v.length);
    let out = parts[0] as string;
    for (let i = 0; i < v.v.length; i++) out += html(st, v.v[i] as Val) + parts[i + 1];
    return out;
  }
  let out = "";
  for (const r of v.r) out += html(st, r);
  return out;
}

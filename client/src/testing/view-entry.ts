// Test entry: the DOM view on window, with a runner that the Go browser tests
// call to replay message sequences and compare the DOM with html/template's;
// and the page sync's step function, with a runner that replays inputs.
import { step, type Action, type Input, type SyncState } from "../sync";
import { View } from "../view";
import type { TreeMessage } from "../view";

/** One sequence to replay: each step's message (null: no change) and html/template's HTML for it. */
interface Case {
  name: string;
  doc?: boolean; // a whole document as the view's root
  renders?: boolean; // every third step renders its full tree over the DOM (a resync) instead of applying its diff
  steps: { message: TreeMessage | null; html: string; full?: TreeMessage }[];
}

/** A step whose DOM differs from html/template's, or that threw. */
interface Failure {
  name: string;
  step: number;
  got: string;
  want: string;
}

/** The serialization of the DOM that Chromium builds from html, in the same kind of root. */
function oracle(html: string, doc: boolean): string {
  if (doc) return serializeDoc(new DOMParser().parseFromString(html, "text/html"));
  const div = document.createElement("div");
  div.innerHTML = html;
  return div.innerHTML;
}

function serializeDoc(d: Document): string {
  return (d.doctype ? "<!DOCTYPE " + d.doctype.name + ">" : "") + d.documentElement.outerHTML;
}

/** What the view did during the diffs of the last run: how it reached the DOM (misses: fills that failed, so that an enclosing value was rebuilt). */
const stats = { diffs: 0, roots: 0, fills: 0, misses: 0, kept: 0, created: 0 };

// Counts the view's whole-page rebuilds and value rebuilds (its private
// methods, wrapped here only: the view itself has no debug hooks).
const proto = View.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
for (const name of ["fillRoot", "fill"] as const) {
  const fn = proto[name] as (...args: unknown[]) => unknown;
  proto[name] = function (this: unknown, ...args: unknown[]) {
    if (counting) stats[name === "fill" ? "fills" : "roots"]++;
    const ok = fn.apply(this, args);
    if (counting && ok === false) stats.misses++;
    return ok;
  };
}
let counting = false;

/** Starts counting (and zeroes the counts) or stops, for tests that drive a view themselves. */
function count(on: boolean): void {
  if (on) for (const k in stats) stats[k as keyof typeof stats] = 0;
  counting = on;
}

const stamp = new WeakSet<Node>();

/** Counts the nodes under root that were there before (stamped) and the new ones, and stamps them all. */
function census(root: Node, count: boolean): void {
  const w = document.createTreeWalker(root);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    if (count) stats[stamp.has(n) ? "kept" : "created"]++;
    stamp.add(n);
  }
}

/** Replays the cases; every step's DOM must equal the oracle's. */
function run(cases: Case[]): Failure[] {
  const failures: Failure[] = [];
  for (const k in stats) stats[k as keyof typeof stats] = 0;
  for (const c of cases) {
    const doc = !!c.doc;
    const root: Element | Document = doc ? document.implementation.createHTMLDocument("") : document.createElement("div");
    if (!doc) document.body.appendChild(root as Element);
    const view = new View(root);
    c.steps.forEach((s, i) => {
      let got: string;
      try {
        if (s.message || (c.renders && i % 3 === 0)) {
          if (i === 0) view.render(s.message as TreeMessage);
          else if (c.renders && i % 3 === 0 && s.full) view.render(s.full);
          else {
            stats.diffs++;
            counting = true;
            view.diff(s.message as TreeMessage);
            counting = false;
          }
          census(root, i > 0);
        }
        got = doc ? serializeDoc(root as Document) : (root as Element).innerHTML;
      } catch (e) {
        got = "THREW " + String(e) + (e instanceof Error ? " " + e.stack : "");
      }
      const want = oracle(s.html, doc);
      if (got !== want) failures.push({ name: c.name, step: i, got, want });
    });
    if (!doc) (root as Element).remove();
  }
  return failures;
}

/** One step of a sync replay: the actions, each as one line, and the state after. */
interface SyncStep {
  acts: string[];
  state: SyncState;
}

/** An action as one line: what, the page, and its version or code. */
function line(a: Action): string {
  const extra = "v" in a ? ` v${a.v}` : "code" in a ? ` ${a.code}` : "event" in a ? ` ${a.event}` : "";
  return `${a.do} ${a.name}${extra}`;
}

/** Freezes o and everything in it, so that a step that changed its state throws. */
function freeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) freeze(v);
  }
  return o;
}

/** Replays inputs from an empty sync, each on the frozen state the last one returned. */
function runSync(inputs: Input[]): SyncStep[] {
  let s: SyncState = {};
  return inputs.map((input) => {
    const [next, acts] = step(freeze(s), input);
    s = next;
    return { acts: acts.map(line), state: next };
  });
}

declare global {
  interface Window {
    LTSync: typeof runSync;
    LTView: typeof View;
    LTRun: typeof run;
    LTStats: typeof stats;
    LTOracle: typeof oracle;
    LTCount: typeof count;
    LTLoads?: number;
  }
}

window.LTView = View;
window.LTSync = runSync;
window.LTRun = run;
window.LTStats = stats;
window.LTOracle = oracle;
window.LTCount = count;
// How many times this script ran: a patch must never run a script again.
window.LTLoads = (window.LTLoads ?? 0) + 1;

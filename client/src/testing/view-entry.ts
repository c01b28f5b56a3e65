// Test entry: the DOM view on window, with a runner that the Go browser tests
// call to replay message sequences and compare the DOM with html/template's.
import { View } from "../view";
import type { TreeMessage } from "../view";

/** One sequence to replay: each step's message (null: no change) and html/template's HTML for it. */
interface Case {
  name: string;
  doc?: boolean; // a whole document as the view's root
  steps: { message: TreeMessage | null; html: string }[];
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

/** Replays the cases; every step's DOM must equal the oracle's. */
function run(cases: Case[]): Failure[] {
  const failures: Failure[] = [];
  for (const c of cases) {
    const doc = !!c.doc;
    const root: Element | Document = doc ? document.implementation.createHTMLDocument("") : document.createElement("div");
    if (!doc) document.body.appendChild(root as Element);
    const view = new View(root);
    c.steps.forEach((s, i) => {
      let got: string;
      try {
        if (s.message) {
          if (i === 0) view.render(s.message);
          else view.diff(s.message);
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

declare global {
  interface Window {
    LTView: typeof View;
    LTRun: typeof run;
  }
}

window.LTView = View;
window.LTRun = run;

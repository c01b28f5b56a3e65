// The upload chunk: the browser's half of uploads, loaded on demand (upload.ts)
// as an ES module from the client's own URL with the query "upload", once a
// live root has an [lvt-upload] element. Files chosen in an
// <input type="file" lvt-upload="name">, dropped or pasted on an element with
// lvt-upload-drop="name" are checked against the page's declaration (the
// joined message's uploads: accept, size, count) before a byte is sent; then
// the page's connection asks leave for them (the upload frame, answered by
// ref with a token per file), and each file goes to the server over HTTP
// with tus (uploadtus.ts), from this tab, whichever tab leads. The chunk
// shows progress, previews and results on the page and tells hooks by DOM
// events (docs/client.md, "Uploads").

import { accepts, bytes, refusals, type UploadSpec } from "./uploadspec";
import { PutUpload, TusError, TusUpload, type FileUpload, type PutTarget, type TusResult } from "./uploadtus";

export type { UploadSpec };

/** What the chunk needs of the client whose page has uploads. */
export interface UploadHost {
  readonly root: Element | Document;
  /** The page's declared uploads by name, from its joined message; undefined before it. */
  specs(): Record<string, UploadSpec> | undefined;
  /** Writes a client message on the page's connection (the page's name added); false when none is open. */
  send(m: object): boolean;
}

/** What the client tells the chunk. */
export interface UploadSink {
  /** A server message about an upload ask: an upload answer, or an error with its ref. */
  frame(m: object): void;
  /** The page is joined on a new connection: asks without their answer are sent again. */
  connected(): void;
  /** The page is left: uploads under way are canceled, listeners removed. */
  close(): void;
}

// Attribute names (docs/client.md lists them with the events and CSS properties).
const UPLOAD = "lvt-upload";
const DROP = "lvt-upload-drop";
const LIST = "lvt-upload-list";
const PROGRESS = "lvt-upload-progress";
const ERROR = "lvt-upload-error";
const CANCEL = "lvt-upload-cancel";
const STATE = "data-lvt-upload-state";
const PERCENT = "data-lvt-upload-percent";
const LOADED = "data-lvt-upload-loaded";
const SIZE = "data-lvt-upload-size";
const OVER = "data-lvt-upload-over";
const CSS_PROGRESS = "--lvt-upload-progress";
/** Codes of refusals that are for now: the ask is sent again after retry_after, or about RETRY ms. */
const AGAIN = ["not_joined", "rate_limited", "unavailable", "upload_limit"];
const RETRY = 1_000;
const MAX_ASKS = 10;

/** A file's state: chosen and waiting (for its form's submit), asking, uploading, done, rejected, failed, canceled. */
type State = "queued" | "asking" | "uploading" | "done" | "rejected" | "error" | "canceled";

interface Item {
  readonly file: File;
  readonly name: string; // the upload name
  readonly source: Element; // the input or drop element it came from
  state: State;
  loaded: number;
  id: string;
  up: FileUpload | null;
  el: HTMLElement | null; // its entry in the lists
  preview: string; // its object URL, "" when none
}

/** The server's leave to upload one file: put when it goes straight to storage. */
interface Grant extends Partial<PutTarget> {
  id: string;
  token: string;
}

/** The answer of the server to an upload ask. */
interface Answer {
  type: string;
  ref?: string;
  endpoint?: string;
  files?: Grant[];
  code?: string;
  message?: string;
  retry_after?: number;
}

interface Ask {
  m: { type: "upload"; ref: string; name: string; files: { name: string; size: number; type: string }[] };
  resolve(a: Answer): void;
  reject(e: TusError): void;
  tries: number;
}

/** Starts the uploads of host's page. */
export function start(host: UploadHost): UploadSink {
  return new Uploads(host);
}

class Uploads implements UploadSink {
  private readonly items_: Item[] = [];
  private readonly asks_ = new Map<string, Ask>();
  private readonly passing_ = new WeakSet<HTMLFormElement>(); // forms whose files are uploaded: their submit goes on
  private readonly off_: (() => void)[] = [];
  private refs_ = 0;

  constructor(private readonly host_: UploadHost) {
    const r = host_.root;
    this.listen_(r, "change", (e) => this.changed_(e), false);
    this.listen_(r, "click", (e) => this.clicked_(e), false);
    this.listen_(r, "dragover", (e) => this.dragged_(e as DragEvent, true), false);
    this.listen_(r, "dragleave", (e) => this.dragged_(e as DragEvent, false), false);
    this.listen_(r, "drop", (e) => this.dropped_(e as DragEvent), false);
    this.listen_(document, "paste", (e) => this.pasted_(e as ClipboardEvent), false); // a paste goes to the focused element, or the body
    this.listen_(r, "submit", (e) => this.submitted_(e as SubmitEvent), true); // before the bindings' submit
    // Files chosen while the chunk loaded: their change came before its listener.
    for (const t of r.querySelectorAll<HTMLInputElement>(`input[type=file][${UPLOAD}]`)) if (t.files?.length) this.picked_(t);
  }

  frame(m: object): void {
    const a = m as Answer;
    const ask = this.asks_.get(a.ref ?? "");
    if (!ask) return;
    if (a.type === "upload") {
      this.asks_.delete(ask.m.ref);
      ask.resolve(a);
      return;
    }
    const code = a.code ?? "error";
    if (AGAIN.includes(code) && (code !== "upload_limit" || a.retry_after) && ++ask.tries < MAX_ASKS) {
      setTimeout(() => this.asks_.get(ask.m.ref) === ask && this.host_.send(ask.m), Math.max(a.retry_after ?? 0, RETRY * (0.5 + Math.random())));
      return;
    }
    this.asks_.delete(ask.m.ref);
    ask.reject(new TusError(code, a.message ?? code));
  }

  connected(): void {
    for (const a of this.asks_.values()) this.host_.send(a.m);
  }

  close(): void {
    for (const off of this.off_.splice(0)) off();
    for (const it of this.items_) if (it.state === "uploading" || it.state === "asking") this.cancel_(it);
    for (const a of this.asks_.values()) a.reject(new TusError("canceled", "the page was left"));
    this.asks_.clear();
  }

  private listen_(t: EventTarget, type: string, fn: (e: Event) => void, capture: boolean): void {
    t.addEventListener(type, fn, capture);
    this.off_.push(() => t.removeEventListener(type, fn, capture));
  }

  private spec_(name: string): UploadSpec {
    return this.host_.specs()?.[name] ?? {};
  }

  private changed_(e: Event): void {
    const t = e.target;
    if (t instanceof HTMLInputElement && t.type === "file" && t.hasAttribute(UPLOAD)) this.picked_(t);
  }

  // picked takes the files chosen in the upload input t.
  private picked_(t: HTMLInputElement): void {
    this.choose_(t.getAttribute(UPLOAD) ?? "", [...(t.files ?? [])], t);
    if (this.spec_(t.getAttribute(UPLOAD) ?? "").auto !== false) t.value = ""; // the same file may be chosen again
  }

  private dragged_(e: DragEvent, over: boolean): void {
    const z = dropZone(e.target);
    if (!z || !e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault(); // a drop here is ours, not the browser's navigation to the file
    z.toggleAttribute(OVER, over);
  }

  private dropped_(e: DragEvent): void {
    const z = dropZone(e.target);
    if (!z || !e.dataTransfer?.files.length) return;
    e.preventDefault();
    z.removeAttribute(OVER);
    this.choose_(z.getAttribute(DROP) ?? "", [...e.dataTransfer.files], z);
  }

  // pasted takes pasted files for the drop zone of the root that the paste is in, or else for the
  // root's only one, unless the paste is in another zone.
  private pasted_(e: ClipboardEvent): void {
    const files = [...(e.clipboardData?.files ?? [])];
    const r = this.host_.root;
    if (!files.length || e.defaultPrevented) return;
    const zones = r.querySelectorAll(`[${DROP}]`);
    const at = dropZone(e.target);
    const z = at ? (r.contains(at) ? at : null) : zones.length === 1 ? zones[0]! : null;
    if (!z) return;
    e.preventDefault();
    this.choose_(z.getAttribute(DROP) ?? "", files, z);
  }

  private clicked_(e: Event): void {
    const b = e.target instanceof Element ? e.target.closest(`[${CANCEL}]`) : null;
    const it = b && this.items_.find((i) => i.el?.contains(b));
    if (!it) return;
    e.preventDefault();
    if (it.state === "queued" || it.state === "asking" || it.state === "uploading") this.cancel_(it);
    else this.drop_(it);
  }

  // choose checks files for name and adds them; with auto, they go at once.
  private choose_(name: string, files: File[], source: Element): void {
    const spec = this.spec_(name);
    const specs = this.host_.specs();
    this.showError_(name, "");
    for (const it of this.items_.filter((i) => i.name === name && !live(i))) this.drop_(it);
    const queued = this.items_.filter((i) => i.name === name && i.state === "queued");
    if (spec.auto === false) for (const it of queued.splice(0)) this.drop_(it); // a new choice replaces the one waiting
    const no = specs && !specs[name] ? [`${name}: no such upload`] : refusals(files, spec, queued.length);
    if (no.length) {
      this.showError_(name, no.join("; "));
      this.emit_(source, "lvt:upload-error", { name, code: "upload_refused", message: no.join("; ") });
      return;
    }
    const added = files.map((file) => this.add_(name, file, source));
    if (spec.auto !== false) void this.upload_(name, added);
  }

  private add_(name: string, file: File, source: Element): Item {
    const it: Item = { file, name, source, state: "queued", loaded: 0, id: "", up: null, el: null, preview: "" };
    if (accepts(file, ["image/*"])) it.preview = URL.createObjectURL(file);
    this.items_.push(it);
    it.el = this.entry_(it);
    this.set_(it, "queued");
    return it;
  }

  // upload asks leave for the items and uploads them, each on its own; resolves once all ended.
  private async upload_(name: string, items: Item[]): Promise<void> {
    for (const it of items) this.set_(it, "asking");
    let a: Answer;
    try {
      a = await this.ask_(name, items);
    } catch (e) {
      const err = e as TusError;
      for (const it of items) if (it.state === "asking") this.fail_(it, err);
      this.showError_(name, err.message);
      return;
    }
    await Promise.all(items.map((it, i) => this.send_(it, a.endpoint ?? "", a.files?.[i])));
  }

  private ask_(name: string, items: Item[]): Promise<Answer> {
    const ref = `u${++this.refs_}`;
    const files = items.map((i) => ({ name: i.file.name, size: i.file.size, type: i.file.type }));
    return new Promise((resolve, reject) => {
      const ask: Ask = { m: { type: "upload", ref, name, files }, resolve, reject, tries: 0 };
      this.asks_.set(ref, ask);
      this.host_.send(ask.m); // not sent: connected sends it
    });
  }

  private async send_(it: Item, endpoint: string, f: Grant | undefined): Promise<void> {
    if (it.state !== "asking") return; // canceled meanwhile: its token expires unused
    if (!f || !endpoint) return this.fail_(it, new TusError("bad_message", "no token for the file"));
    it.id = f.id;
    const o = {
      endpoint,
      token: f.token,
      onProgress: (n: number) => {
        it.loaded = n;
        this.progress_(it);
      },
    };
    it.up = f.put ? new PutUpload(it.file, { ...f, put: f.put }, o) : new TusUpload(it.file, it.file.name, o);
    this.set_(it, "uploading");
    let r: TusResult;
    try {
      r = await it.up.start();
    } catch (e) {
      if (live(it)) this.fail_(it, e instanceof TusError ? e : new TusError("network", String(e)));
      return;
    }
    it.loaded = it.file.size;
    this.set_(it, r.ok ? "done" : "rejected", r.ok ? "" : r.message);
    this.emit_(it.source, "lvt:upload-done", { ...this.detail_(it), result: r });
  }

  private cancel_(it: Item): void {
    this.set_(it, "canceled");
    void it.up?.abort();
    this.emit_(it.source, "lvt:upload-error", { ...this.detail_(it), code: "canceled", message: "canceled" });
  }

  private fail_(it: Item, e: TusError): void {
    this.set_(it, "error", e.message);
    this.emit_(it.source, "lvt:upload-error", { ...this.detail_(it), code: e.code, message: e.message });
  }

  // drop removes an item that ended from the lists and frees its preview.
  private drop_(it: Item): void {
    this.items_.splice(this.items_.indexOf(it), 1);
    it.el?.remove();
    if (it.preview) URL.revokeObjectURL(it.preview);
    this.total_(it.name, it.source);
  }

  // submitted holds the submit of a form with files waiting for it: they upload first, then
  // the form is submitted again, which the bindings send.
  private submitted_(e: SubmitEvent): void {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || this.passing_.delete(form)) return;
    const waiting = this.items_.filter((i) => i.state === "queued" && i.source.closest("form") === form);
    if (!waiting.length) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    const names = [...new Set(waiting.map((i) => i.name))];
    void Promise.all(names.map((n) => this.upload_(n, waiting.filter((i) => i.name === n)))).then(() => {
      if (!form.isConnected || waiting.some((i) => i.state !== "done")) return;
      this.passing_.add(form);
      for (const i of waiting) if (i.source instanceof HTMLInputElement) i.source.value = "";
      form.requestSubmit(e.submitter && form.contains(e.submitter) ? e.submitter : null);
    });
  }

  private set_(it: Item, s: State, message = ""): void {
    it.state = s;
    if (it.el) {
      it.el.setAttribute(STATE, s);
      const msg = it.el.querySelector("[data-lvt-upload-message]");
      if (msg) msg.textContent = message || (s === "done" ? "done" : s === "canceled" ? "canceled" : "");
      const b = it.el.querySelector(`[${CANCEL}]`);
      if (b) b.textContent = live(it) ? "Cancel" : "Remove";
    }
    this.progress_(it);
  }

  private progress_(it: Item): void {
    if (it.el) mark(it.el, it.loaded, it.file.size);
    const t = this.total_(it.name, it.source);
    if (it.state === "uploading") this.emit_(it.source, "lvt:upload-progress", { ...this.detail_(it), total: t });
  }

  // total marks the name's progress elements, input and drop zones with the bytes of its files under way.
  private total_(name: string, source: Element): { loaded: number; size: number; percent: number } {
    let loaded = 0;
    let size = 0;
    for (const i of this.items_) {
      if (i.name !== name || i.state === "canceled" || i.state === "error") continue;
      loaded += i.loaded;
      size += i.file.size;
    }
    const r = this.host_.root;
    const els = new Set([source, ...r.querySelectorAll(`[${PROGRESS}="${CSS.escape(name)}"],[${UPLOAD}="${CSS.escape(name)}"],[${DROP}="${CSS.escape(name)}"]`)]);
    for (const el of els) if (el.isConnected) mark(el, loaded, size);
    return { loaded, size, percent: percent(loaded, size) };
  }

  private detail_(it: Item) {
    return { name: it.name, id: it.id, file: it.file, loaded: it.loaded, size: it.file.size, percent: percent(it.loaded, it.file.size), state: it.state };
  }

  private emit_(el: Element, type: string, detail: object): void {
    (el.isConnected ? el : this.host_.root).dispatchEvent(new CustomEvent(type, { bubbles: true, detail }));
  }

  private showError_(name: string, message: string): void {
    for (const el of this.host_.root.querySelectorAll(`[${ERROR}="${CSS.escape(name)}"]`)) el.textContent = message;
  }

  // entry makes the item's entry in the first list of its name: a preview, the name and size,
  // a progress bar, a cancel button and a message, which CSS styles by the state attribute.
  private entry_(it: Item): HTMLElement | null {
    const list = this.host_.root.querySelector(`[${LIST}="${CSS.escape(it.name)}"]`);
    if (!list) return null;
    const el = document.createElement(list.localName === "ul" || list.localName === "ol" ? "li" : "div");
    if (it.preview) {
      const img = el.appendChild(document.createElement("img"));
      img.src = it.preview;
      img.alt = "";
    }
    const label = el.appendChild(document.createElement("span"));
    label.setAttribute("data-lvt-upload-name", "");
    label.textContent = `${it.file.name} (${bytes(it.file.size)})`;
    el.appendChild(document.createElement("progress"));
    const b = el.appendChild(document.createElement("button"));
    b.type = "button";
    b.setAttribute(CANCEL, "");
    el.appendChild(document.createElement("span")).setAttribute("data-lvt-upload-message", "");
    list.appendChild(el);
    return el;
  }
}

// live: the item has not ended.
const live = (i: Item) => i.state === "queued" || i.state === "asking" || i.state === "uploading";

const percent = (loaded: number, size: number) => (size ? Math.floor((loaded * 100) / size) : 0);

function dropZone(t: EventTarget | null): Element | null {
  return t instanceof Element ? t.closest(`[${DROP}]`) : null;
}

// mark shows progress on el: a <progress> gets value and max, any element the bytes, the
// percent and the CSS custom property --lvt-upload-progress (0 to 1); a <progress> inside an
// entry too.
function mark(el: Element, loaded: number, size: number): void {
  const p = el instanceof HTMLProgressElement ? el : el.hasAttribute(STATE) ? el.querySelector("progress") : null;
  if (p) {
    p.max = size || 1;
    p.value = loaded;
  }
  el.setAttribute(LOADED, String(loaded));
  el.setAttribute(SIZE, String(size));
  el.setAttribute(PERCENT, String(percent(loaded, size)));
  if (el instanceof HTMLElement) el.style.setProperty(CSS_PROGRESS, String(size ? loaded / size : 0));
}

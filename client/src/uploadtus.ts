// A small tus 1.0.0 client (core, creation, termination) for one file, as
// the upload chunk uses it: POST creates the upload, PATCH sends it in
// chunks with XMLHttpRequest (whose upload progress fetch lacks), and after
// a network error, a stall or a 5xx, HEAD asks the server's offset and the
// upload goes on from there, after a backoff. DELETE cancels it. Every
// request carries the file's upload token (docs/client.md, "Uploads").

/** The request header that carries a file's upload token. */
export const TOKEN_HEADER = "LiveTemplate-Upload";
/** The response header that says how the app's handler took a completed file: "ok" or "<code> <message>". */
export const RESULT_HEADER = "LiveTemplate-Upload-Result";

/** Options of a {@link TusUpload}; times in milliseconds. */
export interface TusOptions {
  /** The creation URL (the upload answer's endpoint). */
  endpoint: string;
  /** The file's upload token. */
  token: string;
  /**
   * Bytes of the first PATCH (8 MiB). A PATCH that took less than a second makes the next twice as
   * large, up to 8 times this; a failure brings it back to this.
   */
  chunkSize?: number;
  /** Failed tries in a row before the upload fails (8). */
  retries?: number;
  /** The first wait after a failure (500); it doubles with each, up to retryMax (10,000), with jitter. */
  retryBase?: number;
  retryMax?: number;
  /** A request whose body makes no progress for this long is given up and tried again (30,000). */
  stall?: number;
  /** Called with the bytes of the file that the server has, or is receiving. */
  onProgress?: (sent: number) => void;
}

/** How the server took a completed file: ok, or the code and message of its refusal. */
export interface TusResult {
  ok: boolean;
  code: string;
  message: string;
}

/** A failed upload: code is the server's (invalid_upload_token, ...), or the client's canceled, network or http_<status>. */
export class TusError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "TusError";
  }
}

// retry is a failure after which the upload goes on from the server's offset.
class Retry extends Error {}

/** One file's upload, of either kind: start it once; abort cancels it. */
export interface FileUpload {
  start(): Promise<TusResult>;
  abort(): Promise<void>;
}

// Sender is what both kinds of upload share: one request at a time, given up when it stalls, and
// failures retried after a backoff.
abstract class Sender {
  protected xhr_: XMLHttpRequest | null = null;
  protected canceled_ = false;

  constructor(protected readonly o_: TusOptions) {}

  // retry runs step until it gives a result, trying again after a Retry; lost tells step that
  // the last try failed.
  protected async retry_(step: (lost: boolean) => Promise<TusResult | null>): Promise<TusResult> {
    let fails = 0;
    let lost = false;
    for (;;) {
      try {
        const r = await step(lost);
        lost = false;
        fails = 0;
        if (r) return r;
      } catch (e) {
        if (!(e instanceof Retry) || this.canceled_) throw this.canceled_ ? new TusError("canceled", "canceled") : e;
        if (++fails > (this.o_.retries ?? 8)) throw new TusError("network", `upload failed: ${e.message}`);
        lost = true;
        await sleep(backoff(fails, this.o_.retryBase ?? 500, this.o_.retryMax ?? 10_000));
        if (this.canceled_) throw new TusError("canceled", "canceled");
      }
    }
  }

  // send makes one request with headers h; it rejects with Retry on a network error, a stall or
  // a 5xx, and resolves with the request for any other answer. Body progress counts from from.
  protected send_(method: string, url: string, h: Record<string, string>, body?: Blob, from = 0): Promise<XMLHttpRequest> {
    if (this.canceled_) return Promise.reject(new TusError("canceled", "canceled"));
    return new Promise((resolve, reject) => {
      const x = (this.xhr_ = new XMLHttpRequest());
      x.open(method, url);
      for (const [k, v] of Object.entries(h)) x.setRequestHeader(k, v);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = () => {
        clearTimeout(timer);
        timer = setTimeout(() => x.abort(), this.o_.stall ?? 30_000);
      };
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(this.canceled_ ? new TusError("canceled", "canceled") : new Retry(why));
      };
      x.onerror = () => fail("network error");
      x.onabort = () => fail("stalled");
      x.onload = () => {
        clearTimeout(timer);
        if (x.status >= 500) reject(new Retry(`HTTP ${x.status}`));
        else resolve(x);
      };
      x.upload.onprogress = (e) => {
        stalled();
        if (body) this.o_.onProgress?.(from + e.loaded);
      };
      stalled();
      x.send(body ?? null);
    });
  }

  protected headers_(): Record<string, string> {
    return { "Tus-Resumable": "1.0.0", [TOKEN_HEADER]: this.o_.token };
  }
}

/** One file's upload with tus: start it once; abort cancels it. */
export class TusUpload extends Sender implements FileUpload {
  private url_ = ""; // the upload's URL, once created
  private offset_ = 0;
  private size_ = 0; // bytes of the next PATCH, 0 for chunkSize

  constructor(
    private readonly file_: Blob,
    private readonly name_: string,
    o: TusOptions,
  ) {
    super(o);
  }

  /** Uploads the file; resolves with the server's result once it has every byte. */
  start(): Promise<TusResult> {
    return this.retry_(async (lost) => {
      if (!this.url_) await this.create_();
      else if (lost) {
        this.size_ = 0;
        const r = await this.head_();
        if (r) return r;
      }
      return this.patch_();
    });
  }

  /** Cancels the upload: the request under way stops, and the server deletes what it has. */
  abort(): Promise<void> {
    this.canceled_ = true;
    this.xhr_?.abort();
    if (!this.url_) return Promise.resolve();
    return fetch(this.url_, { method: "DELETE", headers: this.headers_(), keepalive: true }).then(
      () => {},
      () => {},
    );
  }

  private async create_(): Promise<void> {
    const meta = `filename ${b64(this.name_)}` + (this.file_.type ? `,filetype ${b64(this.file_.type)}` : "");
    const x = await this.tus_("POST", this.o_.endpoint, { "Upload-Length": String(this.file_.size), "Upload-Metadata": meta });
    const loc = x.getResponseHeader("Location");
    if (x.status !== 201 || !loc) throw failure(x);
    this.url_ = new URL(loc, new URL(this.o_.endpoint, location.href)).href;
    this.offset_ = 0;
  }

  // head learns the server's offset; a result when the file is complete.
  private async head_(): Promise<TusResult | null> {
    const x = await this.tus_("HEAD", this.url_, {});
    if (x.status < 200 || x.status > 299) throw failure(x);
    this.offset_ = Number(x.getResponseHeader("Upload-Offset")) || 0;
    this.o_.onProgress?.(this.offset_);
    return this.offset_ >= this.file_.size ? result(x) : null;
  }

  // patch sends one chunk from the offset; a result when it completed the file.
  private async patch_(): Promise<TusResult | null> {
    const base = this.o_.chunkSize ?? 8 << 20;
    const size = (this.size_ ||= base);
    const end = Math.min(this.file_.size, this.offset_ + size);
    const h = { "Upload-Offset": String(this.offset_), "Content-Type": "application/offset+octet-stream" };
    const t = performance.now();
    const x = await this.tus_("PATCH", this.url_, h, this.file_.slice(this.offset_, end));
    if (x.status !== 204 && x.status !== 200) throw failure(x);
    // A fast link gets fewer, larger requests; a drop costs at most what was in flight.
    if (performance.now() - t < 1000 && size < 8 * base) this.size_ = size * 2;
    this.offset_ = Number(x.getResponseHeader("Upload-Offset")) || end;
    this.o_.onProgress?.(this.offset_);
    return this.offset_ >= this.file_.size ? result(x) : null;
  }

  // tus sends a request of the protocol; a 409 (the offset moved) is a Retry too.
  private async tus_(method: string, url: string, h: Record<string, string>, body?: Blob): Promise<XMLHttpRequest> {
    const x = await this.send_(method, url, { ...this.headers_(), ...h }, body, this.offset_);
    if (x.status === 409) throw new Retry("HTTP 409");
    return x;
  }
}

/** Where a file goes straight to storage: the upload answer's put and headers, and the file's id. */
export interface PutTarget {
  id: string;
  put: string;
  headers?: Record<string, string>;
}

/**
 * One file's upload straight to storage: PUT to the presigned URL (whole: a dropped PUT is sent
 * again), then POST endpoint + id to have the server complete it; abort cancels it.
 */
export class PutUpload extends Sender implements FileUpload {
  private stored_ = false; // the PUT succeeded
  private begun_ = false; // the PUT was sent

  constructor(
    private readonly file_: Blob,
    private readonly to_: PutTarget,
    o: TusOptions,
  ) {
    super(o);
  }

  /** Uploads the file; resolves with the server's result once the server took it. */
  start(): Promise<TusResult> {
    return this.retry_(async () => {
      if (!this.stored_) await this.put_();
      return this.complete_();
    });
  }

  /** Cancels the upload: the PUT under way stops, and the server deletes what storage has. */
  abort(): Promise<void> {
    this.canceled_ = true;
    this.xhr_?.abort();
    if (!this.begun_) return Promise.resolve();
    return fetch(this.url_(), { method: "DELETE", headers: this.headers_(), keepalive: true }).then(
      () => {},
      () => {},
    );
  }

  private async put_(): Promise<void> {
    this.begun_ = true;
    const x = await this.send_("PUT", this.to_.put, this.to_.headers ?? {}, this.file_);
    if (x.status < 200 || x.status > 299) throw new TusError(`http_${x.status}`, `the storage refused the file (HTTP ${x.status})`);
    this.stored_ = true;
    this.o_.onProgress?.(this.file_.size);
  }

  // complete asks the server to take the stored file; a 409 says storage lacks it: PUT again.
  private async complete_(): Promise<TusResult> {
    const x = await this.send_("POST", this.url_(), this.headers_());
    if (x.status === 409) {
      this.stored_ = false;
      throw new Retry("the file is not in storage");
    }
    if (x.status !== 200) throw failure(x);
    return result(x);
  }

  private url_(): string {
    return new URL(this.o_.endpoint + this.to_.id, location.href).href;
  }
}

// result reads the result header of the response that completed the file.
function result(x: XMLHttpRequest): TusResult {
  const r = (x.getResponseHeader(RESULT_HEADER) ?? "ok").trim();
  if (r === "ok") return { ok: true, code: "ok", message: "" };
  const i = r.indexOf(" ");
  return { ok: false, code: i < 0 ? r : r.slice(0, i), message: i < 0 ? r : r.slice(i + 1) };
}

// failure is the error of a refused request: its code from the result header, else the body.
function failure(x: XMLHttpRequest): TusError {
  const r = x.getResponseHeader(RESULT_HEADER);
  if (r) {
    const res = result(x);
    return new TusError(res.code, res.message);
  }
  const body = (x.responseText ?? "").trim();
  const code = /^[a-z_]+/.exec(body)?.[0] ?? `http_${x.status}`;
  return new TusError(code, body || `HTTP ${x.status}`);
}

/** The wait before try n (from 1): base doubling up to max, with up to half again of jitter. */
export function backoff(n: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** (n - 1)) * (1 + Math.random() / 2);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Base64 of s's UTF-8 bytes, as tus metadata values are. */
function b64(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

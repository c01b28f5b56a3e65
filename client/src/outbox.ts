// The outbox: every event the client sent or will send, kept with its id
// until its ack arrives, so that it can be resent after a reconnect. Its
// events are numbered (seq) in the order of pushEvent, under a random id of
// the outbox (its tab, in the server's terms): the server runs them once
// and in that order however late a resend comes (docs/protocol.md).

import { E_OUTBOX_FULL } from "./constants";

/** An error of the server (its code, see docs/protocol.md) or of the client (outbox_full, closed, ...). */
export class LiveTemplateError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "LiveTemplateError";
    this.code = code;
  }
}

/** One event waiting for its ack. */
export interface Pending {
  readonly id: string;
  readonly seq: number;
  readonly page: string;
  readonly name: string;
  readonly data: unknown;
  /** Resolves with the handler's reply: the ack's, undefined when it has none. */
  readonly resolve: (reply: unknown) => void;
  readonly reject: (e: LiveTemplateError) => void;
}

/** A random id: n (12) characters of a-z and 0-9. */
export function tabId(n = 12): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (const x of b) s += (x % 36).toString(36);
  return s;
}

export class Outbox {
  private prefix_ = tabId();
  private n_ = 0;
  private readonly items_ = new Map<string, Pending>();
  constructor(readonly max: number) {}

  get size(): number {
    return this.items_.size;
  }

  /** Adds an event with a new id, or throws outbox_full when max events wait for their ack. */
  add(page: string, name: string, data: unknown): [Pending, Promise<unknown>] {
    if (this.items_.size >= this.max) {
      throw new LiveTemplateError(E_OUTBOX_FULL, `livetemplate: ${this.max} events wait: "${name}" not sent`);
    }
    let p!: Pending;
    const promise = new Promise<unknown>((resolve, reject) => {
      const seq = ++this.n_;
      p = { id: `${this.prefix_}-${seq}`, seq, page, name, data, resolve, reject };
    });
    this.items_.set(p.id, p);
    return [p, promise];
  }

  /** Numbers the next events from 1 again, under a new id: for a new page, when none waits. */
  restart(): void {
    this.prefix_ = tabId();
    this.n_ = 0;
  }

  /** Removes and returns the event of id. */
  take(id: string): Pending | undefined {
    const p = this.items_.get(id);
    this.items_.delete(id);
    return p;
  }

  /** The events of a page, oldest first. */
  of(page: string): Pending[] {
    return [...this.items_.values()].filter((p) => p.page === page);
  }
}

/** Options of a {@link LiveTemplateClient}. */
export interface ClientOptions {
  /** The token of the page to join, when the page carries it (the seed's Pattern 2). */
  presetToken?: string;
}

/** A live page's connection to the server. */
export class LiveTemplateClient {
  readonly options: ClientOptions;
  constructor(options: ClientOptions = {}) {
    this.options = options;
  }
}

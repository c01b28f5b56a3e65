// Uploads, the part in the client's bundle: the client loads the upload chunk
// (uploadchunk.ts, served by ScriptHandler as the client's own URL with the
// query "upload") once its root has an [lvt-upload] element, and hands it
// the page's upload answers.

import type { UploadHost, UploadSink } from "./uploadchunk";

export type { UploadHost, UploadSink };

let src = ""; // the chunk's URL, "" while unknown

/** Sets the URL of the client's own script, which the chunk's is made from. */
export function scriptURL(s: string): void {
  src = new URL("?upload", s).href;
}

/**
 * Starts the chunk for host if its root has an upload input: null when it has none, else the
 * chunk's sink, or null when the chunk could not be loaded.
 */
export function uploads(host: UploadHost): Promise<UploadSink | null> | null {
  if (!src || !host.root.querySelector("[lvt-upload]")) return null;
  return import(src).then(
    (m: typeof import("./uploadchunk")) => m.start(host),
    () => null,
  );
}

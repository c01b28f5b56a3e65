import type { UploadHost, UploadSink } from "./uploadchunk";
export type { UploadHost, UploadSink };
/** Sets the URL of the client's own script, which the chunk's is made from. */
export declare function scriptURL(s: string): void;
/**
 * Starts the chunk for host if its root has an upload input: null when it has none, else the
 * chunk's sink, or null when the chunk could not be loaded.
 */
export declare function uploads(host: UploadHost): Promise<UploadSink | null> | null;

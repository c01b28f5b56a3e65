/** The request header that carries a file's upload token. */
export declare const TOKEN_HEADER = "LiveTemplate-Upload";
/** The response header that says how the app's handler took a completed file: "ok" or "<code> <message>". */
export declare const RESULT_HEADER = "LiveTemplate-Upload-Result";
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
export declare class TusError extends Error {
    readonly code: string;
    constructor(code: string, message: string);
}
/** One file's upload, of either kind: start it once; abort cancels it. */
export interface FileUpload {
    start(): Promise<TusResult>;
    abort(): Promise<void>;
}
declare abstract class Sender {
    protected readonly o_: TusOptions;
    protected xhr_: XMLHttpRequest | null;
    protected canceled_: boolean;
    constructor(o_: TusOptions);
    protected retry_(step: (lost: boolean) => Promise<TusResult | null>): Promise<TusResult>;
    protected send_(method: string, url: string, h: Record<string, string>, body?: Blob, from?: number): Promise<XMLHttpRequest>;
    protected headers_(): Record<string, string>;
}
/** One file's upload with tus: start it once; abort cancels it. */
export declare class TusUpload extends Sender implements FileUpload {
    private readonly file_;
    private readonly name_;
    private url_;
    private offset_;
    private size_;
    constructor(file_: Blob, name_: string, o: TusOptions);
    /** Uploads the file; resolves with the server's result once it has every byte. */
    start(): Promise<TusResult>;
    /** Cancels the upload: the request under way stops, and the server deletes what it has. */
    abort(): Promise<void>;
    private create_;
    private head_;
    private patch_;
    private tus_;
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
export declare class PutUpload extends Sender implements FileUpload {
    private readonly file_;
    private readonly to_;
    private stored_;
    private begun_;
    constructor(file_: Blob, to_: PutTarget, o: TusOptions);
    /** Uploads the file; resolves with the server's result once the server took it. */
    start(): Promise<TusResult>;
    /** Cancels the upload: the PUT under way stops, and the server deletes what storage has. */
    abort(): Promise<void>;
    private put_;
    private complete_;
    private url_;
}
/** The wait before try n (from 1): base doubling up to max, with up to half again of jitter. */
export declare function backoff(n: number, base: number, max: number): number;
export {};

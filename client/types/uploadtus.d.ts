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
    /** Bytes per PATCH (8 MiB): what a dropped request may have to send again at most. */
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
/** One file's upload: start it once; abort cancels it. */
export declare class TusUpload {
    private readonly file_;
    private readonly name_;
    private readonly o_;
    private url_;
    private offset_;
    private xhr_;
    private canceled_;
    constructor(file_: Blob, name_: string, o_: TusOptions);
    /** Uploads the file; resolves with the server's result once it has every byte. */
    start(): Promise<TusResult>;
    /** Cancels the upload: the request under way stops, and the server deletes what it has. */
    abort(): Promise<void>;
    private create_;
    private head_;
    private patch_;
    private headers_;
    private send_;
}
/** The wait before try n (from 1): base doubling up to max, with up to half again of jitter. */
export declare function backoff(n: number, base: number, max: number): number;

/** One upload name's declaration, as the joined message carries it. */
export interface UploadSpec {
    /** The input's accept list: MIME types, type/* and .ext; empty or absent: any file. */
    accept?: string[];
    /** Bytes per file; absent or 0: no limit here. */
    max_size?: number;
    /** Files per upload request; absent or 0: one unless the input is multiple. */
    max_files?: number;
    /** true: upload as files are chosen, dropped or pasted; false: when the enclosing lvt-submit form is submitted. */
    auto?: boolean;
}
/** The part of a File that the checks read. */
export interface FileInfo {
    readonly name: string;
    readonly size: number;
    readonly type: string;
}
/** Whether file matches the accept list (as the browser's file picker reads an accept attribute). */
export declare function accepts(file: FileInfo, accept: readonly string[] | undefined): boolean;
/** Formats n bytes for a person: 1.5 MB, 200 kB, 12 B (decimal units, as browsers show sizes). */
export declare function bytes(n: number): string;
/**
 * The reasons, for the user, why files may not be uploaded under spec: one per refused file
 * (type, size) and one for their count. Empty: every file may go. queued is how many files of
 * the name are chosen already and count toward max_files.
 */
export declare function refusals(files: readonly FileInfo[], spec: UploadSpec, queued?: number): string[];

import { type UploadSpec } from "./uploadspec";
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
/** Starts the uploads of host's page. */
export declare function start(host: UploadHost): UploadSink;

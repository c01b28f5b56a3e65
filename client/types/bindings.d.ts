import type { Unsubscribe } from "./emitter";
/** Event data as the bindings send it: strings, or lists of strings for repeated form fields. */
export type EventData = Record<string, string | string[]>;
/** Sends the live event name for element el. */
export type Sender = (el: Element, name: string, data: EventData) => void;
/** A form's fields as FormData sees them, every value a string (files by name). */
export declare function formValues(form: HTMLFormElement, submitter?: HTMLElement | null): EventData;
/** Binds the lvt-* attributes of the elements under root; returns the function that unbinds them. */
export declare function bind(root: Element | Document, send: Sender): Unsubscribe;
/** An element busy with events between send and ack: its loading class and lvt-disable-with. */
export declare class Busy {
    private readonly count_;
    private readonly saved_;
    /** Elements that had no class attribute before their loading class. */
    private readonly classless_;
    /** Marks el busy with one more event; for a form, also its elements with lvt-disable-with. */
    start(el: Element): void;
    /** Ends one event of el; the last one restores el. */
    end(el: Element): void;
    /** Applies the busy state again after a patch of the DOM, which may have undone it. */
    refresh(): void;
    private busyForm_;
    private apply_;
}

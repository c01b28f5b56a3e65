/** The arguments of a command; each command reads those it needs. */
export interface CommandArgs {
    /**
     * The elements it applies to: a CSS selector of the document, "closest SEL" (the element's
     * nearest ancestor, or itself, that matches) or "inner SEL" (elements inside the element).
     * Default: the element whose binding or hook runs the commands.
     */
    to?: string;
    /** add-class, remove-class, toggle-class: class names, separated by spaces. */
    names?: string;
    /** set-attr, remove-attr: the attribute's name. */
    attr?: string;
    /** set-attr: the attribute's value; push: strings added to the event's data. */
    value?: string | Record<string, string>;
    /** show, toggle: the display shown (default: the element's own, else "block"). */
    display?: string;
    /** show, hide, toggle, transition: classes held during the transition, or [held, from, to]. */
    transition?: string | [string, string, string];
    /** The transition's length in milliseconds (200). */
    time?: number;
    /** push: the live event; dispatch: the DOM event. */
    event?: string;
    /** dispatch: the CustomEvent's detail. */
    detail?: unknown;
    /** dispatch: whether the event bubbles (true). */
    bubbles?: boolean;
}
/** A command: its name and arguments, such as ["add-class", {"to": "#menu", "names": "open"}]. */
export type Command = [name: string, args?: CommandArgs];
/** Sends a live event, for the push command: its name and the strings to add to its data. */
export type Push = (event: string, value?: Record<string, string>) => void;
/** Puts the commands' state of el back on, after a patch set its attributes to the server's (watch.kept). */
export declare function kept(el: Element): void;
/**
 * Runs commands (a list, or its JSON text) from the element el, in order:
 * each on the elements its "to" names, el by default. A push command sends
 * its event through push. Throws on a list that is not valid JSON or names
 * an unknown command (before running any of them).
 */
export declare function exec(el: Element, commands: string | Command[], push?: Push): void;

import type { Command, Push } from "./commands";
type Commands = Pick<typeof import("./commands"), "exec" | "kept">;
/** Makes m the commands' code: from now on what they set stays across patches. */
export declare function useCommands(m: Commands): void;
/** Loads the commands' code, if it is not here, ahead of the first command. */
export declare function prefetch(): void;
/**
 * Runs commands from el, as exec of commands.ts does: at once when their code is here, else once
 * it loaded (an invalid list then throws in a promise: the console shows it).
 */
export declare function exec(el: Element, commands: string | Command[], push?: Push): void;
export {};

// Client-side commands as the client runs them. Their code (commands.ts) is
// in the chunk of the classic script, which the client loads as it connects
// (prefetch), so that a page's first command runs at once; the ES module has
// it already (index.ts calls useCommands).

import type { Command, Push } from "./commands";
import { watch } from "./morph";
import { loadChunk } from "./nav";

type Commands = Pick<typeof import("./commands"), "exec" | "kept">;

let code: Commands | undefined;

/** Makes m the commands' code: from now on what they set stays across patches. */
export function useCommands(m: Commands): void {
  code = m;
  watch.kept = m.kept;
}

/** Loads the commands' code, if it is not here, ahead of the first command. */
export function prefetch(): void {
  if (!code) loadChunk().then(useCommands, () => {});
}

/**
 * Runs commands from el, as exec of commands.ts does: at once when their code is here, else once
 * it loaded (an invalid list then throws in a promise: the console shows it).
 */
export function exec(el: Element, commands: string | Command[], push?: Push): void {
  if (code) return code.exec(el, commands, push);
  void loadChunk().then((m) => {
    useCommands(m);
    m.exec(el, commands, push);
  });
}

// The default connection indicator (the client's indicator option), in the
// chunk: only the pages that ask for it run it (status.ts calls it).

import * as C from "./constants";
import type { Status } from "./status";

// The indicator's words: none while the page is live, or connecting the first time (the page shows already).
const WORDS: Partial<Record<Status, string>> = { disconnected: "Reconnecting\u2026", error: "Disconnected" };

/**
 * Shows status in ind, a client's indicator (made when undefined), which it puts back in the body
 * when a render of the whole document took it out; returns the indicator.
 */
export function indicate(ind: HTMLElement | undefined, status: Status): HTMLElement {
  const el = ind ?? make();
  if (!el.isConnected) document.body.append(el);
  el.textContent = WORDS[status] ?? "";
  // A manual popover: shown in the top layer, above the page, with the browser's own style.
  if (el.textContent) el.showPopover?.();
  else el.hidePopover?.();
  return el;
}

// make makes the default indicator, styled by the page or the browser: no inline style, which a
// Content Security Policy without 'unsafe-inline' would block.
function make(): HTMLElement {
  const el = document.createElement("div");
  el.className = C.LVT + "indicator";
  el.setAttribute("role", "status");
  el.popover = "manual";
  return el;
}

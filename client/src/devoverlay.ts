// livetemplate-dev.js, the overlay of development mode: a classic script that the client loads on
// the first dev message (dev.ts), and that shows each error over the page until the template is
// reloaded or the developer closes it. It builds its elements with the DOM and styles them through
// the CSSOM, so that a strict Content Security Policy allows it (script-src 'self').

/** A dev message (docs/protocol.md). */
interface DevMessage {
  kind?: string;
  template?: string;
  event?: string;
  message?: string;
}

const OVERLAY_ID = "livetemplate-dev";

const titles: Record<string, string> = {
  template: "Template error: the page keeps the last template that worked",
  render: "The new template does not render this page's data: the page keeps the last template that worked",
  handler: "Event handler error",
  panic: "Event handler panic",
};

function style<E extends HTMLElement>(el: E, css: Partial<CSSStyleDeclaration>): E {
  Object.assign(el.style, css);
  return el;
}

function close(): void {
  document.getElementById(OVERLAY_ID)?.remove();
}

function show(m: DevMessage): void {
  close();
  const box = style(document.createElement("div"), {
    position: "fixed", left: "0", right: "0", bottom: "0", maxHeight: "60vh", overflow: "auto", zIndex: "2147483647",
    background: "#2b0d0d", color: "#fde8e8", font: "13px/1.45 ui-monospace, monospace", padding: "12px 16px",
    borderTop: "3px solid #f05252", boxSizing: "border-box",
  });
  box.id = OVERLAY_ID;
  box.setAttribute("role", "alert");
  const head = style(document.createElement("strong"), { display: "block", marginBottom: "6px" });
  const where = [m.template && `template "${m.template}"`, m.event && `event "${m.event}"`].filter(Boolean).join(", ");
  head.textContent = (titles[m.kind ?? ""] ?? "Error") + (where ? ` (${where})` : "");
  const text = style(document.createElement("pre"), { margin: "0", whiteSpace: "pre-wrap", wordBreak: "break-word" });
  text.textContent = m.message ?? "";
  const x = style(document.createElement("button"), { position: "absolute", top: "8px", right: "12px", font: "inherit" });
  x.type = "button";
  x.textContent = "Close";
  x.addEventListener("click", close);
  box.append(x, head, text);
  // Outside body: the live view patches body's content, never this.
  document.documentElement.append(box);
}

document.addEventListener("livetemplate:dev", (e) => {
  const m = (e as CustomEvent<DevMessage>).detail;
  if (m.kind === "reloaded") close();
  else show(m);
});
document.dispatchEvent(new Event("livetemplate:dev-ready"));

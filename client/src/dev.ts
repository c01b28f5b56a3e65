// Development mode's messages (docs/protocol.md, "dev"): the server of an application in
// development mode sends them to browsers on its own machine only. The first one loads the script
// that shows them over the page (livetemplate-dev.js, served by the live endpoint); the messages
// that come before it is ready wait for it. This code is in the client's chunk (navchunk.ts), so
// that the main bundle has none of it.

const waiting: object[] = [];
let state = 0; // 0: no script, 1: loading, 2: ready

const tell = (m: object): boolean => document.dispatchEvent(new CustomEvent("livetemplate:dev", { detail: m }));

/** dev passes m, a dev message from the live endpoint at url (ws: or wss:), to the dev script. */
export function dev(url: string, m: object): void {
  if (state === 2) {
    tell(m);
    return;
  }
  waiting.push(m);
  if (state === 1) return;
  state = 1;
  document.addEventListener(
    "livetemplate:dev-ready",
    () => {
      state = 2;
      for (const w of waiting.splice(0)) tell(w);
    },
    { once: true },
  );
  const u = new URL(url);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  u.search = "?livetemplate=dev.js";
  const s = document.createElement("script");
  s.src = u.href;
  document.head.append(s);
}

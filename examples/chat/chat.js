// The chat's page script, a file of its own so that a Content-Security-Policy without inline
// scripts allows it: what the client says about the tabs, sending, and keeping the newest message
// in view.
document.addEventListener("DOMContentLoaded", () => {
  const live = window.liveTemplate; // the deferred client has connected the page by now
  const short = (id) => id.slice(0, 6);
  const show = (id, text) => { document.getElementById(id).textContent = text; };

  // What the client says about the tabs: its leader info and state.
  const status = async () => {
    const l = live.leader;
    show("tab", short(l.tab));
    show("leader", !l.leader ? "electing…" : l.leader === l.tab ? "this tab" : "tab " + short(l.leader));
    show("shared", l.shared ? "one, shared by this browser's tabs" : "this tab's own");
    show("state", live.state);
    // The server counts the open connections of the browser id they send.
    const res = await fetch("/chat/connections?browser=" + encodeURIComponent(l.browser));
    if (res.ok) show("connections", (await res.json()).connections);
  };
  for (const e of ["leader", "connected", "disconnected", "updated"]) live.on(e, () => status().catch(() => {}));
  setInterval(() => status().catch(() => {}), 2000);
  status().catch(() => {});

  // The newest message stays in view, unless the reader scrolled up to older ones: then a pill
  // says that new ones came, and a click on it brings them into view.
  const list = document.getElementById("messages");
  const jump = document.getElementById("jump");
  const newest = () => list.lastElementChild?.getAttribute("data-key") ?? "";
  const atEnd = () => list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  let follow = true; // keep the newest message in view
  let seen = newest();
  const toEnd = () => {
    list.scrollTop = list.scrollHeight;
    follow = true;
    jump.hidden = true;
  };
  list.addEventListener("scroll", () => {
    follow = atEnd();
    if (follow) jump.hidden = true;
  });
  jump.addEventListener("click", toEnd);
  live.on("updated", () => {
    if (newest() === seen) return;
    seen = newest();
    if (follow) toEnd();
    else jump.hidden = false;
  });
  toEnd();

  // Signing in (or out) sets the cookie with fetch, which stores it, then has the server reconnect
  // this browser's connection: its next handshake carries the cookie, and every tab goes on as the
  // new name.
  const reconnect = () => fetch("/signin/reconnect", { method: "POST", body: new URLSearchParams({ browser: live.leader.browser }) });
  document.getElementById("signin").addEventListener("submit", (e) => {
    e.preventDefault();
    fetch("/signin", { method: "POST", body: new URLSearchParams(new FormData(e.target)) }).then(reconnect).catch(() => {});
  });
  document.getElementById("signout").addEventListener("click", () => {
    fetch("/signout", { method: "POST" }).then(reconnect).catch(() => {});
  });

  // Each tab writes as itself until you give a name.
  const name = document.getElementById("name");
  name.value = "tab " + short(live.leader.tab);

  // Sending is a pushEvent, so that the field empties at once: the client keeps the message
  // until the server acknowledges it, across reconnects and a change of leading tab. Your own
  // message comes into view, wherever you had scrolled.
  document.getElementById("say").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = document.getElementById("text");
    follow = true;
    live.pushEvent("send", { name: name.value, text: text.value }).catch(() => {});
    text.value = "";
  });
});

package client_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// hooksSrc has hooked elements: one whose attribute and text change, keyed
// rows, one that comes and goes, and one that no change touches.
const hooksSrc = `<p id="count">{{.Count}}</p>
<div id="box" lvt-hook="Rec" data-n="{{.Count}}"><span>{{.Count}}</span></div>
<ul id="rows">{{range .Log}}<li data-key="{{.}}" id="r{{.}}" lvt-hook="Rec">{{.}}</li>{{end}}</ul>
{{if gt .Count 5}}<div id="extra" lvt-hook="Rec">extra</div>{{end}}
<div id="still" lvt-hook="Rec">still</div>`

// wsJS wraps WebSocket, before the client connects, so that a test can
// hand the client a server message of its page (inject(m)) or make it lose
// the next n diffs (loseDiffs(n)); window.events has the names of the
// events sent.
const wsJS = `window.sockets = [];
window.events = [];
const WS = window.WebSocket;
window.WebSocket = class extends WS {
	constructor(...a) { super(...a); sockets.push(this); }
	send(d) {
		const m = typeof d === "string" ? JSON.parse(d) : {};
		if (m.type === "join") window.joinPage = m.page;
		if (m.type === "event") events.push(m.name);
		super.send(d);
	}
};
const last = () => sockets[sockets.length - 1];
window.inject = (m) => last().onmessage({ data: JSON.stringify(Object.assign({ page: window.joinPage }, m)) });
window.loseDiffs = (n) => {
	const ws = last();
	const f = ws.onmessage;
	ws.onmessage = (e) => { if (JSON.parse(e.data).type === "diff" && n > 0) n--; else f.call(ws, e); };
};
`

// hooksJS registers the hook Rec, which logs its calls in window.log as
// "callback id text" (text: the element's text, to tell before from after
// a change), counts its elements' mounts in el.mounts, and handles the
// server's "ping" pushes; with wsJS.
const hooksJS = wsJS + `window.log = [];
const rec = (cb) => function () { log.push(cb + " " + this.el.id + " " + this.el.textContent.trim()); };
LiveTemplateClient.hooks.Rec = {
	mounted() {
		this.el.mounts = (this.el.mounts || 0) + 1;
		this.handleEvent("ping", (d) => log.push("ping " + this.el.id + " " + JSON.stringify(d)));
		rec("mounted").call(this);
	},
	beforeUpdate: rec("beforeUpdate"),
	updated: rec("updated"),
	destroyed: rec("destroyed"),
	disconnected: rec("disconnected"),
	reconnected: rec("reconnected"),
};`

// hooksSite serves hooksSrc with hooksJS. Early, hooks.js runs before the
// client connects (the script tag without defer waits for the document);
// else after it (both deferred: the client connects as it runs, and the
// hooks mount when registered).
func hooksSite(t *testing.T, early bool, opts ...livetemplate.Option) *site {
	c := siteConfig{src: hooksSrc, version: true, csp: strictCSP, opts: opts,
		data:  func() any { return counter{Count: 1, Log: []string{"1", "2", "3"}} },
		body:  `<script src="/hooks.js" defer></script>`,
		extra: map[string]http.Handler{"GET /hooks.js": jsHandler(hooksJS)}}
	if early {
		c.script = `<script src="/livetemplate.js" data-live="/live" data-token="{{TOKEN}}"{{VERSION}}></script><script src="/hooks.js"></script>`
		c.body = ""
	}
	return newSite(t, c)
}

// takeLog returns the hooks' calls since the last takeLog.
func takeLog(t *testing.T, tab *browsertest.Tab) string {
	t.Helper()
	return strings.Join(browsertest.MustEval[[]string](tab, `log.splice(0)`), "\n")
}

// wantLog waits until the hooks' calls since the last takeLog are want
// (lines), and fails if they are not or more come within 100 ms.
func wantLog(t *testing.T, tab *browsertest.Tab, want ...string) {
	t.Helper()
	w := strings.Join(want, "\n")
	deadline := time.Now().Add(5 * time.Second)
	for browsertest.MustEval[int](tab, `log.length`) < len(want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if got := takeLog(t, tab); got != w {
		t.Errorf("hook calls:\n%s\nwant:\n%s", got, w)
	}
}

// online tells the tab that the network is back, as the browser does: a
// client waiting to reconnect connects at once, whatever its backoff.
func online(tab *browsertest.Tab) {
	browsertest.MustEval[bool](tab, `dispatchEvent(new Event("online")), true`)
}

func update(t *testing.T, p *livetemplate.Page, c counter) {
	t.Helper()
	if _, err := p.Update(c); err != nil {
		t.Fatal(err)
	}
}

// TestHooks tests lvt-hook's callbacks in Chromium across diffs, keyed row
// moves, a catch-up morph and reconnects.
func TestHooks(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("Patches", func(t *testing.T) {
		s := hooksSite(t, false)
		tab := s.open(b, "/page")
		p := s.page()
		// Registered after the client connected: mounted at once, in document order.
		wantLog(t, tab, "mounted box 1", "mounted r1 1", "mounted r2 2", "mounted r3 3", "mounted still still")

		// The first change: the client joined with the HTML's version and
		// has no tree, so a render morphs the page: the elements are kept.
		update(t, p, counter{Count: 2, Log: []string{"1", "2", "3"}})
		wantLog(t, tab, "beforeUpdate box 1", "updated box 2")
		// A diff of an attribute and a text of the element: once each, before and after.
		update(t, p, counter{Count: 3, Log: []string{"1", "2", "3"}})
		wantLog(t, tab, "beforeUpdate box 2", "updated box 3")
		// Keyed moves: the rows are neither destroyed nor mounted again.
		update(t, p, counter{Count: 3, Log: []string{"3", "1", "2"}})
		wantLog(t, tab)
		// A row's text, a removal and an insert.
		update(t, p, counter{Count: 3, Log: []string{"3", "2", "4"}})
		wantLog(t, tab, "destroyed r1 1", "mounted r4 4")
		// An element that comes, then goes.
		update(t, p, counter{Count: 6, Log: []string{"3", "2", "4"}})
		wantLog(t, tab, "beforeUpdate box 3", "mounted extra extra", "updated box 6")
		update(t, p, counter{Count: 4, Log: []string{"3", "2", "4"}})
		wantLog(t, tab, "beforeUpdate box 6", "destroyed extra extra", "updated box 4")
		s.waitHTML(tab, p)
		if n := browsertest.MustEval[[]int](tab, `["box", "r2", "r3", "still"].map((id) => document.getElementById(id).mounts)`); fmt.Sprint(n) != "[1 1 1 1]" {
			t.Errorf("mounts of box, r2, r3, still: %v, want 1 each", n)
		}
		// The client closed: every hook is destroyed.
		browsertest.MustEval[bool](tab, `liveTemplate.close(), true`)
		wantLog(t, tab, "destroyed box 4", "destroyed r2 2", "destroyed r3 3", "destroyed still still", "destroyed r4 4") // in the order they were mounted
		noConsole(t, tab)
	})

	t.Run("Resync", func(t *testing.T) {
		// The history keeps one diff: two lost diffs come back as a render,
		// which is morphed into the page: kept elements are updated.
		s := hooksSite(t, true, livetemplate.WithHistory(1))
		tab := s.open(b, "/page")
		p := s.page()
		update(t, p, counter{Count: 2, Log: []string{"1", "2", "3"}}) // the client gets the tree
		tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
		takeLog(t, tab)
		browsertest.MustEval[bool](tab, `loseDiffs(2), true`)
		update(t, p, counter{Count: 3, Log: []string{"1", "2", "3"}}) // lost
		update(t, p, counter{Count: 3, Log: []string{"1", "3", "2"}}) // lost
		update(t, p, counter{Count: 4, Log: []string{"2", "1", "5"}}) // a gap: resync, render
		tab.WaitFor(`liveTemplate.version === 5`, 5*time.Second)
		s.waitHTML(tab, p)
		wantLog(t, tab, "beforeUpdate box 2", "destroyed r3 3", "mounted r5 5", "updated box 4")
		if n := browsertest.MustEval[[]int](tab, `["box", "r1", "r2", "still"].map((id) => document.getElementById(id).mounts)`); fmt.Sprint(n) != "[1 1 1 1]" {
			t.Errorf("mounts of box, r1, r2, still: %v, want 1 each", n)
		}
		noConsole(t, tab)
	})

	t.Run("Connection", func(t *testing.T) {
		s := hooksSite(t, true)
		tab := s.open(b, "/page")
		p := s.page()
		takeLog(t, tab)
		// A short drop in which nothing changed: the hooks see nothing.
		s.tr.drop()
		tab.WaitFor(`liveTemplate.state !== "open"`, 5*time.Second)
		tab.WaitFor(`liveTemplate.state === "open"`, 5*time.Second)
		wantLog(t, tab)
		// A short drop in which the page changed: both, after the catch-up.
		s.tr.down.Store(true)
		s.tr.drop()
		tab.WaitFor(`liveTemplate.state !== "open"`, 5*time.Second)
		update(t, p, counter{Count: 2, Log: []string{"1", "2", "3"}})
		s.tr.down.Store(false)
		online(tab)
		wantLog(t, tab, "disconnected box 1", "disconnected r1 1", "disconnected r2 2", "disconnected r3 3", "disconnected still still",
			"beforeUpdate box 1", "updated box 2",
			"reconnected box 2", "reconnected r1 1", "reconnected r2 2", "reconnected r3 3", "reconnected still still")
		// A long outage: disconnected after a second, reconnected when back.
		s.tr.down.Store(true)
		s.tr.drop()
		time.Sleep(1500 * time.Millisecond)
		wantLog(t, tab, "disconnected box 2", "disconnected r1 1", "disconnected r2 2", "disconnected r3 3", "disconnected still still")
		s.tr.down.Store(false)
		online(tab)
		wantLog(t, tab, "reconnected box 2", "reconnected r1 1", "reconnected r2 2", "reconnected r3 3", "reconnected still still")
		noConsole(t, tab)
	})

	t.Run("Handover", func(t *testing.T) {
		// Three tabs share the browser's connection; the leader closes, then
		// the next one crashes: the last tab's hooks see neither handover
		// (nothing was missed, and the page was back within the grace), and
		// go on.
		s := hooksSite(t, true)
		var tabs []*browsertest.Tab
		for range 3 {
			tab := s.open(b, "/page")
			tab.WaitFor(`liveTemplate.leader.leader !== ""`, 5*time.Second)
			tabs = append(tabs, tab)
		}
		last := tabs[2]
		p := s.page()
		wantLog(t, last, "mounted box 1", "mounted r1 1", "mounted r2 2", "mounted r3 3", "mounted still still")
		leads := func(tab *browsertest.Tab) bool {
			return browsertest.MustEval[bool](tab, `liveTemplate.leader.leader === liveTemplate.leader.tab`)
		}
		if !leads(tabs[0]) {
			t.Fatal("the first tab does not lead")
		}
		tabs[0].Close()
		last.WaitFor(`liveTemplate.leader.leader !== liveTemplate.leader.tab && liveTemplate.state === "open"`, 5*time.Second)
		if !leads(tabs[1]) {
			t.Fatal("the second tab does not lead after the first closed")
		}
		tabsbench.Crash(tabs[1].Context())
		tabs[1].Close()
		last.WaitFor(`liveTemplate.leader.leader === liveTemplate.leader.tab && liveTemplate.state === "open"`, 5*time.Second)
		time.Sleep(1200 * time.Millisecond) // past the grace
		wantLog(t, last)
		update(t, p, counter{Count: 2, Log: []string{"1", "2", "3"}})
		wantLog(t, last, "beforeUpdate box 1", "updated box 2")
		noConsole(t, last)
	})

	t.Run("API", func(t *testing.T) {
		// pushEvent, handleEvent and exec of a hook; the client's own hooks (its option) before the registry's.
		s := newSite(t, siteConfig{src: hooksSrc, version: true, csp: strictCSP,
			data:   func() any { return counter{Count: 1} },
			head:   `<script src="/livetemplate.js"></script><script src="/hooks.js"></script>`,
			script: `<script src="/app.js" id="app" data-token="{{TOKEN}}" defer></script>`,
			extra: map[string]http.Handler{"GET /hooks.js": jsHandler(hooksJS), "GET /app.js": jsHandler(`
				const Mine = {
					mounted() {
						if (this.el.id !== "box") return;
						window.box = this;
						this.handleEvent("ping", (d) => log.push("ping " + JSON.stringify(d)));
						this.handleEvent("ping", () => { throw new Error("a handler that throws"); });
						const off = this.handleEvent("ping", () => log.push("removed"));
						off();
					},
				};
				window.liveTemplate = new LiveTemplateClient({ presetToken: app.dataset.token, version: 1, hooks: { Rec: Mine } });
				liveTemplate.connect("/live");`)},
		})
		tab := s.open(b, "/page")
		p := s.page()
		tab.WaitFor(`window.box`, 5*time.Second)
		if got := takeLog(t, tab); got != "" {
			t.Errorf("the registry's hook ran, not the client's own: %s", got)
		}
		got := browsertest.MustEval[string](tab, `box.pushEvent("add", {n: 2}).then((r) => "ok " + r, (e) => e.code)`)
		if got != "ok undefined" {
			t.Errorf("pushEvent: %s", got)
		}
		tab.WaitFor(`document.getElementById("count").textContent === "3"`, 5*time.Second)
		browsertest.MustEval[bool](tab, `inject({type: "push", name: "ping", data: {x: [1, "two"]}}), inject({type: "push", name: "other"}), true`)
		wantLog(t, tab, `ping {"x":[1,"two"]}`)
		if c := tab.Console(); len(c) != 1 || !strings.Contains(c[0], "a handler that throws") {
			t.Errorf("console: %q, want the handler's exception", c)
		}
		browsertest.MustEval[bool](tab, `box.exec('[["add-class",{"names":"on"}],["push",{"event":"add"}]]'), true`)
		tab.WaitFor(`document.getElementById("count").textContent === "4" && box.el.classList.contains("on")`, 5*time.Second)
		if c := p.Data().(counter).Count; c != 4 {
			t.Errorf("count %d on the server, want 4", c)
		}
	})
}

// TestHooksBeforeChunk: the hooks' code is in the chunk, which the client
// loads as it connects. Until it is here the page's hooks are not mounted,
// and the server's pushes that come meanwhile wait for them: a push sent
// while the chunk was held back reaches the hooks that mount once it came.
func TestHooksBeforeChunk(t *testing.T) {
	files, err := built()
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		if !r.URL.Query().Has("nav") {
			w.Write(files["livetemplate.js"])
			return
		}
		select {
		case <-release:
			w.Write(files["livetemplate-nav.mjs"])
		case <-r.Context().Done():
		}
	})
	s := newSite(t, siteConfig{src: hooksSrc, version: true, csp: strictCSP,
		data:   func() any { return counter{Count: 1, Log: []string{"1"}} },
		script: `<script src="/slow.js" data-live="/live" data-token="{{TOKEN}}"{{VERSION}}></script><script src="/hooks.js"></script>`,
		extra:  map[string]http.Handler{"GET /hooks.js": jsHandler(hooksJS), "GET /slow.js": slow}})
	tab := s.open(browsertest.Start(t), "/page")
	if err := s.page().Push(t.Context(), "ping", 7); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the push arrives
	if got := takeLog(t, tab); got != "" {
		t.Fatalf("hook calls before the chunk came:\n%s", got)
	}
	close(release)
	wantLog(t, tab, "mounted box 1", "mounted r1 1", "mounted still still", "ping box 7", "ping r1 7", "ping still 7")
	noConsole(t, tab)
}

package client_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The page sync in a page: what the client sends and reports.

// sentScript records the type and v of every message the page's
// WebSockets send, in window.sent.
const sentScript = `
	window.sent = [];
	const WS = window.WebSocket;
	window.WebSocket = class extends WS {
		send(d) {
			try { const m = JSON.parse(d); sent.push(m.type + (m.v === undefined ? "" : " v" + m.v)); } catch (e) {}
			super.send(d);
		}
	};`

func TestClientSync(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("TreeWhenIdle", func(t *testing.T) {
		// A page loaded with data-version joins without its tree, and
		// fetches it once the connection is idle: the first event's change
		// is a diff, with no join of the whole page on the way.
		s := newSite(t, siteConfig{version: true, head: `<script src="/sent.js"></script>`,
			extra: map[string]http.Handler{"GET /sent.js": jsHandler(sentScript)}})
		tab := s.open(b, "/page")
		tab.WaitFor(`sent.join("|") === "join v1|join v0"`, 5*time.Second)
		tab.WaitFor(`liveTemplate.version === 1`, 5*time.Second)
		time.Sleep(100 * time.Millisecond) // the render of the tree
		browsertest.MustEval[bool](tab, `sent.length = 0, liveTemplate.pushEvent("add"), true`)
		tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
		s.waitHTML(tab, s.page())
		time.Sleep(100 * time.Millisecond) // a resync would go out now
		if got := browsertest.MustEval[[]string](tab, `sent`); strings.Join(got, "|") != "event" {
			t.Errorf("sent %q after the event, want only the event", got)
		}
		noConsole(t, tab)
	})

	t.Run("DeferredListener", func(t *testing.T) {
		// A deferred script after the client's script tag, slow to load,
		// hears the first connected event: the client connects once the
		// document's scripts ran.
		s := newSite(t, siteConfig{body: `<script src="/slow.js" defer></script>`,
			extra: map[string]http.Handler{"GET /slow.js": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(500 * time.Millisecond)
				jsHandler(`window.heard = []; liveTemplate.on("connected", (e) => heard.push(e.v));`).ServeHTTP(w, r)
			})}})
		tab := b.Tab(t)
		tab.Navigate(s.srv.URL + "/page")
		tab.WaitFor(`window.heard && liveTemplate.state === "open" && liveTemplate.version > 0`, 10*time.Second)
		time.Sleep(100 * time.Millisecond)
		if got := browsertest.MustEval[[]int](tab, `heard`); len(got) != 1 {
			t.Errorf("the deferred script heard connected %v times, want once", got)
		}
		noConsole(t, tab)
	})

	t.Run("FatalOnce", func(t *testing.T) {
		// The page ends on the server: the client says so once, and the
		// events pushed after reject with the same error, unannounced.
		s := newSite(t, siteConfig{script: clientScript(``)})
		tab := s.open(b, "/page")
		if err := s.page().Close(); err != nil {
			t.Fatal(err)
		}
		tab.WaitFor(`liveTemplate.state === "closed"`, 5*time.Second)
		got := browsertest.MustEval[[]string](tab, `Promise.all([1, 2, 3].map(() => liveTemplate.pushEvent("add").then(() => "ok", (e) => e.code)))`)
		if strings.Join(got, " ") != "page_closed page_closed page_closed" {
			t.Errorf("pushes after the end: %q", got)
		}
		if errs := browsertest.MustEval[[]string](tab, `seen.filter((e) => e[0] === "error").map((e) => e[1].code + " " + e[1].fatal)`); strings.Join(errs, ",") != "page_closed true" {
			t.Errorf("error events %q, want one, fatal", errs)
		}
	})
}

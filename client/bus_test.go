package client_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// The browser tests of the public tab API: createBus and
// createLeaderElector, in several tabs of one Chromium.

// apiPage is a page that loads the ES module and puts it on window.lt.
const apiPage = `<!doctype html><title>api</title><script type="module">
import * as lt from "/livetemplate.mjs";
window.lt = lt;
window.seen = [];
</script>`

// apiTabs opens n tabs of the api page of srv; hide hides Web Locks in them.
func apiTabs(t *testing.T, b *browsertest.Browser, url string, n int, hide bool) []*browsertest.Tab {
	t.Helper()
	tabs := make([]*browsertest.Tab, n)
	for i := range tabs {
		tab := b.Tab(t)
		if hide {
			hideLocks(t)(tab)
		}
		tab.Navigate(url + "/api")
		tab.WaitFor(`window.lt`, 10*time.Second)
		tabs[i] = tab
	}
	return tabs
}

// crash ends tab's renderer, as a crash does: no pagehide, no unload.
func crash(t *testing.T, tab *browsertest.Tab) { tabsbench.Crash(tab.Context()) }

func apiServer(t *testing.T) string {
	t.Helper()
	srv := testServer(t, nil, map[string]http.Handler{"GET /api": htmlHandler(apiPage)})
	return srv.URL
}

func htmlHandler(html string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	})
}

func TestBus(t *testing.T) {
	b := browsertest.Start(t)
	url := apiServer(t)

	// open makes a bus on channel "c" in each tab, recording what "x" brings.
	open := func(t *testing.T, hide bool) []*browsertest.Tab {
		tabs := apiTabs(t, b, url, 3, hide)
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab, `window.bus = lt.createBus({channel: "c"}),
				bus.subscribe("x", (m) => seen.push([m.type, m.from, m.to ?? null, m.payload, typeof m.id])), true`)
		}
		return tabs
	}
	type msg []any

	t.Run("PublishReachesEveryTab", func(t *testing.T) {
		tabs := open(t, false)
		from := browsertest.MustEval[string](tabs[0], `bus.publish("x", {n: 1}), bus.tabId`)
		want := fmt.Sprint(msg{"x", from, nil, map[string]any{"n": float64(1)}, "string"})
		for i, tab := range tabs {
			tab.WaitFor(`seen.length === 1`, 10*time.Second)
			if got := browsertest.MustEval[[]msg](tab, `seen`); fmt.Sprint(got[0]) != want {
				t.Errorf("tab %d got %v, want %v", i, got, want)
			}
		}
	})

	t.Run("PublishToOneTab", func(t *testing.T) {
		tabs := open(t, false)
		to := browsertest.MustEval[string](tabs[2], `bus.tabId`)
		browsertest.MustEval[string](tabs[0], fmt.Sprintf(`bus.publish("x", 1, %q)`, to))
		browsertest.MustEval[string](tabs[0], `bus.publish("x", 2)`) // to all: once it is seen, the first one was delivered before
		for _, tab := range tabs {
			tab.WaitFor(`seen.some((m) => m[3] === 2)`, 10*time.Second)
		}
		for i, want := range []int{1, 1, 2} {
			if n := browsertest.MustEval[int](tabs[i], `seen.length`); n != want {
				t.Errorf("tab %d got %d messages, want %d", i, n, want)
			}
		}
	})

	t.Run("Close", func(t *testing.T) {
		tabs := open(t, false)
		browsertest.MustEval[bool](tabs[1], `bus.close(), true`)
		browsertest.MustEval[string](tabs[0], `bus.publish("x", 1)`)
		browsertest.MustEval[string](tabs[1], `bus.publish("x", 2)`) // closed: goes nowhere
		browsertest.MustEval[string](tabs[0], `bus.publish("x", 3)`)
		tabs[2].WaitFor(`seen.length === 2`, 10*time.Second)
		time.Sleep(100 * time.Millisecond) // a stray message would come now
		for i, want := range []string{"[1 3]", "[]", "[1 3]"} {
			if got := browsertest.MustEval[[]int](tabs[i], `seen.map((m) => m[3])`); fmt.Sprint(got) != want {
				t.Errorf("tab %d got payloads %v, want %s", i, got, want)
			}
		}
	})

	t.Run("WithoutWebLocksTabOnly", func(t *testing.T) {
		// Without Web Locks every tab leads itself, so its bus reaches only itself.
		tabs := open(t, true)
		browsertest.MustEval[string](tabs[0], `bus.publish("x", 1)`)
		tabs[0].WaitFor(`seen.length === 1`, 10*time.Second)
		time.Sleep(100 * time.Millisecond)
		if n := browsertest.MustEval[int](tabs[1], `seen.length`); n != 0 {
			t.Errorf("another tab got %d messages of a tab-only bus", n)
		}
	})
}

// TestBusRequest: requests over the bus, answered by the tab that responds.
func TestBusRequest(t *testing.T) {
	b := browsertest.Start(t)
	url := apiServer(t)
	// pair opens a responder tab and a requester tab on channel "r"; the
	// responder answers "double" with twice the payload, "fail" with an
	// error of code socket_down, and never answers "hang".
	pair := func(t *testing.T) (resp, req *browsertest.Tab) {
		tabs := apiTabs(t, b, url, 2, false)
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab, `window.bus = lt.createBus({channel: "r"}), true`)
		}
		browsertest.MustEval[bool](tabs[0], `window.answering = [
			bus.respond("double", (n) => n * 2),
			bus.respond("fail", () => { throw Object.assign(new Error("the socket is down"), {code: "socket_down"}); }),
			bus.respond("hang", () => new Promise(() => {})),
		], true`)
		return tabs[0], tabs[1]
	}
	// outcome is what a request in tab becomes: its value or its error's code.
	outcome := func(tab *browsertest.Tab, call string) string {
		return browsertest.MustEval[string](tab, call+`.then((v) => "ok " + v, (e) => e.name + " " + e.code)`)
	}

	t.Run("Reply", func(t *testing.T) {
		resp, req := pair(t)
		if got := outcome(req, `bus.request("double", 21)`); got != "ok 42" {
			t.Errorf("request from another tab: %s", got)
		}
		if got := outcome(resp, `bus.request("double", 4)`); got != "ok 8" {
			t.Errorf("request from the responding tab: %s", got)
		}
		if got := outcome(req, `bus.request("fail")`); got != "LiveTemplateError socket_down" {
			t.Errorf("a responder's error: %s", got)
		}
	})

	t.Run("BeforeAnyResponder", func(t *testing.T) {
		// A request sent while no tab responds waits for one, it is not lost.
		tabs := apiTabs(t, b, url, 2, false)
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab, `window.bus = lt.createBus({channel: "late"}), true`)
		}
		browsertest.MustEval[bool](tabs[1], `window.late = bus.request("double", 5, {timeout: 10000}).then((v) => "ok " + v, (e) => e.code), true`)
		time.Sleep(200 * time.Millisecond)
		browsertest.MustEval[bool](tabs[0], `bus.respond("double", (n) => n * 2), true`)
		if got := browsertest.MustEval[string](tabs[1], `late`); got != "ok 10" {
			t.Errorf("request sent before the responder: %s", got)
		}
	})

	t.Run("Timeout", func(t *testing.T) {
		_, req := pair(t)
		if got := outcome(req, `bus.request("nobody", 1, {timeout: 200})`); got != "LiveTemplateError timeout" {
			t.Errorf("request nobody answers: %s", got)
		}
		if got := outcome(req, `bus.request("hang", 1, {timeout: 200})`); got != "LiveTemplateError timeout" {
			t.Errorf("request the responder never answers: %s", got)
		}
	})

	t.Run("Abort", func(t *testing.T) {
		_, req := pair(t)
		got := outcome(req, `(() => { const ac = new AbortController(); const p = bus.request("hang", 1, {signal: ac.signal, timeout: 10000}); setTimeout(() => ac.abort(), 50); return p; })()`)
		if got != "LiveTemplateError aborted" {
			t.Errorf("aborted request: %s", got)
		}
		if got := outcome(req, `(() => { const ac = new AbortController(); ac.abort(); return bus.request("double", 1, {signal: ac.signal}); })()`); got != "LiveTemplateError aborted" {
			t.Errorf("request with an aborted signal: %s", got)
		}
	})

	t.Run("ResponderStops", func(t *testing.T) {
		// The leader gives up its part (here: it stops responding) while a request waits.
		resp, req := pair(t)
		browsertest.MustEval[bool](req, `window.r = bus.request("hang", 1, {timeout: 10000}).then(() => "ok", (e) => e.code), true`)
		time.Sleep(200 * time.Millisecond) // accepted by now
		browsertest.MustEval[bool](resp, `answering[2](), true`)
		if got := browsertest.MustEval[string](req, `r`); got != "leader_changed" {
			t.Errorf("request whose responder stopped: %s", got)
		}
	})

	t.Run("ResponderCrashes", func(t *testing.T) {
		resp, req := pair(t)
		browsertest.MustEval[bool](req, `window.t0 = 0, window.r = bus.request("hang", 1, {timeout: 10000}).then(() => "ok", (e) => [e.code, performance.now() - t0]), true`)
		time.Sleep(200 * time.Millisecond)
		browsertest.MustEval[bool](req, `t0 = performance.now(), true`)
		crash(t, resp)
		got := browsertest.MustEval[[]any](req, `r`)
		if got[0] != "leader_changed" {
			t.Errorf("request whose responder crashed: %v", got)
		}
		t.Logf("rejected %.0f ms after the crash", got[1])
	})
}

// TestLeaderElector: one leader among the tabs, handed over at once when it
// stops, closes or crashes.
func TestLeaderElector(t *testing.T) {
	b := browsertest.Start(t)
	url := apiServer(t)
	// elect starts an elector in each tab, attaching its handlers after start().
	elect := func(t *testing.T, tabs []*browsertest.Tab) {
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab, `window.el = lt.createLeaderElector({key: "k"}), el.start(),
				el.on("acquire", () => seen.push("acquire")), el.on("lose", () => seen.push("lose")), true`)
		}
	}
	leaders := func(tabs []*browsertest.Tab) []int {
		var out []int
		for i, tab := range tabs {
			if browsertest.MustEval[bool](tab, `el.isLeader()`) {
				out = append(out, i)
			}
		}
		return out
	}
	waitLeaders := func(t *testing.T, tabs []*browsertest.Tab, n int) []int {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			l := leaders(tabs)
			if len(l) == n {
				return l
			}
			if time.Now().After(deadline) {
				t.Fatalf("leaders %v, want %d", l, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("OneLeader", func(t *testing.T) {
		tabs := apiTabs(t, b, url, 3, false)
		elect(t, tabs)
		l := waitLeaders(t, tabs, 1)[0]
		time.Sleep(100 * time.Millisecond)
		if got := leaders(tabs); len(got) != 1 {
			t.Fatalf("leaders %v", got)
		}
		// The handler attached after start() saw the acquisition; nobody else did.
		for i, tab := range tabs {
			want := "[]"
			if i == l {
				want = "[acquire]"
			}
			if got := browsertest.MustEval[[]string](tab, `seen`); fmt.Sprint(got) != want {
				t.Errorf("tab %d saw %v, want %s", i, got, want)
			}
		}
		if !browsertest.MustEval[bool](tabs[l], `el.shared && typeof el.tabId === "string" && el.tabId.length > 0`) {
			t.Error("shared or tabId wrong")
		}
	})

	t.Run("LateHandler", func(t *testing.T) {
		tabs := apiTabs(t, b, url, 1, false)
		browsertest.MustEval[bool](tabs[0], `window.el = lt.createLeaderElector({key: "late", tabId: "mine"}), el.start(), true`)
		tabs[0].WaitFor(`el.isLeader()`, 10*time.Second)
		browsertest.MustEval[bool](tabs[0], `el.on("acquire", () => seen.push(el.tabId)), true`)
		tabs[0].WaitFor(`seen.length === 1 && seen[0] === "mine"`, 10*time.Second)
	})

	handover := map[string]func(t *testing.T, tab *browsertest.Tab){
		"Stop":  func(t *testing.T, tab *browsertest.Tab) { browsertest.MustEval[bool](tab, `el.stop(), true`) },
		"Close": func(t *testing.T, tab *browsertest.Tab) { tab.Close() },
		"Crash": crash,
	}
	for name, end := range handover {
		t.Run(name, func(t *testing.T) {
			tabs := apiTabs(t, b, url, 3, false)
			elect(t, tabs)
			old := waitLeaders(t, tabs, 1)[0]
			start := time.Now()
			end(t, tabs[old])
			rest := append(append([]*browsertest.Tab(nil), tabs[:old]...), tabs[old+1:]...)
			if name == "Stop" {
				rest = tabs
			}
			l := waitLeaders(t, rest, 1)
			t.Logf("a new leader after %v", time.Since(start))
			if name == "Stop" {
				if l[0] == old {
					t.Fatal("the stopped tab leads again")
				}
				if got := browsertest.MustEval[[]string](tabs[old], `seen`); fmt.Sprint(got) != "[acquire lose]" {
					t.Errorf("the stopped leader saw %v", got)
				}
			}
		})
	}

	t.Run("Steal", func(t *testing.T) {
		// Two followers steal the lock 100 ms apart, as two that found
		// the leader silent may: the first leads, the second does not
		// steal it again; the old leader loses the lock and waits for it
		// like any other tab, and gets it when its turn comes.
		tabs := apiTabs(t, b, url, 3, false)
		elect(t, tabs)
		old := waitLeaders(t, tabs, 1)[0]
		first, second := (old+1)%3, (old+2)%3
		at := time.Now().Add(300 * time.Millisecond).UnixMilli()
		for i, delay := range map[int]int64{first: 0, second: 100} {
			browsertest.MustEval[bool](tabs[i], fmt.Sprintf(`setTimeout(() => el.steal(), %d - Date.now()), true`, at+delay))
		}
		time.Sleep(time.Until(time.UnixMilli(at).Add(400 * time.Millisecond)))
		if l := waitLeaders(t, tabs, 1)[0]; l != first {
			t.Fatalf("tab %d leads, want the first to steal, %d", l, first)
		}
		l := first
		for i, tab := range tabs {
			want := "[]"
			switch i {
			case old:
				want = "[acquire lose]"
			case l:
				want = "[acquire]"
			}
			if got := browsertest.MustEval[[]string](tab, `seen`); fmt.Sprint(got) != want {
				t.Errorf("tab %d saw %v, want %s", i, got, want)
			}
		}
		browsertest.MustEval[bool](tabs[l], `el.stop(), true`)
		if next := waitLeaders(t, tabs, 1)[0]; next == l {
			t.Error("the stopped tab leads again")
		}
	})

	t.Run("WithoutWebLocks", func(t *testing.T) {
		// Each tab leads itself: never two leaders of one group, because each tab is its own.
		tabs := apiTabs(t, b, url, 2, true)
		elect(t, tabs)
		for _, tab := range tabs {
			tab.WaitFor(`el.isLeader() && !el.shared && seen.join() === "acquire"`, 10*time.Second)
		}
	})
}

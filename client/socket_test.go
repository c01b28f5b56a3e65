package client_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// clientScript connects a client with options (a JavaScript object's
// members) to /live, as window.liveTemplate, and records its events in
// window.seen.
func clientScript(options string) string {
	return `<script src="/livetemplate.js"></script>
<script>
  window.liveTemplate = new LiveTemplateClient({presetToken: "{{TOKEN}}", version: {{V}}, ` + options + `});
  window.seen = [];
  for (const e of ["connected", "disconnected", "reconnecting", "updated", "error"]) liveTemplate.on(e, a => seen.push([e, a]));
  liveTemplate.connect("/live");
</script>`
}

// TestConnection tests the connection: resume after a lost socket with
// every event applied once, the heartbeat, the backoff and its wake-ups.
func TestConnection(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("DropMidStream", func(t *testing.T) {
		s := newSite(t, siteConfig{
			script: clientScript(`backoffBase: 50, maxPending: 1000`),
			opts:   []livetemplate.Option{livetemplate.WithEventRate(2000, 2000)},
		})
		tab := s.open(b, "/page")
		p := s.page()
		const n = 300
		// Events stream from the page, a few at a time, while the server
		// drops the connection three times.
		browsertest.MustEval[bool](tab, fmt.Sprintf(`(() => {
			window.done = 0; window.failed = [];
			let i = 0;
			const next = () => {
				for (let k = 0; k < 3 && i < %d; k++, i++) liveTemplate.pushEvent("add").then(() => done++, e => failed.push(e.code));
				if (i < %d) setTimeout(next, 3);
			};
			next();
			return true;
		})()`, n, n))
		drops := 0
		for i := range 3 {
			time.Sleep(50 * time.Millisecond)
			if i == 0 {
				if d := browsertest.MustEval[int](tab, `done`); d == 0 || d >= n {
					t.Errorf("%d of %d events done at the first drop: not mid-stream", d, n)
				}
			}
			drops += s.tr.drop()
			tab.WaitFor(fmt.Sprintf(`seen.filter(e => e[0] === "connected").length === %d`, i+2), 10*time.Second)
		}
		tab.WaitFor(fmt.Sprintf(`done + failed.length === %d`, n), 20*time.Second)
		if f := browsertest.MustEval[[]string](tab, `failed`); len(f) > 0 {
			t.Fatalf("failed events: %v", f)
		}
		if c := p.Data().(counter).Count; c != n {
			t.Errorf("count %d, want %d", c, n)
		}
		s.mu.Lock()
		for id, runs := range s.runs {
			if runs != 1 {
				t.Errorf("event %s ran %d times", id, runs)
			}
		}
		if len(s.runs) != n {
			t.Errorf("%d events ran, want %d", len(s.runs), n)
		}
		s.mu.Unlock()
		s.waitHTML(tab, p)
		if drops < 3 {
			t.Errorf("%d connections dropped", drops)
		}
		if !browsertest.MustEval[bool](tab, `seen.filter(e => e[0] === "connected").length === 4`) {
			t.Errorf("events: %s", browsertest.MustEval[string](tab, `JSON.stringify(seen.map(e => e[0]))`))
		}
		noConsole(t, tab)
	})

	t.Run("Pushes", func(t *testing.T) {
		// Changes made while the client is away arrive on resume.
		s := newSite(t, siteConfig{script: clientScript(`backoffBase: 300`)})
		tab := s.open(b, "/page")
		p := s.page()
		browsertest.MustEval[bool](tab, `window.marker = true`)
		for i := range 20 {
			if i%5 == 0 {
				s.tr.drop()
			}
			if _, err := p.Update(counter{Count: i, Log: []string{fmt.Sprint("k", i%4), fmt.Sprint("j", i%3)}}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		s.waitHTML(tab, p)
		tab.WaitFor(fmt.Sprintf(`liveTemplate.version === %d`, p.Version()), 5*time.Second)
		if !browsertest.MustEval[bool](tab, `window.marker === true`) {
			t.Error("the page was reloaded")
		}
	})

	t.Run("HalfOpen", func(t *testing.T) {
		s := newSite(t, siteConfig{script: clientScript(`backoffBase: 50, heartbeat: 200, pongTimeout: 200`)})
		tab := s.open(b, "/page")
		p := s.page()
		opened := s.tr.opened.Load()
		s.tr.freeze()
		// An event sent into the half-open socket is applied once, after the
		// heartbeat found the socket dead and the client reconnected.
		if got := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("add", {n: 5}).then(() => "ok", e => e.code)`); got != "ok" {
			t.Fatalf("pushEvent: %s", got)
		}
		if s.tr.opened.Load() == opened {
			t.Error("no new connection")
		}
		if c := p.Data().(counter).Count; c != 5 {
			t.Errorf("count %d", c)
		}
		s.waitHTML(tab, p)
	})

	t.Run("Backoff", func(t *testing.T) {
		s := newSite(t, siteConfig{script: clientScript(`backoffBase: 20, backoffMax: 80`)})
		s.tr.down.Store(true)
		tab := b.Tab(t)
		tab.Navigate(s.srv.URL + "/page")
		tab.WaitFor(`seen.filter(e => e[0] === "reconnecting").length >= 10`, 10*time.Second)
		delays := browsertest.MustEval[[]float64](tab, `seen.filter(e => e[0] === "reconnecting").map(e => e[1].delay)`)
		atCap := map[float64]bool{}
		for i, d := range delays {
			limit := min(80, 20*float64(int(1)<<min(i, 10)))
			if d < 0 || d > limit {
				t.Errorf("delay %d: %.1f ms, want 0..%v", i+1, d, limit)
			}
			if i >= 2 {
				atCap[d] = true
			}
		}
		if len(atCap) < 3 {
			t.Errorf("the delays at the cap repeat: %v", delays)
		}
		// Back up: the next attempt connects.
		s.tr.down.Store(false)
		tab.WaitFor(`liveTemplate.state === "open"`, 5*time.Second)
	})

	for _, wake := range []string{`dispatchEvent(new Event("online"))`, `document.dispatchEvent(new Event("visibilitychange"))`} {
		name := "WakeOnline"
		if strings.Contains(wake, "visibility") {
			name = "WakeVisible"
		}
		t.Run(name, func(t *testing.T) {
			s := newSite(t, siteConfig{script: clientScript(`backoffBase: 600000, backoffMax: 600000`)})
			s.tr.down.Store(true)
			tab := b.Tab(t)
			tab.Navigate(s.srv.URL + "/page")
			tab.WaitFor(`liveTemplate.state === "backoff"`, 5*time.Second)
			s.tr.down.Store(false)
			time.Sleep(50 * time.Millisecond)
			if st := browsertest.MustEval[string](tab, `liveTemplate.state`); st != "backoff" {
				t.Fatalf("state %s", st)
			}
			browsertest.MustEval[bool](tab, wake+`, true`)
			tab.WaitFor(`liveTemplate.state === "open"`, 2*time.Second)
		})
	}

	t.Run("ConnectTimeout", func(t *testing.T) {
		s := newSite(t, siteConfig{script: clientScript(`backoffBase: 20, backoffMax: 40, connectTimeout: 200`)})
		s.tr.stall.Store(true)
		tab := b.Tab(t)
		tab.Navigate(s.srv.URL + "/page")
		tab.WaitFor(`seen.filter(e => e[0] === "reconnecting").length >= 2`, 5*time.Second)
		s.tr.stall.Store(false)
		tab.WaitFor(`liveTemplate.state === "open"`, 5*time.Second)
	})

	t.Run("StableReset", func(t *testing.T) {
		// Connections that the server drops soon after they open do not
		// reset the backoff; connections that stayed open for stableAfter do.
		attempts := func(life time.Duration, stable int) []int {
			s := newSite(t, siteConfig{script: clientScript(fmt.Sprintf(`backoffBase: 10, backoffMax: 40, stableAfter: %d`, stable))})
			s.tr.life.Store(int64(life))
			tab := b.Tab(t)
			tab.Navigate(s.srv.URL + "/page")
			tab.WaitFor(`seen.filter(e => e[0] === "reconnecting").length >= 5`, 10*time.Second)
			return browsertest.MustEval[[]int](tab, `seen.filter(e => e[0] === "reconnecting").map(e => e[1].attempt)`)
		}
		if a := attempts(20*time.Millisecond, 1000); a[4] != 5 {
			t.Errorf("short connections: attempts %v, want 1, 2, 3, ...", a)
		}
		if a := attempts(150*time.Millisecond, 100); a[4] != 1 {
			t.Errorf("stable connections: attempts %v, want 1, 1, 1, ...", a)
		}
	})

	t.Run("ConnectTwice", func(t *testing.T) {
		s := newSite(t, siteConfig{
			head:   `<script src="/count.js"></script>`,
			script: clientScript(``) + `<script>liveTemplate.connect("/live"); liveTemplate.connect("/live");</script>`,
			extra: map[string]http.Handler{"GET /count.js": jsHandler(`
				window.sockets = 0;
				const WS = window.WebSocket;
				window.WebSocket = class extends WS { constructor(...a) { super(...a); sockets++; } };`)},
		})
		tab := s.open(b, "/page")
		browsertest.MustEval[bool](tab, `liveTemplate.connect("/live"), true`)
		time.Sleep(100 * time.Millisecond)
		if n := browsertest.MustEval[int](tab, `sockets`); n != 1 {
			t.Errorf("%d sockets", n)
		}
		if n := s.tr.opened.Load(); n != 1 {
			t.Errorf("%d connections", n)
		}
	})
}

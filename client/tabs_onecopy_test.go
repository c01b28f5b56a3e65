package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// TestTabsOneCopy: five tabs of a browser show one page (a sixth, which
// leads, and a seventh show others): the server writes one diff per event
// to the shared connection, not one per tab (frames counted on the real
// socket: the diff and the sender's ack), and every tab shows the page; a
// tab that opens the page then costs its own join's answer alone.
// A tab that closes leaves the page joined for the others, the tab whose
// join carried the page's diffs too (another carries them on), a leader
// crash while two tabs push runs every event once, and the last tab of the
// page that closes leaves it, while the connection stays for the other
// page. (Before, the server wrote a diff to each of the five tabs.)
func TestTabsOneCopy(t *testing.T) {
	b := browsertest.Start(t)
	ts := newTabsSite(t)
	leader := ts.openTab(t, b, "other")
	tabs := ts.openTabs(t, b, []string{"one", "one", "one", "one", "one"})
	keep := ts.openTab(t, b, "keep")
	if i, _, _ := waitLeader(t, []*liveTab{leader, keep}, 0, 0); i != 0 {
		t.Fatalf("tab %d leads, want the first", i)
	}
	one := ts.pageOf(t, tabs[0])
	n := 0
	// ticks pushes k events from tab, one at a time, waits until every tab
	// of tabs shows the page, and checks the frames the server wrote.
	ticks := func(from *liveTab, k int, shown []*liveTab) {
		t.Helper()
		time.Sleep(300 * time.Millisecond) // the joins' answers are written
		before := ts.conns.Writes()
		for range k {
			n++
			push(t, from, "tick", fmt.Sprintf(`{k: "one.%d"}`, n))
		}
		for _, tab := range shown {
			ts.waitHTML(tab.Tab, one)
		}
		if w := ts.conns.Writes() - before; w > int64(2*k+2) {
			t.Errorf("%d tabs on the page: the server wrote %d frames for %d events, want at most 2 each (the diff and the ack)", len(shown), w, k)
		}
	}
	ticks(tabs[3], 20, tabs)

	// A tab that opens the page joins it quietly: the server answers it
	// alone (its HTML came without data-version: the render, then joined),
	// and the other tabs get no copy.
	before := ts.conns.Writes()
	late := ts.openTab(t, b, "one")
	ts.waitHTML(late.Tab, one)
	if w := ts.conns.Writes() - before; w > 3 {
		t.Errorf("a sixth tab's join: the server wrote %d frames, want the render and joined", w)
	}
	late.Close()
	waitViewers(t, one, 5)

	tabs[1].Close() // a tab whose join is quiet
	waitViewers(t, one, 4)
	ticks(tabs[3], 10, []*liveTab{tabs[0], tabs[2], tabs[3], tabs[4]})

	tabs[0].Close() // the tab whose join carried the page: another carries it on
	waitViewers(t, one, 3)
	rest := tabs[2:]
	ticks(tabs[4], 10, rest)

	// The leader crashes while two tabs push: every event runs once, and
	// the tabs show the page on the next leader's connection.
	for _, tab := range rest[:2] {
		browsertest.MustEval[bool](tab.Tab, `startPumps(1)`)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	crashTab(leader)
	waitLeader(t, append([]*liveTab{keep}, rest...), 0, start.UnixMilli())
	time.Sleep(300 * time.Millisecond)
	for _, tab := range rest[:2] {
		r := browsertest.MustEval[map[string][]string](tab.Tab, `stopPumps()`)
		if len(r["failed"]) > 0 || len(r["acked"]) != len(r["sent"]) || len(r["sent"]) == 0 {
			t.Errorf("tab %s: %d sent, %d acknowledged, failed %q", tab.id, len(r["sent"]), len(r["acked"]), r["failed"])
		}
	}
	ts.runsOnce(t)
	waitViewers(t, one, 3)
	ticks(rest[0], 10, rest)

	// The page's last tabs close (the leader may be among them): the page
	// is left, the connection stays for the other page.
	for _, tab := range rest {
		tab.Close()
	}
	waitViewers(t, one, 0)
	ts.waitOpen(t, 1)
	push(t, keep, "tick", `{k: "keep"}`)
	ts.waitHTML(keep.Tab, ts.pageOf(t, keep))
	ts.runsOnce(t)
	noConsole(t, keep.Tab)
}

// waitViewers waits until p has n joins on the server.
func waitViewers(t *testing.T, p *livetemplate.Page, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Viewers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the page has %d viewers, want %d", p.Viewers(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTabsOneCopyPushes: three tabs of a browser show one page, whose
// diffs and pushes the first tab's join carries for all: Page.Push reaches
// every tab's hooks once, and a push to the sender of an event
// (PushToSender) only the sender's, whether the sender is the carrier or a
// quiet tab.
func TestTabsOneCopyPushes(t *testing.T) {
	b := browsertest.Start(t)
	var mu sync.Mutex
	var same *livetemplate.Page
	s := newSite(t, siteConfig{src: pushSrc, routes: func(s *site) map[string]http.Handler {
		return map[string]http.Handler{
			"GET /push.js": jsHandler(pushJS),
			"GET /same": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if same == nil {
					p, err := s.app.NewPage("t", counter{})
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					same = p
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprintf(w, `<!doctype html><html><body><div data-lvt-root></div><script src="/livetemplate.js" data-live="/live" data-token="%s" defer></script><script src="/push.js" defer></script></body></html>`, same.GetToken())
			}),
		}
	}})
	s.handle("toast", func(ctx context.Context, _ *livetemplate.Page, e livetemplate.Event) error {
		var d struct{ N int }
		if err := e.Decode(&d); err != nil {
			return err
		}
		return livetemplate.PushToSender(ctx, "point", map[string]int{"n": d.N})
	})
	var tabs []*browsertest.Tab
	for range 3 {
		tab := s.open(b, "/same")
		tab.WaitFor(`window.chart && liveTemplate.state === "open"`, 10*time.Second)
		tabs = append(tabs, tab)
	}
	mu.Lock()
	p := same
	mu.Unlock()
	waitViewers(t, p, 3)
	point := func(n int) {
		if err := p.Push(t.Context(), "point", map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
	}
	toast := func(tab *browsertest.Tab, n int) {
		if got := browsertest.MustEval[string](tab, fmt.Sprintf(`chart.pushEvent("toast", {n: %d}).then(() => "ok", (e) => e.code)`, n)); got != "ok" {
			t.Fatalf("toast %d: %s", n, got)
		}
	}
	point(1)
	toast(tabs[1], 2) // a quiet tab
	toast(tabs[0], 3) // the carrier
	point(4)
	for i, want := range []string{"1@0 3@0 4@0", "1@0 2@0 4@0", "1@0 4@0"} {
		tabs[i].WaitFor(`log.includes("4@0")`, 5*time.Second)
		if got := strings.Join(browsertest.MustEval[[]string](tabs[i], `log`), " "); got != want {
			t.Errorf("tab %d: pushes %q; want %q", i, got, want)
		}
	}
	if n := s.tr.opened.Load(); n != 1 {
		t.Errorf("%d connections for three tabs; want 1", n)
	}
}

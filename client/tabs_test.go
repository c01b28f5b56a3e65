package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// The browser tests of one connection for all the tabs of a browser: tabs of
// one Chromium open pages of a real application, and the server counts the
// WebSocket connections they make while leaders close and crash.

// waitOpen waits until n connections of the site's endpoint are open.
func (ts *tabsSite) waitOpen(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for ts.conns.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", ts.conns.Open(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tabsSite is a site whose pages are named: /tab/{name} shows the page of
// that name, made on its first request, so that tabs may share one, and
// connects to the endpoint /live (or the path of its query's live); each
// page loads tabsbench.Script, which records its connected events and pumps
// "tick" events. Its
// event "tick" logs its data's key k, counting each key's and each event
// id's runs.
type tabsSite struct {
	*site
	conns tabsbench.ConnCount // of the endpoint /live

	byName map[string]*livetemplate.Page // under site.mu
	keys   map[string]int                // tick key -> runs, under site.mu
}

func newTabsSite(t *testing.T, opts ...livetemplate.Option) *tabsSite {
	t.Helper()
	ts := &tabsSite{byName: map[string]*livetemplate.Page{}, keys: map[string]int{}}
	ts.site = newSite(t, siteConfig{
		// All tabs share one connection's rate limit.
		opts: append([]livetemplate.Option{livetemplate.WithEventRate(5000, 10000)}, opts...),
		routes: func(s *site) map[string]http.Handler {
			return map[string]http.Handler{
				"/live":           ts.conns.Wrap(s.tr.wrap(s.app.Handler())), // tr: to drop connections
				"/admin/live":     ts.conns.Wrap(adminOnly(s.app.Handler())), // the same application's endpoint, mounted twice
				"GET /tabs.js":    jsHandler(string(tabsbench.Script)),
				"GET /tab/{name}": http.HandlerFunc(ts.serveTab),
			}
		},
	})
	ts.handle("tick", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		var d struct{ K string }
		if err := e.Decode(&d); err != nil {
			return err
		}
		ts.mu.Lock()
		ts.keys[d.K]++
		ts.runs[e.ID]++
		ts.mu.Unlock()
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count++
			c.Log = append(c.Log[max(0, len(c.Log)-7):len(c.Log):len(c.Log)], d.K)
			return c, nil
		})
		return err
	})
	return ts
}

// adminOnly stands for an authorization middleware: it lets every request
// through, with a header that says so.
func adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Admin", "1")
		h.ServeHTTP(w, r)
	})
}

func (ts *tabsSite) serveTab(w http.ResponseWriter, r *http.Request) {
	p, err := ts.namedPage(r.PathValue("name"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	live := r.URL.Query().Get("live")
	if live == "" {
		live = "/live"
	}
	tabsbench.WritePage(w, p, live, false)
}

// namedPage returns the page of name, making it the first time.
func (ts *tabsSite) namedPage(name string) (*livetemplate.Page, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if p := ts.byName[name]; p != nil {
		return p, nil
	}
	p, err := ts.app.NewPage("t", counter{})
	if err != nil {
		return nil, err
	}
	ts.byName[name] = p
	return p, nil
}

// liveTab is a tab that shows the page of a name.
type liveTab struct {
	*browsertest.Tab
	name string
	id   string // the client's tab id
}

// openTab opens a tab on the page of name, after setup (which may add init
// scripts), and waits until the page is live.
func (ts *tabsSite) openTab(t *testing.T, b *browsertest.Browser, name string, setup ...func(*browsertest.Tab)) *liveTab {
	t.Helper()
	tab := b.Tab(t)
	for _, f := range setup {
		f(tab)
	}
	return ts.load(t, tab, name)
}

// openTabs opens a tab on the page of each name, in order, after setup.
func (ts *tabsSite) openTabs(t *testing.T, b *browsertest.Browser, names []string, setup ...func(*browsertest.Tab)) []*liveTab {
	t.Helper()
	var tabs []*liveTab
	for _, name := range names {
		tabs = append(tabs, ts.openTab(t, b, name, setup...))
	}
	return tabs
}

// names returns n page names: prefix0, prefix1, ...
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// end checks how a test left the site: open connections of its endpoint
// (waiting for them), opened connections, each event run at most once, and
// nothing written to the tabs' consoles.
func (ts *tabsSite) end(t *testing.T, tabs []*liveTab, open, opened int) {
	t.Helper()
	ts.waitOpen(t, open)
	if n := ts.conns.Opened(); n != opened {
		t.Errorf("%d connections opened, want %d", n, opened)
	}
	ts.runsOnce(t)
	for _, tab := range tabs {
		noConsole(t, tab.Tab)
	}
}

// load navigates tab to the page of name and waits until the page is live.
func (ts *tabsSite) load(t *testing.T, tab *browsertest.Tab, name string) *liveTab {
	t.Helper()
	tab.Navigate(ts.srv.URL + "/tab/" + name)
	tab.WaitFor(`window.conns && conns.length > 0 && liveTemplate.state === "open"`, 20*time.Second)
	return &liveTab{Tab: tab, name: name, id: browsertest.MustEval[string](tab, `liveTemplate.leader.tab`)}
}

// pageOf returns the page that tab shows.
func (ts *tabsSite) pageOf(t *testing.T, tab *liveTab) *livetemplate.Page {
	t.Helper()
	p, err := ts.namedPage(tab.name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func viewOf(tab *liveTab) (tabsbench.View, error) { return tabsbench.ViewOf(tab.Context()) }

// waitLeader is [tabsbench.WaitLeader] that fails the test on error.
func waitLeader(t *testing.T, tabs []*liveTab, after float64, since int64) (int, float64, int64) {
	t.Helper()
	ctxs := make([]context.Context, len(tabs))
	for i, tab := range tabs {
		ctxs[i] = tab.Context()
	}
	leader, epoch, live, err := tabsbench.WaitLeader(ctxs, after, since)
	if err != nil {
		t.Fatal(err)
	}
	return leader, epoch, live
}

// crashTab crashes tab's renderer and closes the dead tab.
func crashTab(tab *liveTab) {
	tabsbench.Crash(tab.Context())
	tab.Close()
}

// lifecycle sets tab's page lifecycle state, as the browser does to a background tab.
func lifecycle(t *testing.T, tab *liveTab, state page.SetWebLifecycleStateState) {
	t.Helper()
	if _, err := chromedp.Call(tab.Context(), page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: state}); err != nil {
		t.Fatal(err)
	}
}

// hideLocks hides the Web Locks API from the tab's pages before their scripts run.
func hideLocks(t *testing.T) func(*browsertest.Tab) {
	return func(tab *browsertest.Tab) {
		const src = `Object.defineProperty(Navigator.prototype, "locks", {get() { return undefined; }});`
		if _, err := chromedp.Call(tab.Context(), page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
}

// slowTabLock delays the grant of the tab's own tab lock by half a second,
// as a loaded browser may: the tab must not talk to the leader before it
// holds it, or the leader, which watches it, takes the tab for gone.
func slowTabLock(t *testing.T) func(*browsertest.Tab) {
	return func(tab *browsertest.Tab) {
		const src = `{
			const request = LockManager.prototype.request;
			LockManager.prototype.request = function (name, ...rest) {
				if (!String(name).startsWith("livetemplate:tab:") || this.slowed) return request.call(this, name, ...rest);
				this.slowed = true;
				return new Promise((r) => setTimeout(r, 500)).then(() => request.call(this, name, ...rest));
			};
		}`
		if _, err := chromedp.Call(tab.Context(), page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
			t.Fatal(err)
		}
	}
}

// push pushes event name with data from tab and fails the test unless it is acknowledged.
func push(t *testing.T, tab *liveTab, name, data string) {
	t.Helper()
	if got := browsertest.MustEval[string](tab.Tab, fmt.Sprintf(`liveTemplate.pushEvent(%q, %s).then(() => "ok", (e) => e.code)`, name, data)); got != "ok" {
		t.Fatalf("tab %s: pushEvent(%s, %s): %s", tab.name, name, data, got)
	}
}

// converge updates every page that tabs show and waits until each tab shows
// its page's HTML on the server.
func (ts *tabsSite) converge(t *testing.T, tabs []*liveTab, count int) {
	t.Helper()
	done := map[string]bool{}
	for _, tab := range tabs {
		p := ts.pageOf(t, tab)
		if !done[tab.name] {
			done[tab.name] = true
			if _, err := p.Modify(t.Context(), func(data any) (any, error) {
				c := data.(counter)
				c.Count = count
				c.Log = append(c.Log[max(0, len(c.Log)-7):len(c.Log):len(c.Log)], "server")
				return c, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tab := range tabs {
		ts.waitHTML(tab.Tab, ts.pageOf(t, tab))
	}
}

// runsOnce fails the test if an event id or a tick key ran more than once.
func (ts *tabsSite) runsOnce(t *testing.T) {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for id, n := range ts.runs {
		if n != 1 {
			t.Errorf("event %s ran %d times", id, n)
		}
	}
	for k, n := range ts.keys {
		if n != 1 {
			t.Errorf("tick %s ran %d times", k, n)
		}
	}
}

func TestTabs(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("OneConnection", func(t *testing.T) {
		// Five tabs on five pages: one connection, held by the first tab.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("p", 5))
		if leader, _, _ := waitLeader(t, tabs, 0, 0); leader != 0 {
			t.Errorf("tab %d leads, want the first", leader)
		}
		for i, tab := range tabs {
			if v, err := viewOf(tab); err != nil || !v.Shared {
				t.Errorf("tab %d: %+v, %v: not shared", i, v, err)
			}
		}
		for i, tab := range tabs {
			push(t, tab, "add", fmt.Sprintf(`{n: %d}`, i+1))
		}
		for i, tab := range tabs {
			ts.waitHTML(tab.Tab, ts.pageOf(t, tab))
			if c := ts.pageOf(t, tab).Data().(counter).Count; c != i+1 {
				t.Errorf("page %s: count %d, want %d", tab.name, c, i+1)
			}
		}
		ts.converge(t, tabs, 50)
		ts.end(t, tabs, 1, 1)
	})

	t.Run("OnePage", func(t *testing.T) {
		// Three tabs on one page: each tab's events reach the page, and every tab shows it.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, []string{"same", "same", "same"})
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab.Tab, `window.both = Promise.all([liveTemplate.pushEvent("add"), liveTemplate.pushEvent("add", {n: 2})]).then(() => "ok", (e) => e.code), true`)
		}
		for i, tab := range tabs {
			if got := browsertest.MustEval[string](tab.Tab, `both`); got != "ok" {
				t.Fatalf("tab %d: %s", i, got)
			}
		}
		p := ts.pageOf(t, tabs[0])
		for _, tab := range tabs {
			ts.waitHTML(tab.Tab, p)
		}
		if c := p.Data().(counter).Count; c != 9 {
			t.Errorf("count %d, want 9", c)
		}
		ts.converge(t, tabs, 60)
		ts.end(t, tabs, 1, 1)
	})

	for _, kill := range []struct {
		name string
		kill func(*liveTab)
	}{
		{"LeaderCloses", func(tab *liveTab) { tab.Close() }},
		{"LeaderCrashes", crashTab},
	} {
		t.Run(kill.name, func(t *testing.T) {
			// The leader goes: another tab leads, every other tab's page
			// follows the server, and their events still run.
			ts := newTabsSite(t)
			tabs := ts.openTabs(t, b, names("k", 4))
			leader, epoch, _ := waitLeader(t, tabs, 0, 0)
			rest := slices.Delete(slices.Clone(tabs), leader, leader+1)
			start := time.Now()
			kill.kill(tabs[leader])
			next, _, live := waitLeader(t, rest, epoch, start.UnixMilli())
			t.Logf("%s: failover %d ms, to every other page live again", kill.name, live-start.UnixMilli())
			ts.converge(t, rest, 70)
			for i, tab := range rest {
				push(t, tab, "add", fmt.Sprintf(`{n: %d}`, i+1))
				want := 70 + i + 1
				if c := ts.pageOf(t, tab).Data().(counter).Count; c != want {
					t.Errorf("page %s: count %d, want %d", tab.name, c, want)
				}
			}
			for _, tab := range rest {
				ts.waitHTML(tab.Tab, ts.pageOf(t, tab))
			}
			if v, _ := viewOf(rest[next]); v.Tab != v.Leader {
				t.Errorf("the new leader %+v", v)
			}
			ts.end(t, rest, 1, 2) // the old leader's connection is gone
		})
	}

	t.Run("LeaderFrozen", func(t *testing.T) {
		// The browser freezes the leading tab (a background tab, to save
		// power): it hands the connection over before it stops running,
		// and when it resumes it follows the new leader.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("f", 3))
		leader, epoch, _ := waitLeader(t, tabs, 0, 0)
		rest := slices.Delete(slices.Clone(tabs), leader, leader+1)
		start := time.Now()
		lifecycle(t, tabs[leader], page.SetWebLifecycleStateStateFrozen)
		_, epoch2, _ := waitLeader(t, rest, epoch, start.UnixMilli())
		ts.converge(t, rest, 90)
		ts.waitOpen(t, 1)
		lifecycle(t, tabs[leader], page.SetWebLifecycleStateStateActive)
		if _, again, _ := waitLeader(t, tabs, epoch2-1, 0); again != epoch2 {
			t.Errorf("epoch %.0f after the resume, want %.0f: the resumed tab follows", again, epoch2)
		}
		ts.converge(t, tabs, 91)
		for _, tab := range tabs {
			push(t, tab, "add", `{n: 1}`)
		}
		ts.converge(t, tabs, 92)
		ts.end(t, tabs, 1, 2)
	})

	t.Run("IdleConnection", func(t *testing.T) {
		// Every tab closes its client: the server closes the connection
		// that has no page joined (4001), and the leader does not open it
		// again until a tab has a page again.
		ts := newTabsSite(t, livetemplate.WithHeartbeat(100*time.Millisecond), livetemplate.WithConnectionIdle(200*time.Millisecond))
		tabs := ts.openTabs(t, b, names("i", 2))
		leader, _, _ := waitLeader(t, tabs, 0, 0)
		// Counted from here: on a loaded machine the first connection may
		// already have been idle for 200 ms before its first join.
		before := ts.conns.Opened()
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab.Tab, `liveTemplate.close(), true`)
		}
		ts.waitOpen(t, 0)
		time.Sleep(time.Second) // a reconnecting leader would connect now
		if n := ts.conns.Opened() - before; n != 0 {
			t.Fatalf("%d connections opened while no tab had a page, want none", n)
		}
		// The follower's new page comes first: it asks the leader to connect.
		for _, tab := range []*liveTab{tabs[1-leader], tabs[leader]} {
			browsertest.MustEval[bool](tab.Tab, `window.again = new LiveTemplateClient({presetToken: liveTemplate.token}),
				again.connect("/live"), true`)
			tab.WaitFor(`again.state === "open" && again.version > 0`, 10*time.Second)
			ts.waitHTML(tab.Tab, ts.pageOf(t, tab))
		}
		ts.end(t, tabs, 1, before+1)
	})

	t.Run("ConnectionDrops", func(t *testing.T) {
		// The server's end of the shared connection drops while every tab
		// pushes: the leader connects again, every page rejoins, and each
		// event runs once.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("d", 3))
		leader, epoch, _ := waitLeader(t, tabs, 0, 0)
		start := time.Now()
		if n := ts.tr.drop(); n != 1 {
			t.Fatalf("dropped %d connections, want 1", n)
		}
		for _, tab := range tabs {
			browsertest.MustEval[bool](tab.Tab, `window.three = Promise.all([1, 2, 3].map((n) => liveTemplate.pushEvent("add", {n}))).then(() => "ok", (e) => e.code), true`)
		}
		again, epoch2, _ := waitLeader(t, tabs, epoch-1, start.UnixMilli())
		if again != leader || epoch2 != epoch {
			t.Errorf("leader %d on epoch %.0f after the drop, want %d on %.0f: the same", again, epoch2, leader, epoch)
		}
		for i, tab := range tabs {
			if got := browsertest.MustEval[string](tab.Tab, `three`); got != "ok" {
				t.Fatalf("tab %d: %s", i, got)
			}
			if c := ts.pageOf(t, tab).Data().(counter).Count; c != 6 {
				t.Errorf("page %s: count %d, want 6", tab.name, c)
			}
		}
		ts.converge(t, tabs, 75)
		ts.end(t, tabs, 1, 2)
	})

	t.Run("FollowerWakes", func(t *testing.T) {
		// The server is gone long enough for the leader's backoff to grow;
		// when it is back, a follower that comes online (or becomes
		// visible) ends the leader's wait at once.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("w", 2))
		leader, _, _ := waitLeader(t, tabs, 0, 0)
		follower := tabs[1-leader]
		browsertest.MustEval[bool](follower.Tab, `window.waits = [], liveTemplate.on("reconnecting", (e) => waits.push(e.delay)), true`)
		ts.tr.down.Store(true)
		ts.tr.drop()
		follower.WaitFor(`waits.length > 0 && waits[waits.length - 1] > 4000`, 60*time.Second)
		ts.tr.down.Store(false)
		start := time.Now()
		browsertest.MustEval[bool](follower.Tab, `dispatchEvent(new Event("online")), true`)
		follower.WaitFor(`liveTemplate.state === "open"`, 10*time.Second)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the leader connected %v after the follower came online, want at once", d)
		}
		ts.converge(t, tabs, 35)
		ts.waitOpen(t, 1)
		ts.runsOnce(t)
	})

	t.Run("FollowerLeaves", func(t *testing.T) {
		// A follower that closes, or crashes, leaves its page on the
		// server: a page that no connection shows expires after its idle
		// time (1 s here), one that a connection shows never does.
		ts := newTabsSite(t, livetemplate.WithIdleTTL(time.Second))
		tabs := ts.openTabs(t, b, []string{"stays", "closes", "crashes"})
		if leader, _, _ := waitLeader(t, tabs, 0, 0); leader != 0 {
			t.Fatalf("tab %d leads, want the first", leader)
		}
		tabs[1].Close()
		crashTab(tabs[2])
		for _, tab := range tabs[1:] {
			// Each look is a use of the page: look less often than its idle time.
			tok := ts.pageOf(t, tab).GetToken()
			deadline := time.Now().Add(20 * time.Second)
			for {
				time.Sleep(1500 * time.Millisecond)
				_, err := ts.app.GetPage(tok)
				if errors.Is(err, livetemplate.ErrPageExpired) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the page of the tab that %s is still live (%v): the tab did not leave it", tab.name, err)
				}
			}
		}
		if _, err := ts.app.GetPage(ts.pageOf(t, tabs[0]).GetToken()); err != nil {
			t.Fatalf("the leader's page: %v", err)
		}
		ts.converge(t, tabs[:1], 80)
		ts.end(t, tabs[:1], 1, 1)
	})

	t.Run("SlowTabLock", func(t *testing.T) {
		// A follower whose tab lock the browser grants late still follows
		// its page: the leader does not take it for gone and leave it.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("l", 1))
		tabs = append(tabs, ts.openTab(t, b, "l1", slowTabLock(t)))
		time.Sleep(time.Second) // the lock is held by now
		ts.converge(t, tabs, 30)
		ts.end(t, tabs, 1, 1)
	})

	t.Run("WithoutWebLocks", func(t *testing.T) {
		// Without Web Locks every tab has its own connection.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("n", 3), hideLocks(t))
		ts.waitOpen(t, 3)
		for i, tab := range tabs {
			if v, err := viewOf(tab); err != nil || v.Shared || v.Leader != v.Tab {
				t.Errorf("tab %d: %+v, %v: want its own connection", i, v, err)
			}
			push(t, tab, "add", fmt.Sprintf(`{n: %d}`, i+1))
		}
		for i, tab := range tabs {
			if c := ts.pageOf(t, tab).Data().(counter).Count; c != i+1 {
				t.Errorf("page %s: count %d, want %d", tab.name, c, i+1)
			}
		}
		ts.converge(t, tabs, 90)
		ts.end(t, tabs, 3, 3)
	})
}

// TestTabsStress: four tabs push events without pause while their leader is
// killed over and over (a crash, a close or a reload, in turn), each killed
// tab replaced by a new one: every event that a living tab pushed runs
// exactly once and is acknowledged, none runs twice, and every tab ends
// with its page's HTML.
func TestTabsStress(t *testing.T) {
	handovers := 100
	if testing.Short() {
		handovers = 15
	}
	b := browsertest.Start(t)
	ts := newTabsSite(t)
	pages := 0
	newTab := func() *liveTab {
		pages++
		tab := ts.openTab(t, b, fmt.Sprintf("s%d", pages%3))
		browsertest.MustEval[bool](tab.Tab, `startPumps(2)`)
		return tab
	}
	var tabs []*liveTab
	for range 4 {
		tabs = append(tabs, newTab())
	}
	type pumped struct{ Sent, Acked, Failed []string }
	var killedAcks []string // what the killed tabs had seen acknowledged
	var failovers []time.Duration
	_, epoch, _ := waitLeader(t, tabs, 0, 0)
	began := time.Now()
	deposed := 0
	for r := range handovers {
		// A follower may depose the leader between the look and the kill
		// (a leader starved of CPU looks hung): its connection then opens
		// before the kill, and the killed tab is a follower. Counting from
		// before the look, the next leader is the deposer or the
		// successor of the killed leader, on an epoch above the one seen.
		start := time.Now()
		leader, seen, _ := waitLeader(t, tabs, epoch-1, 0)
		victim := tabs[leader]
		killedAcks = append(killedAcks, browsertest.MustEval[[]string](victim.Tab, `acked`)...)
		tabs = slices.Delete(tabs, leader, leader+1)
		killed := time.Now()
		switch r % 3 {
		case 0:
			crashTab(victim)
		case 1:
			victim.Close()
		case 2:
			victim.Navigate(ts.srv.URL + "/tab/" + victim.name) // a reload: pagehide, then a new page in the tab
		}
		var live int64
		_, epoch, live = waitLeader(t, tabs, seen, start.UnixMilli())
		if failover := time.Duration(live-killed.UnixMilli()) * time.Millisecond; failover >= 0 {
			failovers = append(failovers, failover)
		} else {
			deposed++
		}
		if r%3 == 2 {
			tab := ts.load(t, victim.Tab, victim.name)
			browsertest.MustEval[bool](tab.Tab, `startPumps(2)`)
			tabs = append(tabs, tab)
		} else {
			tabs = append(tabs, newTab())
		}
	}
	elapsed := time.Since(began)

	// Stop the pumps: every push they made settles.
	lost := 0
	sent := 0
	for _, tab := range tabs {
		res := browsertest.MustEval[pumped](tab.Tab, `stopPumps()`)
		sent += len(res.Sent)
		if len(res.Failed) > 0 {
			t.Errorf("tab %s: failed pushes %v", tab.id, res.Failed)
		}
		if len(res.Acked)+len(res.Failed) != len(res.Sent) {
			t.Errorf("tab %s: %d pushes, %d acknowledged, %d failed: some never settled", tab.id, len(res.Sent), len(res.Acked), len(res.Failed))
		}
		ts.mu.Lock()
		for _, k := range res.Sent {
			if ts.keys[k] == 0 {
				lost++
			}
		}
		ts.mu.Unlock()
	}
	ts.mu.Lock()
	for _, k := range killedAcks {
		if ts.keys[k] == 0 {
			lost++
		}
	}
	ran := len(ts.keys)
	ts.mu.Unlock()
	if lost > 0 {
		t.Errorf("%d acknowledged or pending events never ran", lost)
	}
	ts.runsOnce(t)
	for _, tab := range tabs {
		ts.waitHTML(tab.Tab, ts.pageOf(t, tab))
		noConsole(t, tab.Tab)
	}
	ts.waitOpen(t, 1)
	slices.Sort(failovers)
	t.Logf("%d handovers in %v (%d leaders deposed before their kill); %d events ran (%d pushed by the last tabs); %d connections",
		handovers, elapsed.Round(time.Millisecond), deposed, ran, sent, ts.conns.Opened())
	if n := len(failovers); n > 0 {
		t.Logf("failover min %v, median %v, max %v", failovers[0], failovers[n/2], failovers[n-1])
	}
}

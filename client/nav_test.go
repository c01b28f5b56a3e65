package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"

	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// The browser tests of what a page learns of its connection: the server's
// close code on every tab, a page that is gone, and the state classes.

// TestShutdownCode closes the application under three tabs that share one
// connection: every tab hears the server's close code and reason, not a
// lost connection of its own making.
func TestShutdownCode(t *testing.T) {
	b := browsertest.Start(t)
	ts := newTabsSite(t)
	tabs := ts.openTabs(t, b, names("shut", 3))
	ts.waitOpen(t, 1)
	for _, tab := range tabs {
		browsertest.MustEval[bool](tab.Tab, `window.closes = [], liveTemplate.on("disconnected", (e) => closes.push(e.code + " " + e.reason)), true`)
	}
	if err := ts.app.Close(); err != nil {
		t.Fatal(err)
	}
	for i, tab := range tabs {
		tab.WaitFor(`closes.length > 0`, 10*time.Second)
		got := browsertest.MustEval[[]string](tab.Tab, `closes`)
		if got[0] != "1001 server_closing" {
			t.Errorf("tab %d heard the close %q, want 1001 server_closing", i, strings.Join(got, ", "))
		}
	}
}

// restartSite serves a counter page of the application that runs now;
// restart replaces it with a new one with the same signing key, as a server
// restarted with the in-memory store: the tokens are good, the pages gone.
type restartSite struct {
	t     *testing.T
	srv   *httptest.Server
	cur   atomic.Pointer[livetemplate.Application]
	down  atomic.Bool  // refuse the live endpoint's handshakes with 503
	loads atomic.Int32 // of /page
	// For TestRedirectRestart: the store of every application when set (the
	// pages outlive a restart), the runs of the handler of "go", and what its
	// first run waits for after its context ends, when set.
	store *livetemplate.MemoryStore
	goes  atomic.Int32
	held  chan struct{}
}

// newRestartSite serves /page with the auto-connect script tag and attrs.
func newRestartSite(t *testing.T, attrs string) *restartSite {
	t.Helper()
	rs := &restartSite{t: t}
	rs.start(attrs)
	return rs
}

// start starts the site with its first application.
func (rs *restartSite) start(attrs string) {
	t := rs.t
	rs.cur.Store(rs.newApp())
	t.Cleanup(func() { rs.cur.Load().Close() })
	rs.srv = testServer(t, nil, map[string]http.Handler{
		"/live": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rs.down.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			rs.cur.Load().Handler().ServeHTTP(w, r)
		}),
		"GET /page": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rs.loads.Add(1)
			p, err := rs.cur.Load().NewPage("t", counter{})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			html, err := p.Render()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", strictCSP)
			fmt.Fprintf(w, `<!doctype html><html><head><title>test</title></head><body><div data-lvt-root>%s</div>`+
				`<script src="/livetemplate.js" data-live="/live" data-token="%s" data-version="%d" %s defer></script></body></html>`,
				html, p.GetToken(), p.Version(), attrs)
		}),
	})
}

var restartKey = []byte("0123456789abcdef0123456789abcdef")

func (rs *restartSite) newApp() *livetemplate.Application {
	rs.t.Helper()
	opts := []livetemplate.Option{livetemplate.WithLogger(slog.New(slog.DiscardHandler)), livetemplate.WithSigningKeys(restartKey)}
	if rs.store != nil {
		opts = append(opts, livetemplate.WithStore(rs.store))
	}
	app, err := livetemplate.NewApplication(opts...)
	if err != nil {
		rs.t.Fatal(err)
	}
	if err := app.RegisterTemplate("t", template.Must(template.New("t").Parse(counterSrc))); err != nil {
		rs.t.Fatal(err)
	}
	err = app.HandleEvent("t", "add", func(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count++
			return c, nil
		})
		return err
	})
	if err != nil {
		rs.t.Fatal(err)
	}
	err = app.HandleEvent("t", "go", func(ctx context.Context, _ *livetemplate.Page, e livetemplate.Event) error {
		if rs.goes.Add(1) == 1 && rs.held != nil {
			<-ctx.Done()
			<-rs.held
		}
		if string(e.Data) == `"live"` {
			return livetemplate.Navigate("/page?sent")
		}
		return livetemplate.Redirect("/page?loaded")
	})
	if err != nil {
		rs.t.Fatal(err)
	}
	return app
}

// restart replaces the application with a new one that knows no page.
func (rs *restartSite) restart() {
	rs.t.Helper()
	if err := rs.cur.Swap(rs.newApp()).Close(); err != nil {
		rs.t.Fatal(err)
	}
}

// open opens a tab on /page and waits until it is live: its page joined
// (the status connected), not only its socket open.
func (rs *restartSite) open(b *browsertest.Browser) *browsertest.Tab {
	rs.t.Helper()
	tab := b.Tab(rs.t)
	tab.Navigate(rs.srv.URL + "/page")
	tab.WaitFor(`window.liveTemplate && liveTemplate.state === "open" && liveTemplate.version > 0 && liveTemplate.status === "connected"`, 10*time.Second)
	return tab
}

// listen records the tab's client's status and gone events.
func listen(tab *browsertest.Tab) {
	browsertest.MustEval[bool](tab, `window.statuses = [], window.gone = [],
		liveTemplate.on("status", (e) => statuses.push(e.status)),
		liveTemplate.on("gone", (e) => gone.push(e.code)), true`)
}

// rootClasses returns the lvt- classes of the tab's live root.
func rootClasses(tab *browsertest.Tab) string {
	return browsertest.MustEval[string](tab, `[...document.querySelector("[data-lvt-root]").classList].filter((c) => c.startsWith("lvt-")).join(" ")`)
}

// TestGone restarts the server under a live page: the page is gone, and the
// client says so instead of staying silent.
func TestGone(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("ReloadOnce", func(t *testing.T) {
		// By default the document reloads once, and gets a live page of
		// the new server; a page gone again at once stays, and says so.
		rs := newRestartSite(t, "")
		tab := rs.open(b)
		browsertest.MustEval[bool](tab, `window.mark = 1, true`)
		rs.restart()
		tab.WaitFor(`!window.mark && window.liveTemplate && liveTemplate.state === "open" && liveTemplate.version > 0`, 10*time.Second)
		if n := rs.loads.Load(); n != 2 {
			t.Fatalf("%d loads of the page, want 2", n)
		}
		if got := rootClasses(tab); got != "lvt-connected" {
			t.Errorf("the reloaded page's classes %q, want lvt-connected", got)
		}
		listen(tab)
		rs.restart()
		tab.WaitFor(`gone.length > 0`, 10*time.Second)
		time.Sleep(300 * time.Millisecond) // a reload would start now
		if n := rs.loads.Load(); n != 2 {
			t.Errorf("%d loads of the page after the page was gone twice, want 2 (the loop guard)", n)
		}
		got := browsertest.MustEval[[]string](tab, `[gone.join(), statuses.join(), liveTemplate.state]`)
		if want := []string{"page_not_found", "disconnected,error", "closed"}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("gone, statuses, state: %q, want %q", got, want)
		}
		if got := rootClasses(tab); got != "lvt-error" {
			t.Errorf("the gone page's classes %q, want lvt-error", got)
		}
		noConsole(t, tab)
	})

	t.Run("StayRejectsQueued", func(t *testing.T) {
		// data-gone="stay": no reload; an event queued while the server
		// was away rejects with the reason.
		rs := newRestartSite(t, `data-gone="stay"`)
		tab := rs.open(b)
		listen(tab)
		rs.down.Store(true)
		rs.restart()
		tab.WaitFor(`liveTemplate.state !== "open"`, 5*time.Second)
		browsertest.MustEval[bool](tab, `window.res = [], liveTemplate.pushEvent("add").then(() => res.push("ok"), (e) => res.push(e.code)), true`)
		if got := rootClasses(tab); got != "lvt-disconnected" {
			t.Errorf("a page without its connection has classes %q, want lvt-disconnected", got)
		}
		rs.down.Store(false)
		tab.WaitFor(`res.length > 0`, 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		got := browsertest.MustEval[[]string](tab, `[res.join(), gone.join(), statuses.join()]`)
		if want := []string{"page_not_found", "page_not_found", "disconnected,error"}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("queued event, gone, statuses: %q, want %q", got, want)
		}
		if n := rs.loads.Load(); n != 1 {
			t.Errorf("%d loads of the page, want 1", n)
		}
		if got := rootClasses(tab); got != "lvt-error" {
			t.Errorf("the gone page's classes %q, want lvt-error", got)
		}
	})
}

// TestStatus follows a page's connection state on the document: the class
// on the live root, the status events and the default indicator, under a
// Content-Security-Policy without 'unsafe-inline'.
func TestStatus(t *testing.T) {
	b := browsertest.Start(t)
	rs := newRestartSite(t, `data-gone="stay" data-indicator`)
	tab := rs.open(b)
	listen(tab)
	indicator := func() []string {
		return browsertest.MustEval[[]string](tab, `(() => {
			const el = document.querySelector(".lvt-indicator");
			return el ? [String(el.matches(":popover-open")), el.textContent, getComputedStyle(el).position, el.getAttribute("role")] : [];
		})()`)
	}
	if got := rootClasses(tab); got != "lvt-connected" {
		t.Errorf("a live page's classes %q, want lvt-connected", got)
	}
	if got := indicator(); strings.Join(got, "|") != "false||fixed|status" {
		t.Errorf("the indicator of a live page: %q, want hidden", got)
	}
	rs.down.Store(true)
	rs.restart()
	tab.WaitFor(`statuses.length > 0`, 5*time.Second)
	if got := rootClasses(tab); got != "lvt-disconnected" {
		t.Errorf("a page without its connection has classes %q, want lvt-disconnected", got)
	}
	if got := indicator(); strings.Join(got, "|") != "true|Reconnecting\u2026|fixed|status" {
		t.Errorf("the indicator without a connection: %q", got)
	}
	rs.down.Store(false)
	tab.WaitFor(`liveTemplate.status === "error"`, 10*time.Second)
	if got := indicator(); strings.Join(got, "|") != "true|Disconnected|fixed|status" {
		t.Errorf("the indicator of a gone page: %q", got)
	}
	if got := browsertest.MustEval[string](tab, `statuses.join()`); got != "disconnected,error" {
		t.Errorf("status events %q, want disconnected,error", got)
	}
	if got := browsertest.MustEval[int](tab, `document.querySelectorAll(".lvt-indicator").length`); got != 1 {
		t.Errorf("%d indicators, want 1", got)
	}
}

// navSite serves /nav/{name}: a new page of the template "n" for each
// request, inside a layout whose links navigate live, and /plain, a page
// that is not live. It counts the documents it serves, with and without the
// navigation header, and the live endpoint's connections.
type navSite struct {
	*site
	conns tabsbench.ConnCount
	full  atomic.Int32 // documents served to loads
	navs  atomic.Int32 // documents served to live navigations
}

const navSrc = `<h1>{{.Name}}</h1><p id="count">{{.Count}}</p><button id="add" lvt-click="inc">+</button><a id="next" lvt-nav href="/nav/{{.Name}}x">next</a>` +
	`<button id="go-live" lvt-click="go" lvt-value-to="live">go</button><button id="go-doc" lvt-click="go" lvt-value-to="doc">go</button>`

type navData struct {
	Name  string
	Count int
}

func newNavSite(t *testing.T) *navSite {
	t.Helper()
	ns := &navSite{}
	ns.site = newSite(t, siteConfig{src: navSrc, data: func() any { return navData{} }, routes: func(s *site) map[string]http.Handler {
		return map[string]http.Handler{
			"/live":           ns.conns.Wrap(s.app.Handler()),
			"GET /nav/{name}": http.HandlerFunc(ns.serve),
			"GET /mod/{name}": http.HandlerFunc(ns.serve),
			"GET /mod.js": jsHandler(`import { LiveTemplateClient } from "/livetemplate.mjs";
				const s = document.querySelector("script[data-live]");
				window.liveTemplate = new LiveTemplateClient({ presetToken: s.dataset.token, version: Number(s.dataset.version) });
				liveTemplate.connect(s.dataset.live);`),
			"GET /plain": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `<!doctype html><title>plain</title><p>not live</p>`)
			}),
		}
	}})
	ns.handle("go", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		var d struct{ To string }
		if err := e.Decode(&d); err != nil {
			return err
		}
		if d.To == "live" {
			return livetemplate.Navigate("/nav/" + p.Data().(navData).Name + "-sent")
		}
		return livetemplate.Redirect("/plain")
	})
	ns.handle("inc", func(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
		_, err := p.Modify(ctx, func(data any) (any, error) {
			d := data.(navData)
			d.Count++
			return d, nil
		})
		return err
	})
	return ns
}

func (ns *navSite) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("LT-Navigate") == "1" {
		ns.navs.Add(1)
	} else {
		ns.full.Add(1)
	}
	name := r.PathValue("name")
	p, err := ns.app.NewPage("t", navData{Name: name})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ns.mu.Lock()
	ns.pages = append(ns.pages, p)
	ns.mu.Unlock()
	html, err := p.Render()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Scripts from this origin only: the navigation chunk is imported from the client's URL.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'")
	// The pages under /mod/ run the client as the ES module.
	script, dir := `src="/livetemplate.js" defer`, "nav"
	if strings.HasPrefix(r.URL.Path, "/mod/") {
		script, dir = `type="module" src="/mod.js"`, "mod"
	}
	fmt.Fprintf(w, `<!doctype html><html><head><title>page %s</title></head><body>`+
		`<nav><a id="to-a" lvt-nav href="/%[5]s/a">a</a> <a id="to-b" lvt-nav href="/%[5]s/b">b</a> <a id="to-plain" lvt-nav href="/plain">plain</a></nav>`+
		`<main data-lvt-root>%[2]s</main><div style="height: 5000px"></div>`+
		`<script %[6]s data-live="/live" data-token="%[3]s" data-version="%[4]d"></script></body></html>`,
		template.HTMLEscapeString(name), html, p.GetToken(), p.Version(), dir, script)
}

// openNav opens a tab on /nav/name and waits until it is live.
func (ns *navSite) openNav(b *browsertest.Browser, name string) *browsertest.Tab {
	ns.t.Helper()
	tab := b.Tab(ns.t)
	tab.Navigate(ns.srv.URL + "/nav/" + name)
	tab.WaitFor(`window.liveTemplate && liveTemplate.status === "connected"`, 10*time.Second)
	browsertest.MustEval[bool](tab, `window.mark = 1, window.h0 = history.length, window.navigated = [], liveTemplate.on("navigated", (e) => navigated.push(new URL(e.url).pathname)), true`)
	return tab
}

// shows waits until tab shows the live page of name, without a reload.
func shows(t *testing.T, tab *browsertest.Tab, name string) {
	t.Helper()
	tab.WaitFor(`location.pathname === "/nav/`+name+`" && document.querySelector("h1")?.textContent === "`+name+`" && liveTemplate.status === "connected" && document.title === "page `+name+`"`, 10*time.Second)
	if !browsertest.MustEval[bool](tab, `window.mark === 1`) {
		t.Errorf("the document was loaded again for %s", name)
	}
}

// TestNavigate navigates live between pages in real Chromium: the next
// page's root and title replace the old ones and its page is joined on the
// same connection, with history, scroll and focus as a load would have them.
func TestNavigate(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("LinksAndHistory", func(t *testing.T) {
		ns := newNavSite(t)
		tab := ns.openNav(b, "a")
		browsertest.MustEval[bool](tab, `document.getElementById("to-b").click(), true`)
		shows(t, tab, "b")
		browsertest.MustEval[bool](tab, `document.getElementById("add").click(), true`)
		tab.WaitFor(`document.getElementById("count").textContent === "1"`, 5*time.Second)
		if d := ns.page().Data().(navData); d.Name != "b" || d.Count != 1 {
			t.Errorf("the newest page's data %+v, want b's with a count of 1", d)
		}
		browsertest.MustEval[bool](tab, `document.getElementById("next").click(), true`)
		shows(t, tab, "bx")
		browsertest.MustEval[bool](tab, `history.back(), true`)
		shows(t, tab, "b")
		browsertest.MustEval[bool](tab, `history.back(), true`)
		shows(t, tab, "a")
		browsertest.MustEval[bool](tab, `history.forward(), true`)
		shows(t, tab, "b")
		if got := browsertest.MustEval[string](tab, `navigated.join()`); got != "/nav/b,/nav/bx,/nav/b,/nav/a,/nav/b" {
			t.Errorf("navigated events %q", got)
		}
		if got := browsertest.MustEval[int](tab, `history.length - h0`); got != 2 {
			t.Errorf("history grew by %d entries, want 2 (b and bx)", got)
		}
		if full, navs := ns.full.Load(), ns.navs.Load(); full != 1 || navs != 5 {
			t.Errorf("%d loads and %d navigation fetches, want 1 and 5", full, navs)
		}
		if n := ns.conns.Opened(); n != 1 {
			t.Errorf("%d connections opened, want 1", n)
		}
		noConsole(t, tab)
	})

	t.Run("ScrollAndFocus", func(t *testing.T) {
		ns := newNavSite(t)
		tab := ns.openNav(b, "a")
		browsertest.MustEval[bool](tab, `scrollTo(0, 1200), true`)
		tab.WaitFor(`scrollY === 1200`, 2*time.Second)
		browsertest.MustEval[bool](tab, `document.getElementById("to-b").click(), true`)
		shows(t, tab, "b")
		if got := browsertest.MustEval[[]string](tab, `[String(scrollY), document.activeElement === document.querySelector("main") ? "root" : document.activeElement.tagName]`); strings.Join(got, " ") != "0 root" {
			t.Errorf("after a navigation: scrollY, focus %q, want 0 and the root", got)
		}
		browsertest.MustEval[bool](tab, `scrollTo(0, 300), true`)
		tab.WaitFor(`scrollY === 300`, 2*time.Second)
		browsertest.MustEval[bool](tab, `history.back(), true`)
		shows(t, tab, "a")
		tab.WaitFor(`scrollY === 1200`, 2*time.Second)
		browsertest.MustEval[bool](tab, `history.forward(), true`)
		shows(t, tab, "b")
		tab.WaitFor(`scrollY === 300`, 2*time.Second)
	})

	t.Run("HandlerRedirects", func(t *testing.T) {
		// A handler navigates the sender live, then redirects it to a
		// document; the event's promise resolves either way.
		ns := newNavSite(t)
		tab := ns.openNav(b, "a")
		if got := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("go", {to: "live"}).then(() => "ok", (e) => e.code)`); got != "ok" {
			t.Errorf("the event that navigates: %q", got)
		}
		shows(t, tab, "a-sent")
		browsertest.MustEval[bool](tab, `document.getElementById("go-doc").click(), true`)
		tab.WaitFor(`location.pathname === "/plain" && !window.mark`, 10*time.Second)
		if n := ns.conns.Opened(); n != 1 {
			t.Errorf("%d connections opened, want 1", n)
		}
	})

	t.Run("Module", func(t *testing.T) {
		// The ES module imports the navigation chunk from its own URL.
		ns := newNavSite(t)
		tab := b.Tab(t)
		tab.Navigate(ns.srv.URL + "/mod/a")
		tab.WaitFor(`window.liveTemplate && liveTemplate.status === "connected"`, 10*time.Second)
		browsertest.MustEval[bool](tab, `window.mark = 1, document.getElementById("to-b").click(), true`)
		tab.WaitFor(`location.pathname === "/mod/b" && document.querySelector("h1").textContent === "b" && liveTemplate.status === "connected"`, 10*time.Second)
		if !browsertest.MustEval[bool](tab, `window.mark === 1`) {
			t.Error("the document was loaded again")
		}
		if full, navs := ns.full.Load(), ns.navs.Load(); full != 1 || navs != 1 {
			t.Errorf("%d loads and %d navigation fetches, want 1 and 1", full, navs)
		}
		noConsole(t, tab)
	})

	t.Run("FallbackLoad", func(t *testing.T) {
		// A page that is not live is loaded as a document.
		ns := newNavSite(t)
		tab := ns.openNav(b, "a")
		browsertest.MustEval[bool](tab, `document.getElementById("to-plain").click(), true`)
		tab.WaitFor(`location.pathname === "/plain" && document.title === "plain" && !window.mark`, 10*time.Second)
	})
}

// TestNavigateTabs navigates in three tabs of one browser at once, through a
// leader handover and a restart of the server: all of it on one connection
// at a time, each tab ending live on its last page.
func TestNavigateTabs(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("AtOnce", func(t *testing.T) {
		ns := newNavSite(t)
		tabs := []*browsertest.Tab{ns.openNav(b, "a"), ns.openNav(b, "a"), ns.openNav(b, "a")}
		// 20 navigations across the tabs, the tabs at the same time.
		counts := []int{7, 7, 6}
		for i := range tabs {
			browsertest.MustEval[bool](tabs[i], fmt.Sprintf(`(async () => {
				for (let i = 0; i < %d; i++) {
					await liveTemplate.navigate("/nav/t%d-" + i);
					await new Promise((ok) => liveTemplate.status === "connected" ? ok() : liveTemplate.on("connected", ok));
				}
			})(), true`, counts[i], i))
		}
		for i, tab := range tabs {
			shows(t, tab, fmt.Sprintf("t%d-%d", i, counts[i]-1))
		}
		if n := ns.conns.Opened(); n != 1 {
			t.Errorf("%d connections opened for 20 navigations in 3 tabs, want 1", n)
		}
		if full := ns.full.Load(); full != 3 {
			t.Errorf("%d documents loaded, want 3", full)
		}
		for _, tab := range tabs {
			noConsole(t, tab)
		}
	})

	t.Run("LeaderLeaves", func(t *testing.T) {
		// The leading tab closes while the other navigates: the new page is
		// joined on the next leader's connection.
		ns := newNavSite(t)
		first := ns.openNav(b, "a")
		second := ns.openNav(b, "b")
		if got := browsertest.MustEval[bool](first, `liveTemplate.leader.leader === liveTemplate.leader.tab`); !got {
			t.Fatal("the first tab does not lead")
		}
		browsertest.MustEval[bool](second, `liveTemplate.navigate("/nav/c"), true`)
		first.Close()
		shows(t, second, "c")
		browsertest.MustEval[bool](second, `document.getElementById("add").click(), true`)
		second.WaitFor(`document.getElementById("count").textContent === "1"`, 10*time.Second)
		if n := ns.conns.Opened(); n != 2 {
			t.Errorf("%d connections opened, want 2: the first leader's and the second's", n)
		}
	})
}

// TestRedirectRestart: a handler's Navigate or Redirect whose ack the server
// could not send, because it restarted (on the same store) while the
// handler ran, still sends the browser on: the client resends the event
// after it reconnects, and follows the ack it gets then. (Without a
// cluster the new server runs the handler again: the ids of events are not
// in the store, see docs/protocol.md.)
func TestRedirectRestart(t *testing.T) {
	b := browsertest.Start(t)
	for _, c := range []struct{ to, arrived string }{
		{"live", `location.search === "?sent" && window.mark === 1 && liveTemplate.status === "connected"`},
		{"doc", `location.search === "?loaded" && !window.mark && liveTemplate.status === "connected"`},
	} {
		t.Run(c.to, func(t *testing.T) {
			rs := &restartSite{t: t, store: &livetemplate.MemoryStore{}, held: make(chan struct{})}
			rs.start("")
			tab := rs.open(b)
			listen(tab)
			browsertest.MustEval[bool](tab, `window.mark = 1, window.res = [], liveTemplate.pushEvent("go", "`+c.to+`").then(() => res.push("ok"), (e) => res.push(e.code)), true`)
			for deadline := time.Now().Add(10 * time.Second); rs.goes.Load() == 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the handler did not run")
				}
			}
			rs.down.Store(true)
			old := rs.cur.Swap(rs.newApp())
			closed := make(chan struct{})
			go func() {
				old.Close() // waits for the handler, which waits for held
				close(closed)
			}()
			tab.WaitFor(`liveTemplate.status === "disconnected"`, 10*time.Second)
			if got := browsertest.MustEval[int](tab, `res.length`); got != 0 {
				t.Fatal("the event was acknowledged before the restart")
			}
			close(rs.held) // the first run returns now, its ack to a closed connection
			<-closed
			rs.down.Store(false)
			tab.WaitFor(c.arrived, 10*time.Second)
			if c.to == "live" {
				if got := browsertest.MustEval[string](tab, `res.join() + " " + gone.join()`); got != "ok " {
					t.Errorf("the event's result and gone events: %q, want ok and none", got)
				}
			}
		})
	}
}

// TestNavigateRestart navigates while the server restarts: the next page,
// of the new server, is joined once the connection is back, and the page
// of the old one, left, is not reported gone.
func TestNavigateRestart(t *testing.T) {
	b := browsertest.Start(t)
	rs := newRestartSite(t, "")
	tab := rs.open(b)
	listen(tab)
	browsertest.MustEval[bool](tab, `window.mark = 1, true`)
	rs.down.Store(true)
	rs.restart()
	tab.WaitFor(`liveTemplate.status === "disconnected"`, 5*time.Second)
	browsertest.MustEval[bool](tab, `liveTemplate.navigate("/page?next"), true`)
	tab.WaitFor(`location.search === "?next"`, 5*time.Second)
	rs.down.Store(false)
	tab.WaitFor(`liveTemplate.status === "connected"`, 10*time.Second)
	browsertest.MustEval[bool](tab, `window.res = [], liveTemplate.pushEvent("add").then(() => res.push("ok"), (e) => res.push(e.code)), true`)
	tab.WaitFor(`res.length > 0 && document.getElementById("count").textContent === "1"`, 10*time.Second)
	got := browsertest.MustEval[[]string](tab, `[String(window.mark), res.join(), gone.join(), statuses.join()]`)
	if want := []string{"1", "ok", "", "disconnected,connected"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mark, event, gone, statuses: %q, want %q", got, want)
	}
	if n := rs.loads.Load(); n != 2 {
		t.Errorf("%d fetches of the page, want 2: the load and the navigation", n)
	}
}

// The URL state tests: a page whose filter is its URL's query.
const urlSrc = `<p id="filter">{{.Filter}}</p><ul>{{range .Shown}}<li data-key="{{.Name}}">{{.Name}}</li>{{end}}</ul>` +
	`<a id="f-done" lvt-patch href="?filter=done">done</a><a id="f-active" lvt-patch href="?filter=active">active</a>` +
	`<a id="f-all" lvt-patch="replace" href="?filter=all">all</a><button id="sort" lvt-click="sort">sort</button>`

type urlItem struct{ Name, State string }

type urlData struct {
	Filter string
	Items  []urlItem
}

// Shown returns the items that the filter shows.
func (d urlData) Shown() []urlItem {
	var out []urlItem
	for _, it := range d.Items {
		if d.Filter == "" || d.Filter == "all" || d.Filter == it.State {
			out = append(out, it)
		}
	}
	return out
}

func newURLData(filter string) urlData {
	return urlData{Filter: filter, Items: []urlItem{{"milk", "done"}, {"eggs", "active"}, {"tea", "done"}}}
}

// urlSite serves /urls, a page whose filter comes from the query, with a
// params handler (and with ?two, a second page beside it, of a second
// client; with ?shared, the page of the first such load), and /p1, whose page per connection (/p1live) is made from the
// query. It records the queries its params handler is told.
type urlSite struct {
	*site
	conns  tabsbench.ConnCount
	oracle *template.Template // the template, for html/template's HTML of a page's data
	pmu    sync.Mutex
	params []string // the params handler's queries, in order
	made   []string // the queries of the requests that made pages per connection
}

func newURLSite(t *testing.T) *urlSite {
	t.Helper()
	us := &urlSite{oracle: template.Must(template.New("t").Parse(urlSrc))}
	fromQuery := func(r *http.Request) (any, error) {
		us.pmu.Lock()
		us.made = append(us.made, r.URL.Query().Encode())
		us.pmu.Unlock()
		return newURLData(r.URL.Query().Get("filter")), nil
	}
	us.site = newSite(t, siteConfig{src: urlSrc, data: func() any { return newURLData("") }, routes: func(s *site) map[string]http.Handler {
		render := func(filter string) (*livetemplate.Page, string, error) {
			p, err := s.app.NewPage("t", newURLData(filter))
			if err != nil {
				return nil, "", err
			}
			s.mu.Lock()
			s.pages = append(s.pages, p)
			s.mu.Unlock()
			html, err := p.Render()
			return p, html, err
		}
		var shared *livetemplate.Page
		page := func(script string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, html, err := render(r.URL.Query().Get("filter"))
				if r.URL.Query().Has("shared") && err == nil {
					s.mu.Lock()
					if shared == nil {
						shared = p
					}
					p = shared
					s.mu.Unlock()
					html, err = p.Render()
				}
				second := ""
				if r.URL.Query().Has("two") && err == nil {
					var p2 *livetemplate.Page
					p2, second, err = render("")
					if p2 != nil {
						second = fmt.Sprintf(`<div id="second" data-token="%s" data-version="%d">%s</div><script src="/second.js" defer></script>`, p2.GetToken(), p2.Version(), second)
					}
				}
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Header().Set("Content-Security-Policy", strictCSP)
				fmt.Fprintf(w, `<!doctype html><html><head><title>urls</title></head><body><div data-lvt-root>%s</div>%s%s</body></html>`,
					html, strings.NewReplacer("{{TOKEN}}", p.GetToken(), "{{V}}", fmt.Sprint(p.Version())).Replace(script), second)
			})
		}
		return map[string]http.Handler{
			"/live":     us.conns.Wrap(s.app.Handler()),
			"GET /urls": page(`<script src="/livetemplate.js" data-live="/live" data-token="{{TOKEN}}" data-version="{{V}}" data-params defer></script>`),
			"/p1live":   s.app.PageHandler("t", fromQuery),
			"GET /second.js": jsHandler(`document.addEventListener("DOMContentLoaded", () => {
				const root = document.getElementById("second");
				window.second = new LiveTemplateClient({ root, presetToken: root.dataset.token, version: Number(root.dataset.version) });
				second.connect("/live");
			});`),
			"GET /p1": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `<!doctype html><div data-lvt-root></div><script src="/livetemplate.js" data-live="/p1live?x=1" data-params defer></script>`)
			}),
		}
	}})
	err := us.app.HandleParams("t", func(ctx context.Context, p *livetemplate.Page, params url.Values) error {
		us.pmu.Lock()
		us.params = append(us.params, params.Encode())
		us.pmu.Unlock()
		_, err := p.Modify(ctx, func(data any) (any, error) {
			d := data.(urlData)
			d.Filter = params.Get("filter")
			return d, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	us.handle("sort", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		return livetemplate.Patch("?filter=active&by=handler")
	})
	return us
}

// told waits until the params handler was told want, the queries since the
// site started, in order.
func (us *urlSite) told(want ...string) {
	us.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		us.pmu.Lock()
		got := strings.Join(us.params, " | ")
		us.pmu.Unlock()
		if got == strings.Join(want, " | ") {
			return
		}
		if time.Now().After(deadline) {
			us.t.Fatalf("the params handler was told %q, want %q", got, strings.Join(want, " | "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shows waits until tab's URL has the query search and its root shows
// html/template's HTML of the data of filter, without a reload.
func (us *urlSite) shows(tab *browsertest.Tab, search, filter string) {
	us.t.Helper()
	var b strings.Builder
	if err := us.oracle.Execute(&b, newURLData(filter)); err != nil {
		us.t.Fatal(err)
	}
	want, _ := json.Marshal(b.String())
	tab.WaitFor(`(() => { const t = document.createElement("template"); t.innerHTML = `+string(want)+`;
		return location.search === `+strconv.Quote(search)+` && document.querySelector("[data-lvt-root]").innerHTML === t.innerHTML && window.mark === 1; })()`, 10*time.Second)
}

// TestURLState patches a page's URL from links and from a handler in real
// Chromium, walks back and forward through its filters, and reloads at a
// filtered URL: the params handler is told each query once, the root shows
// html/template's HTML of the filtered data, and the page never reloads.
func TestURLState(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("LinksHistoryHandler", func(t *testing.T) {
		us := newURLSite(t)
		tab := us.open(b, "/urls")
		browsertest.MustEval[bool](tab, `window.mark = 1, window.h0 = history.length, true`)
		us.told("") // the first join
		us.shows(tab, "", "")
		browsertest.MustEval[bool](tab, `document.getElementById("f-done").click(), true`)
		us.shows(tab, "?filter=done", "done")
		browsertest.MustEval[bool](tab, `document.getElementById("f-active").click(), true`)
		us.shows(tab, "?filter=active", "active")
		browsertest.MustEval[bool](tab, `history.back(), true`)
		us.shows(tab, "?filter=done", "done")
		browsertest.MustEval[bool](tab, `history.back(), true`)
		us.shows(tab, "", "")
		browsertest.MustEval[bool](tab, `history.forward(), true`)
		us.shows(tab, "?filter=done", "done")
		us.told("", "filter=done", "filter=active", "filter=done", "", "filter=done")
		browsertest.MustEval[bool](tab, `document.getElementById("f-all").click(), true`)
		us.shows(tab, "?filter=all", "all")
		if got := browsertest.MustEval[int](tab, `history.length - h0`); got != 2 {
			t.Errorf("history grew by %d entries, want 2 (done and active; all replaced done)", got)
		}
		browsertest.MustEval[bool](tab, `document.getElementById("sort").click(), true`)
		us.shows(tab, "?filter=active&by=handler", "active")
		browsertest.MustEval[bool](tab, `history.back(), true`)
		us.shows(tab, "?filter=all", "all")
		us.told("", "filter=done", "filter=active", "filter=done", "", "filter=done", "filter=all", "by=handler&filter=active", "filter=all")
		if n := us.conns.Opened(); n != 1 {
			t.Errorf("%d connections opened, want 1", n)
		}
		noConsole(t, tab)
	})

	t.Run("Reload", func(t *testing.T) {
		// A reload at a filtered URL renders the filter on the server, and
		// the first join tells the params handler the same query.
		us := newURLSite(t)
		tab := us.open(b, "/urls?filter=done")
		browsertest.MustEval[bool](tab, `window.mark = 1, true`)
		us.shows(tab, "?filter=done", "done")
		us.told("filter=done")
		browsertest.MustEval[bool](tab, `document.getElementById("f-active").click(), true`)
		us.shows(tab, "?filter=active", "active")
		tab.Navigate(us.srv.URL + "/urls?filter=active")
		tab.WaitFor(`window.liveTemplate && liveTemplate.status === "connected"`, 10*time.Second)
		browsertest.MustEval[bool](tab, `window.mark = 1, true`)
		us.shows(tab, "?filter=active", "active")
		us.told("filter=done", "filter=active", "filter=active")
		noConsole(t, tab)
	})

	t.Run("Navigate", func(t *testing.T) {
		// Live navigations and patches in one history: a navigation joins
		// a new page, which is told its URL's query; back and forward to
		// another page's entry navigate, to this page's entries patch.
		us := newURLSite(t)
		tab := us.open(b, "/urls")
		browsertest.MustEval[bool](tab, `window.mark = 1, true`)
		browsertest.MustEval[bool](tab, `document.getElementById("f-done").click(), true`)
		us.shows(tab, "?filter=done", "done")
		browsertest.MustEval[bool](tab, `liveTemplate.navigate("/urls?filter=active"), true`)
		us.shows(tab, "?filter=active", "active")
		tab.WaitFor(`liveTemplate.status === "connected"`, 10*time.Second)
		browsertest.MustEval[bool](tab, `document.getElementById("f-all").click(), true`)
		us.shows(tab, "?filter=all", "all")
		browsertest.MustEval[bool](tab, `history.back(), true`) // to the first page's entry: a navigation
		us.shows(tab, "?filter=done", "done")
		us.told("", "filter=done", "filter=active", "filter=all", "filter=done")
		browsertest.MustEval[bool](tab, `history.forward(), true`) // to the second page's entry: a navigation
		us.shows(tab, "?filter=all", "all")
		us.told("", "filter=done", "filter=active", "filter=all", "filter=done", "filter=all")
		us.mu.Lock()
		pages := len(us.pages)
		us.mu.Unlock()
		if pages != 4 {
			t.Errorf("%d pages made, want 4: the load and three navigations (a page fetched again is a new page)", pages)
		}
		noConsole(t, tab)
	})

	t.Run("SharedPage", func(t *testing.T) {
		// Two tabs show one page: a patch changes the sender's URL alone,
		// and the page's filter, which both tabs show.
		us := newURLSite(t)
		one := us.open(b, "/urls?shared")
		two := us.open(b, "/urls?shared")
		for _, tab := range []*browsertest.Tab{one, two} {
			browsertest.MustEval[bool](tab, `window.mark = 1, true`)
		}
		browsertest.MustEval[bool](one, `document.getElementById("f-done").click(), true`)
		us.shows(one, "?filter=done", "done")
		us.shows(two, "?shared", "done")
		us.told("shared=", "shared=", "filter=done")
	})

	t.Run("TwoClients", func(t *testing.T) {
		// A second client in the document, with its own page: a click on
		// a patch link is one patch, back one step, as with one client.
		us := newURLSite(t)
		tab := us.open(b, "/urls?two")
		tab.WaitFor(`window.second && second.status === "connected"`, 10*time.Second)
		browsertest.MustEval[bool](tab, `window.mark = 1, window.h0 = history.length, true`)
		browsertest.MustEval[bool](tab, `document.getElementById("f-done").click(), true`)
		us.shows(tab, "?filter=done", "done")
		if got := browsertest.MustEval[int](tab, `history.length - h0`); got != 1 {
			t.Errorf("history grew by %d entries, want 1", got)
		}
		browsertest.MustEval[bool](tab, `history.back(), true`)
		us.shows(tab, "?two", "")
		us.told("two=", "filter=done", "two=")
		us.mu.Lock()
		pages := len(us.pages)
		us.mu.Unlock()
		if pages != 2 {
			t.Errorf("%d pages made, want 2: no page was fetched again", pages)
		}
		noConsole(t, tab)
	})

	t.Run("PageHandlerFromURL", func(t *testing.T) {
		// A page per connection is made from the query of the document's
		// URL: newData's request has it, beside the live URL's own.
		us := newURLSite(t)
		tab := b.Tab(t)
		tab.Navigate(us.srv.URL + "/p1?filter=done&x=2")
		tab.WaitFor(`window.liveTemplate && liveTemplate.status === "connected"`, 10*time.Second)
		browsertest.MustEval[bool](tab, `window.mark = 1, true`)
		us.shows(tab, "?filter=done&x=2", "done")
		us.told("filter=done&x=2")
		us.pmu.Lock()
		made := strings.Join(us.made, " | ")
		us.pmu.Unlock()
		if made != "filter=done&x=1" {
			t.Errorf("pages made from the queries %q, want filter=done&x=1 (the live URL's x)", made)
		}
		browsertest.MustEval[bool](tab, `document.getElementById("f-active").click(), true`)
		us.shows(tab, "?filter=active", "active")
		us.told("filter=done&x=2", "filter=active")
		noConsole(t, tab)
	})
}

package client_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The browser tests of the client's connection, API and bindings. Each Test
// function starts one Chromium and runs its cases as subtests, each in a tab
// of its own, against a real application.

// counterSrc is the page most tests use: a count and the ids of the events
// that changed it.
const counterSrc = `<p id="count">{{.Count}}</p><ul id="log">{{range .Log}}<li data-key="{{.}}">{{.}}</li>{{end}}</ul>`

type counter struct {
	Count int
	Log   []string
}

// site is an application served on a loopback port with the client, its
// endpoint at /live (through a tracker, to drop or freeze connections) and a
// page at /page.
type site struct {
	t   *testing.T
	app *livetemplate.Application
	srv *httptest.Server
	tr  *tracker

	mu    sync.Mutex
	pages []*livetemplate.Page
	runs  map[string]int // event id -> handler runs
}

// siteConfig is what the page at /page looks like.
type siteConfig struct {
	src     string     // the template: the children of the page's root (counterSrc by default)
	data    func() any // the data of a new page (counter{} by default)
	head    string     // HTML at the end of <head>
	body    string     // HTML after the script tag
	script  string     // the client's script tag; "" for the auto-connect tag
	csp     string     // the Content-Security-Policy header, if any
	opts    []livetemplate.Option
	extra   map[string]http.Handler
	routes  func(s *site) map[string]http.Handler // more handlers, made with the site's app
	version bool                                  // the script tag's data-version
	served  func(p *livetemplate.Page)            // called after the page's HTML was rendered, before it is sent
	tls     bool                                  // serve over HTTPS
}

// newSite serves an application whose template "t" is c.src, with the
// counter's events: "add" adds {"n"} (1 by default) and logs the event's
// id, counting each id's runs; "fail" returns an error.
func newSite(t *testing.T, c siteConfig) *site {
	t.Helper()
	if c.src == "" {
		c.src = counterSrc
	}
	if c.data == nil {
		c.data = func() any { return counter{} }
	}
	opts := append([]livetemplate.Option{livetemplate.WithLogger(slog.New(slog.DiscardHandler))}, c.opts...)
	app, err := livetemplate.NewApplication(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	tm := template.Must(template.New("t").Funcs(livetemplate.FuncMap()).Parse(c.src))
	if err := app.RegisterTemplate("t", tm); err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, app: app, tr: &tracker{}, runs: map[string]int{}}
	s.handle("add", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		d := struct{ N int }{N: 1}
		if err := e.Decode(&d); err != nil {
			return err
		}
		s.mu.Lock()
		s.runs[e.ID]++
		s.mu.Unlock()
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count += d.N
			c.Log = append(c.Log[max(0, len(c.Log)-7):len(c.Log):len(c.Log)], e.ID)
			return c, nil
		})
		return err
	})
	s.handle("fail", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		return errors.New("the count may not go below zero")
	})
	extra := map[string]http.Handler{
		"/live": s.tr.wrap(app.Handler()),
		"GET /page": s.pageHandler("t", c.data, func(w http.ResponseWriter, p *livetemplate.Page, html string) {
			script := c.script
			if script == "" {
				script = `<script src="/livetemplate.js" data-live="/live" data-token="{{TOKEN}}"{{VERSION}} defer></script>`
			}
			version := ""
			if c.version {
				version = fmt.Sprintf(` data-version="%d"`, p.Version())
			}
			if c.served != nil {
				c.served(p)
			}
			script = strings.NewReplacer("{{TOKEN}}", p.GetToken(), "{{VERSION}}", version, "{{V}}", fmt.Sprint(p.Version())).Replace(script)
			if c.csp != "" {
				w.Header().Set("Content-Security-Policy", c.csp)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>test</title>%s</head><body><div data-lvt-root>%s</div>%s%s</body></html>`,
				c.head, html, script, c.body)
		}),
	}
	for k, v := range c.extra {
		extra[k] = v
	}
	if c.routes != nil {
		for k, v := range c.routes(s) {
			extra[k] = v
		}
	}
	if c.tls {
		s.srv = testServerTLS(t, nil, extra)
	} else {
		s.srv = testServer(t, nil, extra)
	}
	return s
}

// pageHandler makes a page of the template tmpl with data() on every
// request, remembers it (see page), renders it and hands the HTML to write,
// or writes it as it is when write is nil.
func (s *site) pageHandler(tmpl string, data func() any, write func(http.ResponseWriter, *livetemplate.Page, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.app.NewPage(tmpl, data())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.mu.Lock()
		s.pages = append(s.pages, p)
		s.mu.Unlock()
		html, err := p.Render()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if write == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, html)
			return
		}
		write(w, p, html)
	})
}

func (s *site) handle(name string, h livetemplate.EventHandler) {
	s.t.Helper()
	if err := s.app.HandleEvent("t", name, h); err != nil {
		s.t.Fatal(err)
	}
}

// page returns the page that /page made last.
func (s *site) page() *livetemplate.Page {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pages) == 0 {
		s.t.Fatal("no page was made")
	}
	return s.pages[len(s.pages)-1]
}

// html returns the server's HTML of the page.
func (s *site) html(p *livetemplate.Page) string {
	s.t.Helper()
	h, err := p.Render()
	if err != nil {
		s.t.Fatal(err)
	}
	return h
}

// open opens a tab on the site's path and waits until the client is connected.
func (s *site) open(b *browsertest.Browser, path string) *browsertest.Tab {
	s.t.Helper()
	tab := b.Tab(s.t)
	tab.Navigate(s.srv.URL + path)
	tab.WaitFor(`window.liveTemplate && liveTemplate.state === "open" && liveTemplate.version > 0`, 10*time.Second)
	return tab
}

// waitHTML waits until the tab's root holds the page's HTML on the server.
func (s *site) waitHTML(tab *browsertest.Tab, p *livetemplate.Page) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		html := s.html(p)
		want, _ := json.Marshal(html)
		// Both sides as the browser serialises them.
		r := browsertest.MustEval[[]string](tab, `(() => {
			const t = document.createElement("template");
			t.innerHTML = `+string(want)+`;
			return [document.querySelector("[data-lvt-root]").innerHTML, t.innerHTML];
		})()`)
		if r[0] == r[1] {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the page's HTML is\n%s\nwant\n%s\nconsole:\n%s", r[0], r[1], strings.Join(tab.Console(), "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tracker keeps the live endpoint's connections, to drop or freeze them as
// a lost network does.
type tracker struct {
	mu     sync.Mutex
	conns  []*trackedConn
	opened atomic.Int32
	down   atomic.Bool  // refuse handshakes with 503
	stall  atomic.Bool  // never answer handshakes
	life   atomic.Int64 // close connections after this many nanoseconds, if > 0
}

func (tr *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tr.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if tr.stall.Load() {
			<-r.Context().Done()
			return
		}
		tr.opened.Add(1)
		h.ServeHTTP(&hijacker{ResponseWriter: w, tr: tr}, r)
	})
}

// drop closes every connection at once, without a close frame.
func (tr *tracker) drop() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := len(tr.conns)
	for _, c := range tr.conns {
		c.Conn.Close()
	}
	tr.conns = nil
	return n
}

// freeze makes every connection a black hole: what the server writes is
// lost and what the client sends is not read, as on a half-open socket.
func (tr *tracker) freeze() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, c := range tr.conns {
		c.frozen.Store(true)
	}
	tr.conns = nil
}

type hijacker struct {
	http.ResponseWriter
	tr *tracker
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	tc := &trackedConn{Conn: c, r: brw.Reader}
	h.tr.mu.Lock()
	h.tr.conns = append(h.tr.conns, tc)
	h.tr.mu.Unlock()
	if d := h.tr.life.Load(); d > 0 {
		time.AfterFunc(time.Duration(d), func() { c.Close() })
	}
	return tc, bufio.NewReadWriter(bufio.NewReader(tc), bufio.NewWriter(tc)), nil
}

type trackedConn struct {
	net.Conn
	r      io.Reader
	frozen atomic.Bool
}

func (c *trackedConn) Read(b []byte) (int, error) {
	for {
		n, err := c.r.Read(b)
		if !c.frozen.Load() || err != nil {
			return n, err
		}
	}
}

func (c *trackedConn) Write(b []byte) (int, error) {
	if c.frozen.Load() {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// noConsole fails the test if the tab wrote to the console.
func noConsole(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	if c := tab.Console(); len(c) > 0 {
		t.Errorf("console output:\n%s", strings.Join(c, "\n"))
	}
}

// TestClient tests the API: connecting in the seed's patterns, pushEvent and
// its acks, pushes from the server, the outbox's bound.
func TestClient(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("AutoConnectLazy", func(t *testing.T) {
		s := newSite(t, siteConfig{version: true})
		tab := s.open(b, "/page")
		p := s.page()
		// Joined with the version the HTML shows: live without the tree.
		if v := browsertest.MustEval[int](tab, `liveTemplate.version`); v != 1 {
			t.Fatalf("version %d", v)
		}
		if _, err := p.Update(counter{Count: 5, Log: []string{"push"}}); err != nil {
			t.Fatal(err)
		}
		s.waitHTML(tab, p)
		if _, err := p.Update(counter{Count: 6, Log: []string{"push", "again"}}); err != nil {
			t.Fatal(err)
		}
		s.waitHTML(tab, p)
		tab.WaitFor(`liveTemplate.version === 3`, 5*time.Second)
		noConsole(t, tab)
	})

	t.Run("WholeDocument", func(t *testing.T) {
		// The template renders the whole document, script tag included, with
		// PAGE_TOKEN and PAGE_VERSION: the markup docs/client.md recommends.
		const doc = `<!doctype html><html><head><title>{{.Count}}</title></head><body><p id="count">{{.Count}}</p>` +
			`<button id="add" lvt-click="add">+1</button>` +
			`<script src="/livetemplate.js" data-live="/live" data-token="{{PAGE_TOKEN}}" data-version="{{PAGE_VERSION}}" defer></script></body></html>`
		s := newSite(t, siteConfig{src: doc, routes: func(s *site) map[string]http.Handler {
			return map[string]http.Handler{"GET /doc": s.pageHandler("t", func() any { return counter{Count: 7} }, nil)}
		}})
		tab := s.open(b, "/doc")
		if v := browsertest.MustEval[int](tab, `liveTemplate.version`); v != 1 {
			t.Fatalf("version %d", v)
		}
		for want := 8; want <= 9; want++ {
			browsertest.MustEval[bool](tab, `document.getElementById("add").click(), true`)
			tab.WaitFor(fmt.Sprintf(`document.getElementById("count")?.textContent === "%d" && document.title === "%d"`, want, want), 5*time.Second)
		}
		if c := s.page().Data().(counter).Count; c != 9 {
			t.Errorf("count %d", c)
		}
		noConsole(t, tab)
	})

	t.Run("PageMovedBeforeJoin", func(t *testing.T) {
		// The page changed between its HTML and the join: the server
		// answers the join with a diff, which the client cannot apply
		// without the tree; it asks for the whole page instead.
		s := newSite(t, siteConfig{version: true, served: func(p *livetemplate.Page) {
			if _, err := p.Update(counter{Count: 11, Log: []string{"moved"}}); err != nil {
				t.Error(err)
			}
		}})
		tab := s.open(b, "/page")
		s.waitHTML(tab, s.page())
		tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
		noConsole(t, tab)
	})

	t.Run("AutoConnectFull", func(t *testing.T) {
		s := newSite(t, siteConfig{}) // no data-version: the server sends the page
		tab := s.open(b, "/page")
		p := s.page()
		if _, err := p.Update(counter{Count: 2}); err != nil {
			t.Fatal(err)
		}
		s.waitHTML(tab, p)
		noConsole(t, tab)
	})

	t.Run("Debug", func(t *testing.T) {
		s := newSite(t, siteConfig{script: `<script src="/livetemplate.js" data-live="/live" data-token="{{TOKEN}}" data-debug defer></script>`})
		tab := s.open(b, "/page")
		if c := strings.Join(tab.Console(), "\n"); !strings.Contains(c, "debug: \"livetemplate:\"") {
			t.Errorf("console with data-debug:\n%s", c)
		}
	})

	t.Run("Pattern2", func(t *testing.T) {
		// The seed's Pattern 2: a preset token and connect(url) with the token in the URL.
		s := newSite(t, siteConfig{script: `<script src="/livetemplate.js"></script>
<script>
  const pageToken = "{{TOKEN}}";
  const client = new LiveTemplateClient({presetToken: pageToken});
  window.liveTemplate = client;
  window.seen = [];
  for (const e of ["connected", "disconnected", "reconnecting", "updated", "error"]) client.on(e, () => seen.push(e));
  client.connect("ws://" + location.host + "/live?token=" + pageToken);
</script>`})
		tab := s.open(b, "/page")
		p := s.page()
		if err := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("add", {n: 3}).then(() => "ok", e => e.code)`); err != "ok" {
			t.Fatalf("pushEvent: %s", err)
		}
		s.waitHTML(tab, p)
		if got := browsertest.MustEval[string](tab, `document.getElementById("count").textContent`); got != "3" {
			t.Fatalf("count %q", got)
		}
		seen := browsertest.MustEval[[]string](tab, `seen`)
		if strings.Join(seen, ",") != "connected,updated,updated" {
			t.Errorf("events %v", seen)
		}
	})

	t.Run("Pattern2Seed", func(t *testing.T) {
		// The seed's Pattern 2 exactly as written (seeds/websocket-patterns.md,
		// Step 3), in the page's template, with the test server's host in
		// place of localhost:8080: the DOM follows a push from the server and
		// an lvt-click.
		const seed = "<script>\n    // Token embedded from server\n    const pageToken = \"{{PAGE_TOKEN}}\"; \n    \n" +
			"    const client = new LiveTemplateClient({\n        // Connect with existing token\n        presetToken: pageToken\n    });\n    \n" +
			"    client.connect(`ws://localhost:8080/ws?token=${pageToken}`);\n</script>"
		s := newSite(t, siteConfig{routes: func(s *site) map[string]http.Handler {
			return map[string]http.Handler{
				"/ws":       s.app.Handler(),
				"GET /seed": s.pageHandler("seed", func() any { return counter{Count: 1} }, nil),
			}
		}})
		src := `<!doctype html><html><head><title>seed</title></head><body><p id="count">{{.Count}}</p>` +
			`<button id="add" lvt-click="add">+1</button><script src="/livetemplate.js"></script>` +
			strings.Replace(seed, "localhost:8080", strings.TrimPrefix(s.srv.URL, "http://"), 1) + `</body></html>`
		tm := template.Must(template.New("seed").Funcs(livetemplate.FuncMap()).Parse(src))
		if err := s.app.RegisterTemplate("seed", tm); err != nil {
			t.Fatal(err)
		}
		if err := s.app.HandleEvent("seed", "add", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
			_, err := p.Modify(ctx, func(data any) (any, error) {
				c := data.(counter)
				c.Count++
				return c, nil
			})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tab := b.Tab(t)
		tab.Navigate(s.srv.URL + "/seed")
		tab.WaitFor(`client.state === "open" && client.version === 1 && client.token === pageToken`, 10*time.Second)
		p := s.page()
		if _, err := p.Update(counter{Count: 5}); err != nil {
			t.Fatal(err)
		}
		tab.WaitFor(`document.getElementById("count").textContent === "5" && client.version === 2`, 5*time.Second)
		browsertest.MustEval[bool](tab, `document.getElementById("add").click(), true`)
		tab.WaitFor(`document.getElementById("count").textContent === "6" && client.version === 3`, 5*time.Second)
		if c := p.Data().(counter).Count; c != 6 {
			t.Errorf("count %d on the server, want 6", c)
		}
		noConsole(t, tab)
	})

	t.Run("Pattern1", func(t *testing.T) {
		// The seed's Pattern 1: the endpoint makes the page and sends its token.
		var made atomic.Int32
		s := newSite(t, siteConfig{routes: func(s *site) map[string]http.Handler {
			return map[string]http.Handler{
				"/counter": s.tr.wrap(s.app.PageHandler("t", func(*http.Request) (any, error) {
					made.Add(1)
					return counter{Count: 40}, nil
				})),
				"GET /p1": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					fmt.Fprint(w, `<!doctype html><html><body><div data-lvt-root></div><script src="/livetemplate.js" data-live="/counter" defer></script></body></html>`)
				}),
			}
		}})
		tab := b.Tab(t)
		tab.Navigate(s.srv.URL + "/p1")
		tab.WaitFor(`document.getElementById("count")?.textContent === "40"`, 10*time.Second)
		if err := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("add", {n: 2}).then(() => "ok", e => e.code)`); err != "ok" {
			t.Fatalf("pushEvent: %s", err)
		}
		tab.WaitFor(`document.getElementById("count").textContent === "42"`, 5*time.Second)
		// A dropped connection resumes the same page (its token is in the reconnect URL).
		s.tr.drop()
		tab.WaitFor(`liveTemplate.state === "open"`, 10*time.Second)
		if err := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("add").then(() => "ok", e => e.code)`); err != "ok" {
			t.Fatalf("pushEvent: %s", err)
		}
		tab.WaitFor(`document.getElementById("count").textContent === "43"`, 5*time.Second)
		if n := made.Load(); n != 1 {
			t.Errorf("%d pages made, want 1", n)
		}
		noConsole(t, tab)
	})

	t.Run("PushEventAcks", func(t *testing.T) {
		s := newSite(t, siteConfig{version: true})
		tab := s.open(b, "/page")
		got := browsertest.MustEval[[]string](tab, `(async () => {
			const r = [];
			const codeOf = p => p.then(() => "ok", e => (e instanceof LiveTemplateError) + " " + e.code + ": " + e.message);
			const errors = [];
			liveTemplate.on("error", e => errors.push(e.code));
			r.push(await codeOf(liveTemplate.pushEvent("add")));
			r.push(await codeOf(liveTemplate.pushEvent("fail")));
			r.push(await codeOf(liveTemplate.pushEvent("nope", {x: 1})));
			r.push(errors.join(","));
			return r;
		})()`)
		want := []string{"ok", "true handler_error: the count may not go below zero", `true unknown_event: no handler for the event "nope" of template "t"`, "handler_error,unknown_event"}
		for i := range want {
			if i >= len(got) || (got[i] != want[i] && !(i == 2 && strings.HasPrefix(got[i], "true unknown_event"))) {
				t.Errorf("result %d: %q, want %q", i, got, want[i])
			}
		}
		noConsole(t, tab)
	})

	t.Run("OutboxFull", func(t *testing.T) {
		release := make(chan struct{})
		s := newSite(t, siteConfig{script: `<script src="/livetemplate.js"></script>
<script>
  window.liveTemplate = new LiveTemplateClient({presetToken: "{{TOKEN}}", maxPending: 3});
  window.errors = [];
  liveTemplate.on("error", e => errors.push(e.code));
  liveTemplate.connect("/live");
</script>`})
		s.handle("block", func(ctx context.Context, _ *livetemplate.Page, _ livetemplate.Event) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		})
		tab := s.open(b, "/page")
		got := browsertest.MustEval[string](tab, `(() => {
			window.acks = [];
			for (let i = 0; i < 3; i++) liveTemplate.pushEvent("block").then(() => acks.push("ok"), e => acks.push(e.code));
			return liveTemplate.pushEvent("block").then(() => "sent", e => e.code + " " + e.message);
		})()`)
		if !strings.HasPrefix(got, "outbox_full ") {
			t.Fatalf("the 4th event: %q", got)
		}
		if errs := browsertest.MustEval[[]string](tab, `errors`); strings.Join(errs, ",") != "outbox_full" {
			t.Errorf("error events %v", errs)
		}
		close(release)
		tab.WaitFor(`acks.length === 3 && acks.every(a => a === "ok")`, 5*time.Second)
		if got := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("block").then(() => "ok", e => e.code)`); got != "ok" {
			t.Errorf("after the acks: %q", got)
		}
	})

	t.Run("PageEnded", func(t *testing.T) {
		release := make(chan struct{})
		s := newSite(t, siteConfig{script: clientScript(``)})
		s.handle("block", func(ctx context.Context, _ *livetemplate.Page, _ livetemplate.Event) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		})
		defer close(release)
		tab := s.open(b, "/page")
		browsertest.MustEval[bool](tab, `window.res = []; liveTemplate.pushEvent("block"); liveTemplate.pushEvent("add").catch(e => res.push(e.code)), true`)
		if err := s.page().Close(); err != nil {
			t.Fatal(err)
		}
		tab.WaitFor(`res.length === 1`, 5*time.Second)
		got := browsertest.MustEval[[]string](tab, `[res[0], liveTemplate.state, JSON.stringify(seen.filter(e => e[0] === "error").map(e => [e[1].code, e[1].fatal]))]`)
		if want := []string{"page_closed", "closed", `[["page_closed",true]]`}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("after the page closed: %q, want %q", got, want)
		}
	})

	t.Run("FirstLoadBytes", func(t *testing.T) {
		// A realistic page: a table of 50 rows. The client joins with the
		// version its HTML shows, so the server sends no tree.
		type row struct {
			ID          int
			Name, Email string
			Active      bool
		}
		type data struct {
			Title string
			Rows  []row
		}
		src := `<h1>{{.Title}}</h1><table><thead><tr><th>Name</th><th>Email</th><th>Status</th><th></th></tr></thead><tbody>` +
			`{{range .Rows}}<tr data-key="{{.ID}}"><td>{{.Name}}</td><td><a href="mailto:{{.Email}}">{{.Email}}</a></td>` +
			`<td class="{{if .Active}}on{{else}}off{{end}}">{{if .Active}}active{{else}}away{{end}}</td>` +
			`<td><button lvt-click="select" lvt-value-id="{{.ID}}">Select</button></td></tr>{{end}}</tbody></table>`
		d := data{Title: "Users"}
		for i := range 50 {
			d.Rows = append(d.Rows, row{ID: i + 1, Name: fmt.Sprintf("User number %d", i+1), Email: fmt.Sprintf("user%d@example.com", i+1), Active: i%3 == 0})
		}
		s := newSite(t, siteConfig{src: src, data: func() any { return d }, version: true, head: `<script src="/count.js"></script>`,
			extra: map[string]http.Handler{"GET /count.js": jsHandler(`
				window.wsBytes = 0;
				const WS = window.WebSocket;
				window.WebSocket = class extends WS {
					constructor(...a) {
						super(...a);
						this.addEventListener("message", e => { wsBytes += new TextEncoder().encode(e.data).length; });
					}
				};`)}})
		resp, err := http.Get(s.srv.URL + "/page")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tab := s.open(b, "/page")
		joinBytes := browsertest.MustEval[int](tab, `wsBytes`)
		ratio := float64(len(body)+joinBytes) / float64(len(body))
		t.Logf("first load: HTML %d bytes, join %d bytes: ratio %.3f", len(body), joinBytes, ratio)
		if ratio > 1.3 {
			t.Errorf("first-load ratio %.3f > 1.3", ratio)
		}
	})
}

// jsHandler serves a script.
func jsHandler(js string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		io.WriteString(w, js)
	})
}

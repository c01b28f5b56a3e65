// Package tabsbench measures, for `ltbench -suite tabs`, the tabs of one
// headless Chromium sharing one connection: the server's connections for
// five tabs, the failover when the leading tab closes or crashes, the
// events lost or run twice while the tabs push events through handover
// after handover, the wait of a follower's events while the leader's main
// thread hangs, the connections of tabs on two mounts of one endpoint, the
// time from a click to the change it makes, in the leader and in a
// follower, the events lost, run twice or out of order while tabs push at
// four times the default rate through leader crashes, and the frames the
// server writes per event with eight tabs on one page.
package tabsbench

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// Script, loaded after the client's script tag, records a tab's connected
// events and runs its pumps of "tick" events (see tabs.js).
//
//go:embed tabs.js
var Script []byte

// Options of [Run].
type Options struct {
	// Tabs open at once (5).
	Tabs int
	// Handovers: the leader is killed this many times (40), by a close and a
	// crash in turn, and replaced by a new tab.
	Handovers int
	// TwoEndpoints is how long tabs on two mounts of one endpoint are
	// watched (30 s).
	TwoEndpoints time.Duration
	// Clicks is how many times the leader and a follower each click (50).
	Clicks int
	// OverloadTabs push events at about four times the default event rate
	// while their leader crashes OverloadCrashes times (8 and 2).
	OverloadTabs, OverloadCrashes int
	// FramesTabs show one page while one of them clicks (8).
	FramesTabs int
}

// Result is what one run measured.
type Result struct {
	// ServerConnections is how many connections the endpoint had open once
	// all the tabs were live.
	ServerConnections int
	// Failovers are the times from the leader's close or crash to every other
	// tab's page live again on the new leader's connection, in milliseconds,
	// sorted.
	Failovers []float64
	// Events is how many events ran.
	Events int
	// LostEvents are events that never ran: pushed by a tab that lived to
	// the end, or acknowledged to a tab that was killed.
	LostEvents int
	// DuplicatedEvents are the runs of an event after its first.
	DuplicatedEvents int
	// Unsettled are pushes of the tabs that lived to the end that were
	// neither acknowledged nor failed 15 s after the run; Failed, those that
	// failed.
	Unsettled, Failed int
	// Unprovoked are the handovers in which the leader had lost the lead of
	// its own accord before it was killed (a follower found it silent for a
	// second, as a leader starved of CPU may be): they have no failover.
	Unprovoked int
	// HungLeaderStall is the longest that an event of a follower waited for
	// its ack while the leader's main thread was blocked for 6 s, in
	// milliseconds.
	HungLeaderStall float64
	// TwoEndpointConnections is how many connections four tabs opened,
	// two on each of two mounts of one endpoint, in opts.TwoEndpoints.
	TwoEndpointConnections int
	// ClickLeader and ClickFollower are the times from each click on a
	// page (loaded with data-version) to the change it made, in the leader
	// and in a follower, in milliseconds, in order: the first click first.
	ClickLeader, ClickFollower []float64
	// Overload is what the overload scenario measured.
	Overload Overload
	// FramesPerEvent is how many frames the server wrote per click of a
	// follower, with opts.FramesTabs tabs showing the page.
	FramesPerEvent float64
}

// ClickP50 is the median of clicks, in milliseconds.
func ClickP50(clicks []float64) float64 {
	s := slices.Sorted(slices.Values(clicks))
	return s[len(s)/2]
}

// FailoverP50 is the median failover, in milliseconds.
func (r Result) FailoverP50() float64 { return r.Failovers[len(r.Failovers)/2] }

// FailoverMax is the longest failover, in milliseconds.
func (r Result) FailoverMax() float64 { return r.Failovers[len(r.Failovers)-1] }

// Run measures each scenario in a headless Chromium and with a server of
// its own.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Tabs < 2 {
		opts.Tabs = 5
	}
	if opts.Handovers < 1 {
		opts.Handovers = 40
	}
	if opts.TwoEndpoints <= 0 {
		opts.TwoEndpoints = 30 * time.Second
	}
	if opts.Clicks < 1 {
		opts.Clicks = 50
	}
	if opts.OverloadTabs < 1 {
		opts.OverloadTabs = 8
	}
	if opts.OverloadCrashes < 1 {
		opts.OverloadCrashes = 2
	}
	if opts.FramesTabs < 1 {
		opts.FramesTabs = 8
	}
	var r Result
	// Each scenario has a browser of its own: tabs opened after many others
	// may share a renderer process, and so a main thread, which a hung
	// leader would block with them.
	for _, run := range []func(*browser) error{
		func(b *browser) error { return handovers(b, opts, &r) },
		func(b *browser) (err error) { r.HungLeaderStall, err = hungLeader(b); return err },
		func(b *browser) (err error) {
			r.TwoEndpointConnections, err = twoEndpoints(b, opts.TwoEndpoints)
			return err
		},
		func(b *browser) (err error) {
			r.ClickLeader, r.ClickFollower, err = clickToPaint(b, opts.Clicks)
			return err
		},
		func(b *browser) (err error) {
			r.Overload, err = overload(b, opts.OverloadTabs, opts.OverloadCrashes)
			return err
		},
		func(b *browser) (err error) {
			r.FramesPerEvent, err = framesPerEvent(b, opts.FramesTabs, opts.Clicks)
			return err
		},
	} {
		b, err := startBrowser(ctx)
		if err != nil {
			return r, err
		}
		err = run(b)
		b.close()
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// handovers opens the tabs, each on a page of its own, makes them push
// events without pause, and kills their leader opts.Handovers times.
func handovers(b *browser, opts Options, r *Result) error {
	s, err := newServer()
	if err != nil {
		return err
	}
	defer s.close()

	pages := 0
	newTab := func() (*tab, error) {
		pages++
		return b.open(s.srv.URL + fmt.Sprintf("/tab/p%d", pages))
	}
	var tabs []*tab
	defer func() {
		for _, t := range tabs {
			t.cancel()
		}
	}()
	for range opts.Tabs {
		t, err := newTab()
		if err != nil {
			return err
		}
		tabs = append(tabs, t)
	}
	_, epoch, _, err := waitLeader(tabs, 0, 0)
	if err != nil {
		return err
	}
	r.ServerConnections = s.conns.Open()
	for _, t := range tabs {
		if _, err := browsertest.EvalIn[bool](t.ctx, `startPumps(2)`); err != nil {
			return err
		}
	}

	var killedAcks []string
	for i := range opts.Handovers {
		leader, now, _, err := waitLeader(tabs, epoch-1, 0)
		if err != nil {
			return err
		}
		epoch = now
		victim := tabs[leader]
		acked, err := browsertest.EvalIn[[]string](victim.ctx, `acked`)
		if err != nil {
			return err
		}
		killedAcks = append(killedAcks, acked...)
		tabs = slices.Delete(tabs, leader, leader+1)
		start := time.Now()
		if i%2 == 0 {
			victim.close()
		} else {
			victim.crash()
		}
		next, live, err := failover(tabs, epoch, start)
		if err != nil {
			return err
		}
		if epoch = next; live >= 0 {
			r.Failovers = append(r.Failovers, float64(live))
		} else {
			r.Unprovoked++
		}
		t, err := newTab()
		if err != nil {
			return err
		}
		tabs = append(tabs, t)
		if _, err := browsertest.EvalIn[bool](t.ctx, `startPumps(2)`); err != nil {
			return err
		}
	}
	slices.Sort(r.Failovers)

	var sent []string
	for _, t := range tabs {
		p, err := browsertest.EvalIn[struct{ Sent, Acked, Failed []string }](t.ctx, `stopPumps()`)
		if err != nil {
			return err
		}
		sent = append(sent, p.Sent...)
		r.Failed += len(p.Failed)
		r.Unsettled += len(p.Sent) - len(p.Acked) - len(p.Failed)
	}
	r.Events, r.LostEvents, r.DuplicatedEvents = s.tally(append(sent, killedAcks...))
	return nil
}

// failover waits until tabs follow a leader with an epoch above epoch, and
// returns that epoch and the milliseconds from start until every tab's page
// was live on its connection: -1 when they were before start, on a leader
// that took the lead of its own accord (a follower that found the leader
// silent), not for the kill.
func failover(tabs []*tab, epoch float64, start time.Time) (float64, int64, error) {
	_, next, live, err := waitLeader(tabs, epoch, start.UnixMilli())
	if err == nil {
		return next, live - start.UnixMilli(), nil
	}
	if _, next, _, again := waitLeader(tabs, epoch, 0); again == nil {
		return next, -1, nil
	}
	return 0, 0, err
}

// server is the application the tabs show: /tab/{name} is the page of that
// name, made on its first request, and its event "tick" counts each key's runs.
type server struct {
	app   *livetemplate.Application
	srv   *httptest.Server
	conns ConnCount

	mu       sync.Mutex
	pages    map[string]*livetemplate.Page
	runs     map[string]int // tick key -> runs
	last     map[string]int // flood: tab -> the highest push number that ran
	disorder int            // flood: runs after a later push of their tab
}

const pageSrc = `<p>{{.Count}}</p><button id="b" lvt-click="click">+1</button><ul>{{range .Log}}<li>{{.}}</li>{{end}}</ul>`

type pageData struct {
	Count int
	Log   []string
}

// newServer starts the application, with opts after its own.
func newServer(opts ...livetemplate.Option) (*server, error) {
	// All the tabs share one connection, and its rate limit.
	app, err := livetemplate.NewApplication(append([]livetemplate.Option{livetemplate.WithEventRate(5000, 10000)}, opts...)...)
	if err != nil {
		return nil, err
	}
	s := &server{app: app, pages: map[string]*livetemplate.Page{}, runs: map[string]int{}, last: map[string]int{}}
	tm := template.Must(template.New("t").Parse(pageSrc))
	if err := app.RegisterTemplate("t", tm); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.HandleEvent("t", "tick", s.tick); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.HandleEvent("t", "click", click); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.HandleEvent("t", "flood", s.flood); err != nil {
		app.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
	mux.Handle("/live", s.conns.Wrap(app.Handler()))
	mux.Handle("/admin/live", s.conns.Wrap(app.Handler())) // the endpoint mounted twice, as an admin copy may be
	mux.HandleFunc("GET /tabs.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(Script)
	})
	mux.HandleFunc("GET /tab/{name}", s.serveTab)
	s.srv = httptest.NewServer(mux)
	return s, nil
}

func (s *server) close() {
	s.srv.Close()
	s.app.Close()
}

// click counts a click on the page.
func click(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
	_, err := p.Modify(ctx, func(data any) (any, error) {
		c := data.(pageData)
		c.Count++
		return c, nil
	})
	return err
}

func (s *server) tick(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	var d struct{ K string }
	if err := e.Decode(&d); err != nil {
		return err
	}
	s.mu.Lock()
	s.runs[d.K]++
	s.mu.Unlock()
	_, err := p.Modify(ctx, func(data any) (any, error) {
		c := data.(pageData)
		c.Count++
		c.Log = append(c.Log[max(0, len(c.Log)-4):len(c.Log):len(c.Log)], d.K)
		return c, nil
	})
	return err
}

// tally returns how many events ran, how many of keys never ran, and how
// many runs were a key's second or later.
func (s *server) tally(keys []string) (ran, lost, duplicated int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if s.runs[k] == 0 {
			lost++
		}
	}
	for _, n := range s.runs {
		duplicated += n - 1
	}
	return len(s.runs), lost, duplicated
}

func (s *server) serveTab(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.pages[r.PathValue("name")]
	var err error
	if p == nil {
		if p, err = s.app.NewPage("t", pageData{}); err == nil {
			s.pages[r.PathValue("name")] = p
		}
	}
	s.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	live := r.URL.Query().Get("live")
	if live == "" {
		live = "/live"
	}
	WritePage(w, p, live, r.URL.Query().Has("version"))
}

// WritePage writes the HTML document of a tab that shows p: its HTML in
// the element with data-lvt-root, the client's script tag with its token
// (the client at /livetemplate.js, the endpoint at the path live) and, if
// version, the page's version, and [Script] at /tabs.js.
func WritePage(w http.ResponseWriter, p *livetemplate.Page, live string, version bool) {
	html, err := p.Render()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	v := ""
	if version {
		v = fmt.Sprintf(` data-version="%d"`, p.Version())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>tab</title></head><body><div data-lvt-root>%s</div>`+
		`<script src="/livetemplate.js" data-live="%s" data-token="%s"%s defer></script><script src="/tabs.js" defer></script></body></html>`,
		html, template.HTMLEscapeString(live), p.GetToken(), v)
}

// ConnCount counts the WebSocket connections of the endpoints it wraps:
// open ones, from the handshake's hijack to the close of their network
// connection, and all that were ever opened.
type ConnCount struct {
	open, opened atomic.Int32
	writes       atomic.Int64
}

// Writes returns how many writes the server made to the connections: about
// one per WebSocket frame.
func (cc *ConnCount) Writes() int64 { return cc.writes.Load() }

// Open returns how many connections are open.
func (cc *ConnCount) Open() int { return int(cc.open.Load()) }

// Opened returns how many connections were opened.
func (cc *ConnCount) Opened() int { return int(cc.opened.Load()) }

// Wrap returns h, counting the connections it hijacks.
func (cc *ConnCount) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&countingWriter{ResponseWriter: w, cc: cc}, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	cc *ConnCount
}

func (w *countingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.cc.open.Add(1)
	w.cc.opened.Add(1)
	cc := &countedConn{Conn: c, r: brw.Reader, cc: w.cc}
	return cc, bufio.NewReadWriter(bufio.NewReader(cc), bufio.NewWriter(cc)), nil
}

type countedConn struct {
	net.Conn
	r    io.Reader
	cc   *ConnCount
	once sync.Once
}

func (c *countedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (c *countedConn) Write(b []byte) (int, error) {
	c.cc.writes.Add(1)
	return c.Conn.Write(b)
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.cc.open.Add(-1) })
	return c.Conn.Close()
}

// browser is one headless Chromium.
type browser struct {
	ctx    context.Context // its first tab, kept open
	cancel func()
	dir    string
}

func startBrowser(ctx context.Context) (*browser, error) {
	dir, err := os.MkdirTemp("", "tabsbench")
	if err != nil {
		return nil, err
	}
	opts, err := browsertest.AllocatorOptions(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	first, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(first); err != nil {
		cancel()
		cancelAlloc()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("tabsbench: start chromium: %w", err)
	}
	return &browser{ctx: first, cancel: func() { cancel(); cancelAlloc() }, dir: dir}, nil
}

func (b *browser) close() {
	b.cancel()
	os.RemoveAll(b.dir)
}

// tab is a tab whose page is live.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
	id     string // its client's tab id
}

// open opens a tab on url and waits until its page is live.
func (b *browser) open(url string) (*tab, error) {
	ctx, cancel := chromedp.NewContext(b.ctx)
	t := &tab{ctx: ctx, cancel: cancel}
	err := chromedp.Do(ctx) // opens the tab, which a context with a timeout would close at its end
	if err == nil {
		nav, done := context.WithTimeout(ctx, 20*time.Second)
		err = chromedp.Do(nav, chromedp.Navigate(url))
		done()
	}
	if err == nil {
		err = browsertest.WaitIn(ctx, `window.conns && conns.length > 0 && liveTemplate.state === "open"`, 20*time.Second)
	}
	if err == nil {
		t.id, err = browsertest.EvalIn[string](ctx, `liveTemplate.leader.tab`)
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("tabsbench: open %s: %w", url, err)
	}
	return t, nil
}

// close closes the tab as a user does: the page gets pagehide.
func (t *tab) close() { t.cancel() }

// crash crashes the tab's renderer and closes the dead tab.
func (t *tab) crash() {
	Crash(t.ctx)
	t.cancel()
}

// View is what a tab's client says of its connection.
type View struct {
	Tab, Leader, State string
	Shared             bool
	Epoch              float64
	Conns              []float64 // Date.now() of every connected event
}

// ViewOf returns the view of the client in tab, a chromedp context of a
// tab that loaded [Script].
func ViewOf(tab context.Context) (View, error) {
	return browsertest.EvalIn[View](tab, `({...liveTemplate.leader, state: liveTemplate.state, conns})`)
}

// WaitLeader waits until every tab (a chromedp context of a tab that loaded
// [Script]) sees the same leader, one of them, with an epoch above after,
// and has its page live on that leader's connection: connected at since
// (Unix milliseconds) or later. It returns the leader's index, its epoch and
// when the last tab's page was live again.
func WaitLeader(tabs []context.Context, after float64, since int64) (int, float64, int64, error) {
	deadline := time.Now().Add(20 * time.Second)
	var last []View
	for {
		last = last[:0]
		leader, live := -1, int64(0)
		ok := true
		for _, t := range tabs {
			v, err := ViewOf(t)
			last = append(last, v)
			at := slices.IndexFunc(v.Conns, func(ms float64) bool { return int64(ms) >= since })
			if err != nil || v.State != "open" || v.Epoch <= after || at < 0 || v.Leader != last[0].Leader {
				ok = false
				continue
			}
			live = max(live, int64(v.Conns[at]))
			if v.Leader == v.Tab {
				leader = len(last) - 1
			}
		}
		if ok && leader >= 0 && last[0].Epoch == last[leader].Epoch {
			return leader, last[leader].Epoch, live, nil
		}
		if time.Now().After(deadline) {
			return 0, 0, 0, fmt.Errorf("tabsbench: no leader on an epoch above %.0f that every tab follows within 20s: %+v", after, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Crash ends the renderer of tab (a chromedp context), as a crash does: no
// pagehide, no unload. The renderer dies before it answers, so the command
// waits out a short deadline.
func Crash(tab context.Context) {
	ctx, cancel := context.WithTimeout(tab, 300*time.Millisecond)
	defer cancel()
	_, _ = chromedp.Call(ctx, page.Crash, cdp.Empty{})
}

func waitLeader(tabs []*tab, after float64, since int64) (int, float64, int64, error) {
	ctxs := make([]context.Context, len(tabs))
	for i, t := range tabs {
		ctxs[i] = t.ctx
	}
	return WaitLeader(ctxs, after, since)
}

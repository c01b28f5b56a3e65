package livetemplate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// counterSrc is the template of the live tests: a count, and a keyed log of
// the latest changes.
const counterSrc = `<p id="{{PAGE_TOKEN}}">{{.Count}}</p><ul>{{range .Log}}<li data-key="{{.}}">{{.}}</li>{{end}}</ul>`

type counter struct {
	Count int
	Log   []string
}

// counterApp returns an application with the counter template and its
// events: "add" adds {"n": N} (1 by default), "fail" returns an error,
// "panic" panics.
func counterApp(t testing.TB, opts ...livetemplate.Option) *livetemplate.Application {
	t.Helper()
	quiet := livetemplate.WithLogger(slog.New(slog.DiscardHandler)) // the panics are on purpose
	app := newApp(t, append([]livetemplate.Option{quiet}, opts...)...)
	register(t, app, "counter", counterSrc)
	handle(t, app, "counter", "add", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		d := struct{ N int }{N: 1}
		if err := e.Decode(&d); err != nil {
			return err
		}
		return add(ctx, p, d.N, e.ID)
	})
	handle(t, app, "counter", "fail", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		return errors.New("the count may not go below zero")
	})
	handle(t, app, "counter", "panic", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		panic("boom")
	})
	return app
}

func handle(t testing.TB, app *livetemplate.Application, tmpl, name string, h livetemplate.EventHandler) {
	t.Helper()
	if err := app.HandleEvent(tmpl, name, h); err != nil {
		t.Fatal(err)
	}
}

// add adds n to a counter page and logs entry, keeping the last logSize
// entries.
func add(ctx context.Context, p *livetemplate.Page, n int, entry string) error {
	_, err := p.Modify(ctx, func(data any) (any, error) {
		c := data.(counter)
		c.Count += n
		c.Log = append(c.Log[max(0, len(c.Log)+1-logSize):len(c.Log):len(c.Log)], entry)
		return c, nil
	})
	return err
}

const logSize = 8

// serve serves app's endpoints: /live (Handler) and /counter (PageHandler of
// the counter template). Closing the application at the test's end closes
// every connection.
func serve(t testing.TB, app *livetemplate.Application) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle("/counter", app.PageHandler("counter", func(*http.Request) (any, error) { return counter{}, nil }))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	return srv.URL
}

// liveCounter serves a counter application (see counterApp and serve) with
// opts and makes a page of it: what most tests of the endpoint start from.
func liveCounter(t testing.TB, opts ...livetemplate.Option) (*livetemplate.Application, string, *livetemplate.Page) {
	t.Helper()
	app := counterApp(t, opts...)
	return app, serve(t, app) + "/live", newPage(t, app, "counter", counter{})
}

func dial(t testing.TB, url string, opts ...livetemplatetest.Option) *livetemplatetest.Client {
	t.Helper()
	c, err := livetemplatetest.Dial(testContext(t), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func join(t testing.TB, c *livetemplatetest.Client, tok string) *livetemplatetest.Page {
	t.Helper()
	p, err := c.Join(testContext(t), tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testContext bounds a test's waits, well inside go test's own timeout.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitHTML waits until the client's copy of the page is html/template's
// output for data.
func waitHTML(t testing.TB, p *livetemplatetest.Page, src string, data any) {
	t.Helper()
	waitPage(t, p, src, data, p.Token())
}

// waitPage is waitHTML for a page whose token the client does not know.
func waitPage(t testing.TB, p *livetemplatetest.Page, src string, data any, tok string) {
	t.Helper()
	want := execute(t, src, data, tok)
	if err := p.Wait(testContext(t), func(html string) bool { return html == want }); err != nil {
		t.Fatalf("%.300v; want %.300q", err, want)
	}
}

// TestTwoDevicesConverge: two connections on one page (the seed's Pattern
// 2) each send events; both end with the HTML of the page's final data.
func TestTwoDevicesConverge(t *testing.T) {
	_, url, page := liveCounter(t)
	a := join(t, dial(t, url), page.GetToken())
	b := join(t, dial(t, url), page.GetToken())
	ctx := testContext(t)
	var wg sync.WaitGroup
	for _, p := range []*livetemplatetest.Page{a, b} {
		wg.Go(func() {
			for i := range 20 {
				if err := p.Event(ctx, "add", map[string]int{"n": i}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	final := page.Data().(counter)
	if final.Count != 2*190 {
		t.Fatalf("count %d; want 380", final.Count)
	}
	waitHTML(t, a, counterSrc, final)
	waitHTML(t, b, counterSrc, final)
	if a.Version() != page.Version() || b.Version() != page.Version() {
		t.Fatalf("versions %d and %d; the page is at %d", a.Version(), b.Version(), page.Version())
	}
}

// TestServerPushReachesEveryClient: an Update made outside any handler goes
// to every joined connection.
func TestServerPushReachesEveryClient(t *testing.T) {
	_, url, page := liveCounter(t)
	var clients []*livetemplatetest.Page
	for range 5 {
		clients = append(clients, join(t, dial(t, url), page.GetToken()))
	}
	if _, err := page.Update(counter{Count: 7, Log: []string{"push"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		waitHTML(t, c, counterSrc, counter{Count: 7, Log: []string{"push"}})
	}
}

// TestTokenOnConnect: the token may come in the query or in a header, and
// the page is then the connection's default page.
func TestTokenOnConnect(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	page := newPage(t, app, "counter", counter{Count: 3})
	for name, opt := range map[string]livetemplatetest.Option{
		"query":  livetemplatetest.WithToken(page.GetToken()),
		"header": livetemplatetest.WithHeader(http.Header{livetemplate.TokenHeader: {page.GetToken()}}),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := dial(t, url, opt).Default(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Event(testContext(t), "add", nil); err != nil {
				t.Fatal(err)
			}
			waitPage(t, p, counterSrc, page.Data(), page.GetToken())
		})
	}
}

// TestPageHandler: the seed's Pattern 1. Each connection gets its own page
// and its token; a reconnect with the token within the grace period resumes
// the page; after the grace period the page is closed.
func TestPageHandler(t *testing.T) {
	app := counterApp(t, livetemplate.WithDisconnectGrace(2*time.Second))
	url := serve(t, app) + "/counter"
	ctx := testContext(t)
	c1 := dial(t, url)
	p1, err := c1.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := dial(t, url).Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Token() == "" || p1.Token() == other.Token() {
		t.Fatalf("tokens %q and %q: want one page, with its own token, per connection", p1.Token(), other.Token())
	}
	if err := p1.Event(ctx, "add", map[string]int{"n": 5}); err != nil {
		t.Fatal(err)
	}
	tok := p1.Token()
	page, err := app.GetPage(tok)
	if err != nil {
		t.Fatal(err)
	}
	waitHTML(t, p1, counterSrc, page.Data())
	c1.Close()

	resumed, err := dial(t, url, livetemplatetest.WithToken(tok)).Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitHTML(t, resumed, counterSrc, page.Data())
	resumed.Leave(ctx)

	deadline := time.Now().Add(10 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		_, err = page.Render()
	}
	if !errors.Is(err, livetemplate.ErrPageClosed) {
		t.Fatalf("after the grace period: %v, want ErrPageClosed", err)
	}
}

// TestResume: a client that lost its socket rejoins with the version it
// holds and gets only the diffs it missed, or the whole page when the
// history no longer has them.
func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name            string
		history, missed int
		renders, diffs  int
	}{
		{"from history", 8, 3, 0, 3},
		{"past history", 2, 3, 1, 0},
		{"nothing missed", 8, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url, page := liveCounter(t, livetemplate.WithHistory(tc.history))
			c := dial(t, url)
			p := join(t, c, page.GetToken())
			c.Drop()
			for i := range tc.missed {
				if err := add(testContext(t), page, 1, fmt.Sprint("missed", i)); err != nil {
					t.Fatal(err)
				}
			}
			p2, err := dial(t, url).Resume(testContext(t), p)
			if err != nil {
				t.Fatal(err)
			}
			waitHTML(t, p2, counterSrc, page.Data())
			if s := p2.Stats(); s.Renders != tc.renders || s.Diffs != tc.diffs {
				t.Fatalf("resume received %d renders and %d diffs; want %d and %d", s.Renders, s.Diffs, tc.renders, tc.diffs)
			}
		})
	}
}

// TestResentEventAppliedOnce: an event whose ack was lost with the socket is
// resent on a new connection, and acknowledged without being applied again.
func TestResentEventAppliedOnce(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	var runs atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	handle(t, app, "counter", "slow", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		runs.Add(1)
		close(entered)
		<-release
		return add(ctx, p, 1, e.ID)
	})
	page := newPage(t, app, "counter", counter{})
	c := dial(t, url)
	p := join(t, c, page.GetToken())
	sent := make(chan error, 1)
	go func() { sent <- p.EventID(context.Background(), "tab1-1", "slow", nil) }()
	<-entered
	c.Drop() // the ack is lost with the socket
	if err := <-sent; !errors.Is(err, livetemplatetest.ErrClosed) {
		t.Fatalf("event on a dropped socket: %v, want ErrClosed", err)
	}
	close(release)

	p2, err := dial(t, url).Resume(testContext(t), p)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p2.EventID(testContext(t), "tab1-1", "slow", nil); err != nil {
			t.Fatalf("resent event: %v", err)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the handler ran %d times for one event id; want 1", n)
	}
	waitHTML(t, p2, counterSrc, counter{Count: 1, Log: []string{"tab1-1"}})
}

// TestEventResults: handler errors and panics reach the sender as failed
// acks with their codes, a resent failed event gets the same result without
// running again, and the server goes on.
func TestEventResults(t *testing.T) {
	_, url, page := liveCounter(t)
	p := join(t, dial(t, url), page.GetToken())
	ctx := testContext(t)
	for _, tc := range []struct{ event, code, message string }{
		{"fail", "handler_error", "the count may not go below zero"},
		{"panic", "handler_panic", `the handler of event "panic" failed`},
		{"nope", "unknown_event", `no handler for event "nope" on this page`},
	} {
		for range 2 {
			err := p.EventID(ctx, "id-"+tc.event, tc.event, nil)
			var e *livetemplatetest.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Message != tc.message {
				t.Fatalf("event %q: %v; want %s: %s", tc.event, err, tc.code, tc.message)
			}
		}
	}
	if err := p.Event(ctx, "add", nil); err != nil {
		t.Fatal(err)
	}
	waitHTML(t, p, counterSrc, page.Data())
	if c := page.Data().(counter); c.Count != 1 {
		t.Fatalf("count %d after the failed events and one add; want 1", c.Count)
	}
}

// TestManyClients: 200 clients on 20 pages each send 50 events at once; every
// event is applied once and every client ends with its page's HTML.
func TestManyClients(t *testing.T) {
	const pages, perPage, events = 20, 10, 50
	// All the clients dial from one address.
	app := counterApp(t, livetemplate.WithMaxClientConnections(pages*perPage))
	url := serve(t, app) + "/live"
	// 10,000 events with the race detector: about 8 s alone, and over two
	// minutes on a loaded machine (100 s alone at a load average of 22).
	// The deadline only guards against a hang: that of the test binary
	// (-timeout), less time to report what did not finish.
	ctx, cancel := hangGuard(t)
	defer cancel()
	var all []*livetemplatetest.Page
	var ps []*livetemplate.Page
	for range pages {
		page := newPage(t, app, "counter", counter{})
		ps = append(ps, page)
		for range perPage {
			all = append(all, join(t, dial(t, url), page.GetToken()))
		}
	}
	var wg sync.WaitGroup
	for _, p := range all {
		wg.Go(func() {
			for range events {
				if err := p.Event(ctx, "add", nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, page := range ps {
		if got := page.Data().(counter).Count; got != perPage*events {
			t.Fatalf("page %d counted %d events; want %d", i, got, perPage*events)
		}
		for _, p := range all[i*perPage : (i+1)*perPage] {
			waitHTML(t, p, counterSrc, page.Data())
		}
	}
}

// TestHistoryBytes: a client that missed more bytes of diffs than the page's
// HTML gets the page instead, however few diffs that is.
func TestHistoryBytes(t *testing.T) {
	_, url, page := liveCounter(t)
	c := dial(t, url)
	p := join(t, c, page.GetToken())
	c.Drop()
	big := strings.Repeat("x", 8<<10)
	for i := range 2 {
		for _, entry := range []string{big, "small"} {
			if _, err := page.Update(counter{Count: i, Log: []string{entry}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	p2, err := dial(t, url).Resume(testContext(t), p)
	if err != nil {
		t.Fatal(err)
	}
	waitHTML(t, p2, counterSrc, page.Data())
	if s := p2.Stats(); s.Renders != 1 || s.Diffs != 0 {
		t.Fatalf("resume past 32 KB of diffs of a small page: %d renders, %d diffs; want the page", s.Renders, s.Diffs)
	}
}

// TestRandomSessions: clients join, send events, leave, rejoin and lose their
// sockets at random while the server pushes changes; at the end every client
// holds html/template's output for its page's data. A failure prints the
// seed, which replays it.
func TestRandomSessions(t *testing.T) {
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	app, url, _ := liveCounter(t, livetemplate.WithHistory(4))
	pages := []*livetemplate.Page{newPage(t, app, "counter", counter{}), newPage(t, app, "counter", counter{})}
	type session struct {
		c    *livetemplatetest.Client
		p    *livetemplatetest.Page
		page *livetemplate.Page
	}
	ctx := testContext(t)
	var sessions []*session
	for i := range 4 {
		page := pages[i%len(pages)]
		c := dial(t, url)
		sessions = append(sessions, &session{c, join(t, c, page.GetToken()), page})
	}
	for step := range 500 {
		s := sessions[rng.IntN(len(sessions))]
		var err error
		switch op := rng.IntN(10); {
		case op < 5:
			err = s.p.Event(ctx, "add", map[string]int{"n": rng.IntN(5)})
		case op < 7:
			err = add(ctx, s.page, 100, fmt.Sprint("push", step))
		case op < 8: // the socket drops; a new one resumes from the version held
			s.c.Drop()
			s.c = dial(t, url)
			s.p, err = s.c.Resume(ctx, s.p)
		case op < 9: // leave and join again, from nothing
			if err = s.p.Leave(ctx); err == nil {
				s.p, err = s.c.Join(ctx, s.page.GetToken())
			}
		default:
			err = s.c.Ping(ctx)
		}
		if err != nil {
			t.Fatalf("seed %d, step %d: %v", seed, step, err)
		}
	}
	for _, s := range sessions {
		waitHTML(t, s.p, counterSrc, s.page.Data())
		if s.p.Version() != s.page.Version() {
			t.Fatalf("seed %d: a client at version %d of a page at %d", seed, s.p.Version(), s.page.Version())
		}
	}
}

// TestSlowHandlerDelaysOnlyItsPage: one connection, two pages (two tabs
// behind one leader); a handler that blocks holds up the events of its own
// page only.
func TestSlowHandlerDelaysOnlyItsPage(t *testing.T) {
	app, url, slowPage := liveCounter(t)
	release := make(chan struct{})
	handle(t, app, "counter", "block", func(ctx context.Context, _ *livetemplate.Page, _ livetemplate.Event) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	c := dial(t, url)
	blocked := join(t, c, slowPage.GetToken())
	free := join(t, c, newPage(t, app, "counter", counter{}).GetToken())
	ctx := testContext(t)
	done := make(chan error, 1)
	go func() { done <- blocked.Event(ctx, "block", nil) }()
	for range 3 {
		if err := free.Event(ctx, "add", nil); err != nil {
			t.Fatalf("an event of the other page while a handler blocks: %v", err)
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("a ping while a handler blocks: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// hangGuard returns a context that ends a little before the test binary's
// deadline (-timeout), so that a test that only guards against a hang fails
// with its own message rather than the binary's panic; without a deadline,
// ten minutes.
func hangGuard(t *testing.T) (context.Context, context.CancelFunc) {
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Minute)
	}
	return context.WithDeadline(context.Background(), deadline.Add(-30*time.Second))
}

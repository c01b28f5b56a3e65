package livetemplate_test

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	texttemplate "text/template"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// The tests of this file give the application user code that panics (a
// store, template functions, data, a Modify function, a PageHandler's
// newData, a logger) and check that the panic fails only the call that ran
// it, is logged with its stack, and leaves the page, the connections and
// Application.Close working. Every call that a panic used to wedge is bounded
// by wedgedAfter, so that a regression fails the test instead of freezing the
// suite.

// panicValue is what the tests' user code panics with.
const panicValue = "boom: user code failed"

// wedgedAfter is how long a call may take before the test takes the page or the
// application for wedged.
const wedgedAfter = 5 * time.Second

// returnsWithin runs fn, which must return within wedgedAfter and must not
// panic, and returns fn's error.
func returnsWithin(t testing.TB, what string, fn func() error) error {
	t.Helper()
	type result struct {
		err      error
		panicked any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			r.panicked = recover()
			done <- r
		}()
		r.err = fn()
	}()
	select {
	case r := <-done:
		if r.panicked != nil {
			t.Fatalf("%s panicked: %v", what, r.panicked)
		}
		return r.err
	case <-time.After(wedgedAfter):
		t.Fatalf("%s did not return within %v: wedged", what, wedgedAfter)
		return nil
	}
}

// wantPanicked fails the test unless err reports a recovered panic.
func wantPanicked(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, livetemplate.ErrPanicked) {
		t.Fatalf("%s: got %v; want an error wrapping ErrPanicked", what, err)
	}
	if strings.Contains(err.Error(), panicValue) {
		t.Fatalf("%s: %q holds the panic's value, which may be a secret: it belongs in the log only", what, err)
	}
}

// panicState is the data of the panic tests' page. Panic names the user code
// that its rendering panics in: the template function "explode", the
// method Method, or the iterator that Items returns.
type panicState struct {
	Count int
	Panic string
}

func (s panicState) Method() string {
	if s.Panic == "method" {
		panic(panicValue)
	}
	return "m"
}

func (s panicState) Items() iter.Seq[int] {
	return func(yield func(int) bool) {
		if s.Panic == "iterator" {
			panic(panicValue)
		}
		for i := range s.Count % 3 {
			if !yield(i) {
				return
			}
		}
	}
}

const panicSrc = `<p>{{.Count}}</p><ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul><i>{{explode .Panic}}{{.Method}}</i>`

var panicFuncs = template.FuncMap{
	"explode": func(what string) string {
		if what == "func" {
			panic(panicValue)
		}
		return "f"
	},
}

// panicStore is a MemoryStore whose methods panic while armed.
type panicStore struct {
	livetemplate.MemoryStore
	get, put, del atomic.Bool
}

func (s *panicStore) Get(ctx context.Context, id string) (livetemplate.PageRecord, error) {
	if s.get.Load() {
		panic(panicValue)
	}
	return s.MemoryStore.Get(ctx, id)
}

func (s *panicStore) Put(ctx context.Context, id string, rec livetemplate.PageRecord, ttl time.Duration) (uint64, error) {
	if s.put.Load() {
		panic(panicValue)
	}
	return s.MemoryStore.Put(ctx, id, rec, ttl)
}

func (s *panicStore) Delete(ctx context.Context, id string) error {
	if s.del.Load() {
		panic(panicValue)
	}
	return s.MemoryStore.Delete(ctx, id)
}

// panicLog records what an application logs.
type panicLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *panicLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *panicLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// logged reports whether the log holds a panic of the tests' user code,
// with its stack.
func (l *panicLog) logged() bool {
	s := l.String()
	return strings.Contains(s, panicValue) && strings.Contains(s, "goroutine ") && strings.Contains(s, "panic_test.go")
}

// waitLogged waits until the log holds the panic, with its stack.
func (l *panicLog) waitLogged(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(wedgedAfter)
	for !l.logged() {
		if time.Now().After(deadline) {
			t.Fatalf("the panic was not logged with its stack; the log:\n%s", l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// panicking is an application of the "state" template whose store panics
// while armed, served on a real socket: its Handler at url+"/live", and at
// url+"/page" a PageHandler whose newData panics while newData is armed.
type panicking struct {
	app     *livetemplate.Application
	store   *panicStore
	log     *panicLog
	url     string
	newData atomic.Bool
}

// panicKey is the signing key of the panic tests' applications, so that two
// of them sharing a store serve the same tokens.
var panicKey = []byte("panic-tests-signing-key-32-bytes!")

func newPanicking(t *testing.T, opts ...livetemplate.Option) *panicking {
	t.Helper()
	s := &panicking{store: new(panicStore), log: new(panicLog)}
	all := append([]livetemplate.Option{
		livetemplate.WithSigningKeys(panicKey),
		livetemplate.WithStore(s.store),
		livetemplate.WithLogger(slog.New(slog.NewTextHandler(s.log, nil))),
		livetemplate.WithFuncs(panicFuncs),
	}, opts...)
	app, err := livetemplate.NewApplication(all...)
	if err != nil {
		t.Fatal(err)
	}
	s.app = app
	srv := httptest.NewServer(s.mux())
	s.url = srv.URL
	t.Cleanup(func() {
		s.closes(t)
		srv.Close()
	})
	fsys := fstest.MapFS{"state.html": {Data: []byte(panicSrc)}}
	if err := app.RegisterTemplateFS("state", fsys, "state.html"); err != nil {
		t.Fatal(err)
	}
	s.handle(t)
	return s
}

func (s *panicking) mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/live", s.app.Handler())
	mux.Handle("/page", s.app.PageHandler("state", func(*http.Request) (any, error) {
		if s.newData.Load() {
			panic(panicValue)
		}
		return panicState{}, nil
	}))
	return mux
}

// handle registers the state page's events: "add" counts one (by Modify),
// "set" calls Update with the event's state, "modify" gives Modify a
// function that panics, "panic" panics.
func (s *panicking) handle(t *testing.T) {
	t.Helper()
	handle(t, s.app, "state", "add", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		_, err := p.Modify(ctx, func(data any) (any, error) {
			st := data.(panicState)
			return panicState{Count: st.Count + 1}, nil
		})
		return err
	})
	handle(t, s.app, "state", "set", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		var st panicState
		if err := e.Decode(&st); err != nil {
			return err
		}
		_, err := p.Update(st)
		return err
	})
	handle(t, s.app, "state", "modify", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		_, err := p.Modify(ctx, func(any) (any, error) { panic(panicValue) })
		return err
	})
	handle(t, s.app, "state", "panic", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		panic(panicValue)
	})
}

// closes checks that the application's Close returns.
func (s *panicking) closes(t testing.TB) {
	t.Helper()
	if err := returnsWithin(t, "Application.Close", s.app.Close); err != nil {
		t.Fatal(err)
	}
}

// newPage creates a page of the state template, within wedgedAfter.
func (s *panicking) newPage(t testing.TB, data panicState) (*livetemplate.Page, error) {
	t.Helper()
	var p *livetemplate.Page
	err := returnsWithin(t, "NewPage", func() (err error) {
		p, err = s.app.NewPage("state", data)
		return err
	})
	return p, err
}

// pageHandlerPage dials the PageHandler and returns the error of its page,
// waiting no longer than wedgedAfter.
func (s *panicking) pageHandlerPage(t testing.TB) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), wedgedAfter)
	defer cancel()
	_, err := dial(t, s.url+"/page").Default(ctx)
	return err
}

// client dials the application's Handler.
func (s *panicking) client(t testing.TB) *livetemplatetest.Client {
	t.Helper()
	return dial(t, s.url+"/live")
}

// join joins p on a new connection, waiting no longer than wedgedAfter.
func (s *panicking) join(t testing.TB, p *livetemplate.Page) *livetemplatetest.Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), wedgedAfter)
	defer cancel()
	c, err := s.client(t).Join(ctx, p.GetToken())
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return c
}

// eventWithin sends the event and returns its result, waiting no longer than
// wedgedAfter for its ack.
func eventWithin(t testing.TB, c *livetemplatetest.Page, name string, data any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), wedgedAfter)
	defer cancel()
	return c.Event(ctx, name, data)
}

// versionWithin returns the page's version, within wedgedAfter.
func versionWithin(t testing.TB, p *livetemplate.Page) uint64 {
	t.Helper()
	var v uint64
	returnsWithin(t, "Page.Version", func() error { v = p.Version(); return nil })
	return v
}

// serves checks that the page still works after a panic, each step bounded:
// it answers Version and Update, a client joins it over the socket, has an
// event applied and gets the page's HTML; and that the application still
// makes pages.
func (s *panicking) serves(t testing.TB, p *livetemplate.Page) {
	t.Helper()
	v := versionWithin(t, p)
	c := s.join(t, p)
	if err := returnsWithin(t, "Page.Update", func() error {
		_, err := p.Update(panicState{Count: int(v) + 10})
		return err
	}); err != nil {
		t.Fatalf("Update after the panic: %v", err)
	}
	if err := eventWithin(t, c, "add", nil); err != nil {
		t.Fatalf("an event after the panic: %v", err)
	}
	s.wantHTML(t, c, p)
	if _, err := s.newPage(t, panicState{}); err != nil {
		t.Fatalf("NewPage after the panic: %v", err)
	}
}

// wantHTML waits until the client holds html/template's output for the
// page's data.
func (s *panicking) wantHTML(t testing.TB, c *livetemplatetest.Page, p *livetemplate.Page) {
	t.Helper()
	var data any
	returnsWithin(t, "Page.Data", func() error { data = p.Data(); return nil })
	var b strings.Builder
	oracle := template.Must(template.New("oracle").Funcs(panicFuncs).Parse(panicSrc))
	if err := oracle.Execute(&b, data); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	want := b.String()
	if err := c.Wait(testContext(t), func(html string) bool { return html == want }); err != nil {
		t.Fatalf("%.300v; want %.300q", err, want)
	}
}

// TestPanickingStoreInCalls: a Store whose Get, Put or Delete panics fails
// the page method that called it with ErrPanicked, logged with its stack;
// the page keeps its state and serves on, and Close returns. (Before, a
// panic in Put under Page.Update left the page's lock held: the page and
// Close hung.)
func TestPanickingStoreInCalls(t *testing.T) {
	t.Run("Put in NewPage", func(t *testing.T) {
		s := newPanicking(t)
		s.store.put.Store(true)
		_, err := s.newPage(t, panicState{})
		wantPanicked(t, "NewPage", err)
		s.store.put.Store(false)
		p, err := s.newPage(t, panicState{})
		if err != nil {
			t.Fatal(err)
		}
		s.log.waitLogged(t)
		s.serves(t, p)
	})
	t.Run("Put in Update", func(t *testing.T) {
		s := newPanicking(t)
		p, _ := s.newPage(t, panicState{Count: 1})
		s.store.put.Store(true)
		wantPanicked(t, "Update", returnsWithin(t, "Page.Update", func() error {
			_, err := p.Update(panicState{Count: 2})
			return err
		}))
		if v := versionWithin(t, p); v != 1 {
			t.Fatalf("version %d after a failed Update; want 1", v)
		}
		s.store.put.Store(false)
		s.log.waitLogged(t)
		s.serves(t, p)
	})
	t.Run("Get in GetPage", func(t *testing.T) {
		s := newPanicking(t)
		p, _ := s.newPage(t, panicState{Count: 1})
		other := newPanicking(t, livetemplate.WithStore(s.store))
		s.store.get.Store(true)
		wantPanicked(t, "GetPage", returnsWithin(t, "GetPage", func() error {
			_, err := other.app.GetPage(p.GetToken())
			return err
		}))
		s.store.get.Store(false)
		var loaded *livetemplate.Page
		if err := returnsWithin(t, "GetPage", func() (err error) {
			loaded, err = other.app.GetPage(p.GetToken())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		other.log.waitLogged(t)
		other.serves(t, loaded)
	})
	t.Run("Delete in Page.Close", func(t *testing.T) {
		s := newPanicking(t)
		p, _ := s.newPage(t, panicState{Count: 1})
		s.store.del.Store(true)
		wantPanicked(t, "Page.Close", returnsWithin(t, "Page.Close", p.Close))
		s.store.del.Store(false)
		if err := returnsWithin(t, "Page.Render", func() error { _, err := p.Render(); return err }); !errors.Is(err, livetemplate.ErrPageClosed) {
			t.Fatalf("Render of the closed page: %v; want ErrPageClosed", err)
		}
		s.log.waitLogged(t)
		q, _ := s.newPage(t, panicState{})
		s.serves(t, q)
	})
}

// TestPanickingStoreOverSocket: a Store that panics under a join or under
// an event handler's Update fails that join or event, and the connection and
// the page serve on.
func TestPanickingStoreOverSocket(t *testing.T) {
	t.Run("Put in a handler's Update", func(t *testing.T) {
		s := newPanicking(t)
		p, _ := s.newPage(t, panicState{Count: 1})
		c := s.join(t, p)
		s.store.put.Store(true)
		err := eventWithin(t, c, "set", panicState{Count: 5})
		wantCode(t, err, "handler_error")
		if !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("ack %v: want the handler's error, which says that the store panicked", err)
		}
		s.store.put.Store(false)
		if err := eventWithin(t, c, "add", nil); err != nil {
			t.Fatalf("the next event on the connection: %v", err)
		}
		s.wantHTML(t, c, p)
		s.serves(t, p)
	})
	t.Run("Get in a join", func(t *testing.T) {
		s := newPanicking(t)
		p, _ := s.newPage(t, panicState{Count: 1})
		other := newPanicking(t, livetemplate.WithStore(s.store))
		c := other.client(t)
		s.store.get.Store(true)
		_, err := c.Join(testContext(t), p.GetToken())
		wantCode(t, err, "unavailable")
		s.store.get.Store(false)
		joined := join(t, c, p.GetToken())
		other.log.waitLogged(t)
		if err := eventWithin(t, joined, "add", nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPanickingStoreInBackground: a Store that panics in the application's
// own goroutines (the sweeper that expires pages and rewrites the records of
// pages in use, the timer that closes a PageHandler's page) is logged, and
// the process, the pages and Close go on. (Before, the panic ended the
// process.)
func TestPanickingStoreInBackground(t *testing.T) {
	t.Run("Delete in the sweeper", func(t *testing.T) {
		// The last page must be joined within one TTL of its creation:
		// 300 ms was too short on a loaded machine under -race.
		s := newPanicking(t, livetemplate.WithIdleTTL(time.Second))
		p, _ := s.newPage(t, panicState{})
		s.store.del.Store(true)
		s.log.waitLogged(t)
		s.store.del.Store(false)
		if err := returnsWithin(t, "Page.Render", func() error { _, err := p.Render(); return err }); !errors.Is(err, livetemplate.ErrPageExpired) {
			t.Fatalf("Render of the expired page: %v; want ErrPageExpired", err)
		}
		// The sweeper goes on: it expires the next page and deletes its record.
		next, _ := s.newPage(t, panicState{})
		deadline := time.Now().Add(wedgedAfter)
		for _, err := s.store.Get(t.Context(), next.ID()); err == nil; _, err = s.store.Get(t.Context(), next.ID()) {
			if time.Now().After(deadline) {
				t.Fatal("the sweeper stopped after the panic: an expired page's record stays")
			}
			time.Sleep(10 * time.Millisecond)
		}
		q, _ := s.newPage(t, panicState{})
		s.serves(t, q)
	})
	t.Run("Put in the sweeper", func(t *testing.T) {
		// The sweeper rewrites a shown page's record one TTL after its last
		// write, and the record expires two TTLs after it: after the
		// panicking Put, the test must see the log, disarm the store and
		// the sweeper tick (every TTL/4) again within one TTL, or the
		// record is gone. 100 ms was too short for three wake-ups on a
		// loaded machine under -race.
		ttl := time.Second
		s := newPanicking(t, livetemplate.WithIdleTTL(ttl), livetemplate.WithUnjoinedTTL(ttl))
		// The PageHandler's page is shown from its start, so the sweeper
		// keeps it and its record. A page of NewPage joined over a socket
		// would be unjoined until the join's round trip, which on a loaded
		// machine may outlast the short TTL: then it expires, not found.
		ctx, cancel := context.WithTimeout(testContext(t), wedgedAfter)
		defer cancel()
		c, err := dial(t, s.url+"/page").Default(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.app.GetPage(c.Token())
		if err != nil {
			t.Fatal(err)
		}
		s.store.put.Store(true)
		s.log.waitLogged(t)
		s.store.put.Store(false)
		if err := eventWithin(t, c, "add", nil); err != nil {
			t.Fatalf("an event after the sweeper's panic: %v", err)
		}
		s.wantHTML(t, c, p)
		s.serves(t, p)
	})
	t.Run("Delete in the grace timer", func(t *testing.T) {
		s := newPanicking(t, livetemplate.WithDisconnectGrace(20*time.Millisecond))
		c := dial(t, s.url+"/page")
		if _, err := c.Default(testContext(t)); err != nil {
			t.Fatal(err)
		}
		s.store.del.Store(true)
		c.Close()
		s.log.waitLogged(t)
		s.store.del.Store(false)
		q, _ := s.newPage(t, panicState{})
		s.serves(t, q)
	})
}

// TestPanickingRender: user code that rendering calls panics. html/template
// turns a panic in a template function or a method into an error of
// Execute; a panic in an iterator that {{range}} ranges over it does not
// recover, and the page turns it into ErrPanicked. Either way NewPage,
// Update and the event handler calling Update fail, and the page keeps its
// state and serves on.
func TestPanickingRender(t *testing.T) {
	for _, in := range []string{"func", "method", "iterator"} {
		t.Run(in, func(t *testing.T) {
			s := newPanicking(t)
			want := func(what string, err error) {
				t.Helper()
				var exec texttemplate.ExecError
				switch {
				case in == "iterator":
					wantPanicked(t, what, err)
				case !errors.As(err, &exec):
					t.Fatalf("%s: %v; want html/template's ExecError", what, err)
				}
			}
			_, err := s.newPage(t, panicState{Panic: in})
			want("NewPage", err)
			p, _ := s.newPage(t, panicState{Count: 1})
			want("Update", returnsWithin(t, "Page.Update", func() error {
				_, err := p.Update(panicState{Count: 2, Panic: in})
				return err
			}))
			if v := versionWithin(t, p); v != 1 {
				t.Fatalf("version %d after a failed Update; want 1", v)
			}
			c := s.join(t, p)
			wantCode(t, eventWithin(t, c, "set", panicState{Count: 3, Panic: in}), "handler_error")
			if in == "iterator" {
				s.log.waitLogged(t)
			}
			s.serves(t, p)
		})
	}
}

// TestPanickingModify: a function given to Modify that panics fails that
// Modify with ErrPanicked, and gives the page's turn back: the next Modify
// and the next event run.
func TestPanickingModify(t *testing.T) {
	s := newPanicking(t)
	p, _ := s.newPage(t, panicState{Count: 1})
	wantPanicked(t, "Modify", returnsWithin(t, "Page.Modify", func() error {
		_, err := p.Modify(testContext(t), func(any) (any, error) { panic(panicValue) })
		return err
	}))
	if err := returnsWithin(t, "Page.Modify", func() error {
		_, err := p.Modify(testContext(t), func(data any) (any, error) { return panicState{Count: 2}, nil })
		return err
	}); err != nil {
		t.Fatalf("the next Modify: %v", err)
	}
	c := s.join(t, p)
	err := eventWithin(t, c, "modify", nil)
	wantCode(t, err, "handler_error")
	if !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("ack %v: want the handler's error, which says that Modify's function panicked", err)
	}
	s.log.waitLogged(t)
	s.serves(t, p)
}

// TestPanickingNewData: a PageHandler's newData that panics fails the
// connection's page as an error of newData does, and Close returns. (Before,
// the connection stayed registered for ever and Close hung.)
func TestPanickingNewData(t *testing.T) {
	s := newPanicking(t)
	s.newData.Store(true)
	wantCode(t, s.pageHandlerPage(t), "unavailable")
	s.log.waitLogged(t)
	s.newData.Store(false)
	if _, err := dial(t, s.url+"/page").Default(testContext(t)); err != nil {
		t.Fatalf("the next connection's page: %v", err)
	}
	s.closes(t)
}

// panicHandler is a slog.Handler that panics on every record.
type panicHandler struct{}

func (panicHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (panicHandler) Handle(context.Context, slog.Record) error { panic(panicValue) }
func (h panicHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h panicHandler) WithGroup(string) slog.Handler           { return h }

// TestPanickingLogger: with a logger that panics, what the application
// logs (an event handler's panic, a store's, newData's) is lost, and nothing
// else: acks, pages, connections and Close work. (Before, the handler's
// panic, logged by a panicking logger, ended the process.)
func TestPanickingLogger(t *testing.T) {
	s := newPanicking(t, livetemplate.WithLogger(slog.New(panicHandler{})))
	p, _ := s.newPage(t, panicState{Count: 1})
	c := s.join(t, p)
	wantCode(t, eventWithin(t, c, "panic", nil), "handler_panic")

	s.store.put.Store(true)
	wantPanicked(t, "Update", returnsWithin(t, "Page.Update", func() error {
		_, err := p.Update(panicState{Count: 2})
		return err
	}))
	s.store.put.Store(false)

	s.newData.Store(true)
	wantCode(t, s.pageHandlerPage(t), "unavailable")
	s.newData.Store(false)
	s.serves(t, p)
}

// TestPanickingHandlerReleasesPage: after an event handler's panic (which
// is acked handler_panic), the page's turn and lock are free: Modify from
// outside, Version and the next event run at once.
func TestPanickingHandlerReleasesPage(t *testing.T) {
	s := newPanicking(t)
	p, _ := s.newPage(t, panicState{Count: 1})
	c := s.join(t, p)
	wantCode(t, eventWithin(t, c, "panic", nil), "handler_panic")
	if err := returnsWithin(t, "Page.Modify", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), wedgedAfter/2)
		defer cancel()
		_, err := p.Modify(ctx, func(data any) (any, error) { return panicState{Count: 7}, nil })
		return err
	}); err != nil {
		t.Fatalf("Modify after the handler's panic: %v", err)
	}
	s.log.waitLogged(t)
	s.serves(t, p)
}

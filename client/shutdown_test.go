package client_test

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/embedded"
)

// deploySite serves a counter page of the instance that runs now, on a
// NATS server with JetStream on disk, as the demo does by default: restart
// shuts the instance down with Application.Shutdown and starts a new one on
// the same NATS, as a deploy restarts the process.
type deploySite struct {
	t   *testing.T
	url string // the NATS server's
	cur atomic.Pointer[livetemplate.Application]

	mu      sync.Mutex
	runs    map[string]int // event id -> handler runs, over every instance
	hold    chan struct{}  // while not nil, a handler waits until it is closed
	running chan string    // a held handler's event id, as it starts
}

func newDeploySite(t *testing.T) (*deploySite, string) {
	t.Helper()
	ns, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	ds := &deploySite{t: t, url: ns.ClientURL(), runs: map[string]int{}, running: make(chan string, 8)}
	ds.cur.Store(ds.start())
	t.Cleanup(func() { ds.cur.Load().Close() })
	srv := testServer(t, nil, map[string]http.Handler{
		"/live": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ds.cur.Load().Handler().ServeHTTP(w, r)
		}),
		"GET /page": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := ds.cur.Load().NewPage("t", counter{})
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
			fmt.Fprintf(w, `<!doctype html><html><head><title>test</title></head><body><div data-lvt-root>%s</div>`+
				`<script src="/livetemplate.js" data-live="/live" data-token="%s" data-version="%d" defer></script></body></html>`,
				html, p.GetToken(), p.Version())
		}),
	})
	return ds, srv.URL
}

// start starts an instance: the counter's "add", which logs its event's id
// and counts its runs, on a NATS connection that the application's Close
// does not close (cleanup closes it).
func (ds *deploySite) start() *livetemplate.Application {
	ds.t.Helper()
	nc, err := nats.Connect(ds.url)
	if err != nil {
		ds.t.Fatal(err)
	}
	ds.t.Cleanup(nc.Close)
	app, err := livetemplate.NewApplication(
		livetemplate.WithLogger(slog.New(slog.DiscardHandler)),
		livetemplate.WithSigningKeys(restartKey),
		cluster.WithNATS(nc, cluster.WithState[counter]("t")))
	if err != nil {
		ds.t.Fatal(err)
	}
	if err := app.RegisterTemplate("t", template.Must(template.New("t").Parse(counterSrc))); err != nil {
		ds.t.Fatal(err)
	}
	if err := app.HandleEvent("t", "add", ds.add); err != nil {
		ds.t.Fatal(err)
	}
	return app
}

func (ds *deploySite) add(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	ds.mu.Lock()
	ds.runs[e.ID]++
	hold := ds.hold
	ds.mu.Unlock()
	if hold != nil {
		ds.running <- e.ID
		<-hold
	}
	_, err := p.Modify(ctx, func(data any) (any, error) {
		c := data.(counter)
		c.Count++
		c.Log = append(c.Log[:len(c.Log):len(c.Log)], e.ID)
		return c, nil
	})
	return err
}

// holdHandlers makes the handlers that start from now on wait until the
// returned func is called.
func (ds *deploySite) holdHandlers() (release func()) {
	hold := make(chan struct{})
	ds.mu.Lock()
	ds.hold = hold
	ds.mu.Unlock()
	return sync.OnceFunc(func() {
		ds.mu.Lock()
		ds.hold = nil
		ds.mu.Unlock()
		close(hold)
	})
}

// TestShutdownResend: an instance shuts down gracefully under an open tab
// while one of the tab's events runs and two more are sent, and a new
// instance starts on the same NATS. The tab reconnects, resends the events
// whose acks it did not get, each runs once (the one that ran before the
// shutdown is not run again), every event's promise resolves, and the page
// is live again: the next event runs and shows.
func TestShutdownResend(t *testing.T) {
	b := browsertest.Start(t)
	ds, url := newDeploySite(t)
	tab := b.Tab(t)
	tab.Navigate(url + "/page")
	tab.WaitFor(`window.liveTemplate && liveTemplate.status === "connected" && liveTemplate.version > 0`, 10*time.Second)
	browsertest.MustEval[bool](tab, `window.acks = [], window.send = () => {
		acks.push(liveTemplate.pushEvent("add").then(() => "ok", (e) => e.code)); return true }, true`)

	release := ds.holdHandlers()
	t.Cleanup(release) // when the test fails before it does
	browsertest.MustEval[bool](tab, `send()`)
	first := <-ds.running
	old := ds.cur.Load()
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- old.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // Shutdown holds the events that come now
	browsertest.MustEval[bool](tab, `send() && send()`)
	time.Sleep(100 * time.Millisecond)
	release()
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	ds.cur.Store(ds.start())
	old.Close()

	tab.WaitFor(`acks.length === 3`, time.Second)
	got := browsertest.MustEval[[]string](tab, `Promise.all(acks)`)
	for i, code := range got {
		if code != "ok" {
			t.Errorf("event %d: %s; want ok", i, code)
		}
	}
	browsertest.MustEval[bool](tab, `send()`)
	tab.WaitFor(`document.querySelector("#count").textContent === "4" && liveTemplate.status === "connected"`, 15*time.Second)
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if len(ds.runs) != 4 {
		t.Errorf("handlers ran for %d events: %v; want 4", len(ds.runs), ds.runs)
	}
	for id, n := range ds.runs {
		if n != 1 {
			t.Errorf("event %s ran %d times (the first, held in the shutdown, is %s)", id, n, first)
		}
	}
}

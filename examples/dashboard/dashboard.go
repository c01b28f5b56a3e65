// Package dashboard is one page that everyone who opens its address
// shares: the page of a name (livetemplate.Application.SharedPage), the same
// on every instance of a cluster and after a restart with a durable store.
// A ticker on the server changes the page's data, and every browser and
// device showing it gets the same changes; a click in one of them shows in
// all. The load chart is a <canvas> that a hook (chart.js) draws: the
// ticker pushes the chart's samples to it with Page.Push.
package dashboard

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/livetemplate/livetemplate"
)

// Template is the name of the dashboard's template.
const Template = "dashboard"

// Name is the name of the dashboard's page (see
// livetemplate.Application.SharedPage).
const Name = "dashboard"

// samples is how many load samples the chart shows.
const samples = 24

// Dashboard is the dashboard page's data: made-up figures of a shop.
type Dashboard struct {
	Visitors int      // on the site now
	Orders   int      // since the server started
	Load     []Sample // the latest samples, oldest first
	Paused   bool     // the ticker leaves the figures as they are
	Updated  string   // when the ticker last changed them, as HH:MM:SS
	Every    string   // the ticker's interval, as "1s"
	// Ticked is when a ticker last changed the figures: in a cluster,
	// every instance runs a ticker, and a tick that comes soon after
	// another instance's leaves them.
	Ticked time.Time
}

// Sample is one bar of the load chart. N numbers the samples, so that each
// bar is a keyed row: a tick removes the oldest and adds one.
type Sample struct {
	N       int
	Percent int
}

//go:embed dashboard.html chart.js
var files embed.FS

// Templates is where the example's templates are read from: its embedded
// files, or, for the demo's -dev, its source directory (os.DirFS), whose
// saved templates then reload in the open pages.
var Templates fs.FS = files

// Board is the running dashboard: the ticker that changes its page.
type Board struct {
	app   *livetemplate.Application
	every time.Duration
	stop  context.CancelFunc
	done  chan struct{}
}

// Mount registers the dashboard's template and events on app, finds or
// makes its page, starts the ticker that changes the page every interval,
// and serves the page at GET /dashboard/ on mux. Close stops the ticker.
func Mount(app *livetemplate.Application, mux *http.ServeMux, every time.Duration) (*Board, error) {
	if err := app.RegisterTemplateFS(Template, Templates, "dashboard.html"); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if err := app.HandleEvent(Template, "pause", pause); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	b := &Board{app: app, every: every, stop: stop, done: make(chan struct{})}
	if _, err := b.page(); err != nil {
		stop()
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	go b.run(ctx)
	mux.HandleFunc("GET /dashboard/{$}", b.serve)
	mux.HandleFunc("GET /dashboard/chart.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "chart.js")
	})
	return b, nil
}

// Close stops the ticker and waits for it. The page ends with the
// application.
func (b *Board) Close() {
	b.stop()
	<-b.done
}

// page returns the dashboard's page, made anew if it ended.
func (b *Board) page() (*livetemplate.Page, error) {
	return b.app.SharedPage(Name, Template, b.fresh)
}

// fresh is the data of a new dashboard: a full chart from the start.
func (b *Board) fresh() (any, error) {
	d := Dashboard{Visitors: 40, Every: b.every.String()}
	now := time.Now()
	for range samples {
		d = tick(d, now)
	}
	return d, nil
}

// serve writes the page's HTML, which holds its token: every browser gets
// the same page.
func (b *Board) serve(w http.ResponseWriter, r *http.Request) {
	p, err := b.page()
	var html string
	if err == nil {
		html, err = p.Render()
	}
	if err != nil {
		http.Error(w, "cannot show the dashboard", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // the HTML holds the page's token
	io.WriteString(w, html)
}

// run changes the page every interval until ctx ends. Every change, even
// a paused one that changes nothing, is a use that keeps the page alive.
func (b *Board) run(ctx context.Context) {
	defer close(b.done)
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.tick(ctx, now)
		}
	}
}

// tick changes the page's figures, and pushes the chart's samples to the
// browsers' hooks: after the change's diff, so with the figures.
func (b *Board) tick(ctx context.Context, now time.Time) {
	p, err := b.page()
	if err != nil {
		return // the store cannot be reached: the next tick tries again
	}
	var load []int // the chart's samples after the tick; nil when it did not tick
	// Modify waits for the page's event handlers: no click is lost. In a
	// cluster its function may run more than once: the last run counts.
	_, err = p.Modify(ctx, func(data any) (any, error) {
		d := data.(Dashboard)
		load = nil
		if d.Paused || now.Sub(d.Ticked) < b.every*3/4 {
			return d, nil // paused, or another instance's ticker just ticked
		}
		d = tick(d, now)
		for _, s := range d.Load {
			load = append(load, s.Percent)
		}
		return d, nil
	})
	if err == nil && load != nil {
		p.Push(ctx, "load", load) // a page that just ended has no one to tell
	}
}

// tick returns the figures one tick later: a random walk.
func tick(d Dashboard, now time.Time) Dashboard {
	if d.Paused {
		return d
	}
	d.Visitors = max(0, d.Visitors+rand.IntN(11)-5)
	d.Orders += rand.IntN(3)
	n := 0
	if len(d.Load) > 0 {
		n = d.Load[len(d.Load)-1].N + 1
	}
	// A new slice: the page's data is never changed in place.
	load := append([]Sample(nil), d.Load[max(0, len(d.Load)-samples+1):]...)
	d.Load = append(load, Sample{N: n, Percent: 20 + rand.IntN(70)})
	d.Updated, d.Ticked = now.Format(time.TimeOnly), now
	return d
}

// pause stops or restarts the ticker's changes, for every browser.
func pause(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
	_, err := p.Modify(ctx, func(data any) (any, error) {
		d := data.(Dashboard)
		d.Paused = !d.Paused
		return d, nil
	})
	return err
}

// Package dashboard is a page shared by its link: one page, made once, whose
// token every browser that opens its address gets with the HTML. A ticker
// on the server changes the page's data, and every browser and device
// showing it gets the same changes; a click in one of them shows in all.
package dashboard

import (
	"context"
	"embed"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/livetemplate/livetemplate"
)

// Template is the name of the dashboard's template.
const Template = "dashboard"

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
}

// Sample is one bar of the load chart. N numbers the samples, so that each
// bar is a keyed row: a tick removes the oldest and adds one.
type Sample struct {
	N       int
	Percent int
}

//go:embed dashboard.html
var files embed.FS

// Board is the running dashboard: its page and the ticker that changes it.
type Board struct {
	page *livetemplate.Page
	stop context.CancelFunc
	done chan struct{}
}

// Mount registers the dashboard's template and events on app, makes its one
// page, starts the ticker that changes the page every interval, and
// serves the page at GET /dashboard/ on mux. Close stops the ticker.
func Mount(app *livetemplate.Application, mux *http.ServeMux, every time.Duration) (*Board, error) {
	if err := app.RegisterTemplateFS(Template, files, "dashboard.html"); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if err := app.HandleEvent(Template, "pause", pause); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d := Dashboard{Visitors: 40, Every: every.String()}
	for range samples { // a full chart from the start
		d = tick(d, time.Now())
	}
	page, err := app.NewPage(Template, d)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	b := &Board{page: page, stop: stop, done: make(chan struct{})}
	go b.run(ctx, every)
	mux.HandleFunc("GET /dashboard/{$}", b.serve)
	return b, nil
}

// Close stops the ticker and waits for it. The page ends with the
// application.
func (b *Board) Close() {
	b.stop()
	<-b.done
}

// serve writes the page's HTML, which holds its token: every browser gets
// the same page.
func (b *Board) serve(w http.ResponseWriter, r *http.Request) {
	html, err := b.page.Render()
	if err != nil {
		http.Error(w, "the dashboard has ended: restart the server", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // the HTML holds the page's token
	io.WriteString(w, html)
}

// run changes the page every interval until ctx ends. Every change, even
// a paused one that changes nothing, is a use that keeps the page alive.
func (b *Board) run(ctx context.Context, every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			// Modify waits for the page's event handlers: no click is lost.
			_, err := b.page.Modify(ctx, func(data any) (any, error) {
				return tick(data.(Dashboard), now), nil
			})
			if err != nil {
				return // the page ended, or ctx did
			}
		}
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
	d.Updated = now.Format(time.TimeOnly)
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

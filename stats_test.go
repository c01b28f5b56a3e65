package livetemplate_test

import (
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestStats: the application counts its connections, the browsers that
// hold them, its pages and their viewers, and follows a connection that
// closes.
func TestStats(t *testing.T) {
	app, url, p1 := liveCounter(t)
	p2 := newPage(t, app, "counter", counter{})
	newPage(t, app, "counter", counter{}) // live, joined by none
	b1 := dial(t, url, livetemplatetest.WithBrowser("b1", 1))
	join(t, b1, p1.GetToken())
	join(t, b1, p1.GetToken()) // a second tab of b1 on the same page
	join(t, dial(t, url), p1.GetToken())
	join(t, dial(t, url, livetemplatetest.WithBrowser("b2", 1)), p2.GetToken())

	want := livetemplate.Stats{Connections: 3, Browsers: 3, Pages: 3, Viewers: 4}
	if got := app.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"p1's viewers", p1.Viewers(), 3},
		{"p2's viewers", p2.Viewers(), 1},
		{"b1's connections", app.BrowserConnections("b1"), 1},
		{"b3's connections", app.BrowserConnections("b3"), 0},
		{"the connections of no browser id", app.BrowserConnections(""), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}

	b1.Close()
	want = livetemplate.Stats{Connections: 2, Browsers: 2, Pages: 3, Viewers: 2}
	deadline := time.Now().Add(10 * time.Second)
	for app.Stats() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := app.Stats(); got != want || p1.Viewers() != 1 || app.BrowserConnections("b1") != 0 {
		t.Errorf("after b1 closed: Stats() = %+v, p1's viewers %d, b1's connections %d; want %+v, 1, 0", got, p1.Viewers(), app.BrowserConnections("b1"), want)
	}
}

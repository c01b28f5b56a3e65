package livetemplate_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livetemplate/livetemplate"
)

// These tests run in a synctest bubble: time is fake and advances only when
// every goroutine of the bubble, the application's sweeper included, waits.

func TestIdleExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := new(livetemplate.MemoryStore)
		app := newApp(t, livetemplate.WithIdleTTL(time.Minute), livetemplate.WithStore(store))
		register(t, app, "p", `<p>{{.}}</p>`)
		idle := newPage(t, app, "p", 1)
		used := newPage(t, app, "p", 2)
		for range 4 {
			time.Sleep(30 * time.Second)
			if _, err := used.Update(3); err != nil {
				t.Fatalf("page used every 30 s of a 1 min TTL: %v", err)
			}
		}
		if _, err := app.GetPage(idle.GetToken()); !errors.Is(err, livetemplate.ErrPageExpired) {
			t.Fatalf("page unused for 2 min: got %v, want ErrPageExpired", err)
		}
		if _, err := idle.Render(); !errors.Is(err, livetemplate.ErrPageExpired) {
			t.Fatalf("Render of the expired page: got %v", err)
		}
		if _, err := store.Get(t.Context(), idle.ID()); !errors.Is(err, livetemplate.ErrPageNotFound) {
			t.Fatalf("the expired page's record stays in the store: %v", err)
		}
		if _, err := store.Get(t.Context(), used.ID()); err != nil {
			t.Fatalf("the used page's record: %v", err)
		}
	})
}

// TestSweeperReleases: an expired page that nobody touches again is released
// by the application's sweeper, within a quarter of the TTL.
func TestSweeperReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := new(livetemplate.MemoryStore)
		app := newApp(t, livetemplate.WithIdleTTL(time.Minute), livetemplate.WithStore(store))
		register(t, app, "p", `<p>{{.}}</p>`)
		p := newPage(t, app, "p", 1)
		time.Sleep(time.Minute + 15*time.Second)
		synctest.Wait()
		if _, err := store.Get(t.Context(), p.ID()); !errors.Is(err, livetemplate.ErrPageNotFound) {
			t.Fatalf("record of a page expired 15 s ago: %v", err)
		}
	})
}

// TestUnjoinedExpiry: a page rendered over HTTP and never fetched by its
// token expires after the unjoined TTL; once fetched, it has the idle TTL.
func TestUnjoinedExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(t, livetemplate.WithIdleTTL(time.Hour), livetemplate.WithUnjoinedTTL(time.Minute))
		register(t, app, "p", `<p>{{.}}</p>`)
		abandoned := newPage(t, app, "p", 1)
		joined := newPage(t, app, "p", 2)
		unrendered := newPage(t, app, "p", 3)
		for _, p := range []*livetemplate.Page{abandoned, joined} {
			if _, err := p.Render(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Second)
		if _, err := app.GetPage(joined.GetToken()); err != nil {
			t.Fatal(err)
		}
		if _, err := joined.Render(); err != nil { // a reload: the page stays joined
			t.Fatal(err)
		}
		time.Sleep(20 * time.Second)
		if _, err := app.GetPage(abandoned.GetToken()); !errors.Is(err, livetemplate.ErrPageExpired) {
			t.Fatalf("rendered, never joined, 70 s: got %v, want ErrPageExpired", err)
		}
		time.Sleep(50 * time.Minute)
		for name, p := range map[string]*livetemplate.Page{"joined": joined, "never rendered": unrendered} {
			if _, err := app.GetPage(p.GetToken()); err != nil {
				t.Fatalf("%s page after 51 min of a 1 h idle TTL: %v", name, err)
			}
		}
	})
}

// TestStoreRecordOutlivesReads: a page that is read but not changed for
// longer than the idle TTL keeps its store record, so that its next change
// still succeeds.
func TestStoreRecordOutlivesReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := new(livetemplate.MemoryStore)
		app := newApp(t, livetemplate.WithIdleTTL(time.Minute), livetemplate.WithStore(store))
		register(t, app, "p", `<p>{{.}}</p>`)
		p := newPage(t, app, "p", 1)
		for range 20 {
			time.Sleep(40 * time.Second)
			if _, err := app.GetPage(p.GetToken()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Update(2); err != nil {
			t.Fatalf("change after 13 min of reads: %v", err)
		}
	})
}

// TestEvictionIsLeastRecentlyUsed: past WithMaxPages, creating a page evicts
// the least recently used one, whichever list it is in.
func TestEvictionIsLeastRecentlyUsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(t, livetemplate.WithMaxPages(3))
		register(t, app, "p", `<p>{{.}}</p>`)
		a := newPage(t, app, "p", "a")
		time.Sleep(time.Second)
		b := newPage(t, app, "p", "b")
		time.Sleep(time.Second)
		c := newPage(t, app, "p", "c")
		time.Sleep(time.Second)
		if _, err := a.Render(); err != nil { // a moves to the unjoined list, most recent
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		d := newPage(t, app, "p", "d") // evicts b
		time.Sleep(time.Second)
		if _, err := c.Update("c2"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		e := newPage(t, app, "p", "e") // evicts a
		for p, want := range map[*livetemplate.Page]error{a: livetemplate.ErrPageEvicted, b: livetemplate.ErrPageEvicted, c: nil, d: nil, e: nil} {
			if _, err := app.GetPage(p.GetToken()); !errors.Is(err, want) && !(want == nil && err == nil) {
				html, _ := p.Render()
				t.Errorf("page %s: got %v, want %v", html, err, want)
			}
		}
	})
}

// TestEndedPagesAreForgotten: the reason a page ended is remembered for a
// bounded number of pages; an older one is then simply not found.
func TestEndedPagesAreForgotten(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<p>{{.}}</p>`)
	first := newPage(t, app, "p", 0)
	first.Close()
	for range 5000 {
		newPage(t, app, "p", 1).Close()
	}
	if _, err := app.GetPage(first.GetToken()); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Fatalf("page closed 5,000 pages ago: got %v, want ErrPageNotFound", err)
	}
}

// TestUnjoinedTTLLongerThanIdle: the store record lives as long as the
// longest TTL, whichever of the two it is.
func TestUnjoinedTTLLongerThanIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(t, livetemplate.WithIdleTTL(time.Minute), livetemplate.WithUnjoinedTTL(10*time.Minute))
		register(t, app, "p", `<p>{{.}}</p>`)
		p := newPage(t, app, "p", 1)
		if _, err := p.Render(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(9 * time.Minute)
		if _, err := app.GetPage(p.GetToken()); err != nil {
			t.Fatalf("rendered page 9 min into a 10 min unjoined TTL: %v", err)
		}
		if _, err := p.Update(2); err != nil {
			t.Fatal(err)
		}
	})
}

package livetemplate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// slowCounter serves a counter application whose event "slow" signals
// started, then waits for release (or its context) before it adds one.
func slowCounter(t *testing.T, store livetemplate.Store, started, release chan struct{}) (*livetemplate.Application, string, *livetemplate.Page) {
	t.Helper()
	app, url, page := liveCounter(t, livetemplate.WithStore(store))
	handle(t, app, "counter", "slow", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return add(ctx, p, 1, e.ID)
	})
	return app, url, page
}

// TestShutdownWaitsForEvents: Shutdown lets a running event handler finish
// (Close would cancel its context) and saves its change before it returns.
func TestShutdownWaitsForEvents(t *testing.T) {
	store := new(livetemplate.MemoryStore)
	started, release := make(chan struct{}), make(chan struct{})
	app, url, page := slowCounter(t, store, started, release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := join(t, dial(t, url), page.GetToken())
	go p.EventID(ctx, "e1", "slow", nil) // its ack may or may not come before the close
	<-started
	done := make(chan error, 1)
	go func() { done <- app.Shutdown(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while an event ran", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	rec, err := store.Get(ctx, page.ID())
	if err != nil {
		t.Fatal(err)
	}
	if c := rec.Data.(counter); c.Count != 1 {
		t.Fatalf("the stored page counts %d events, want the running one", c.Count)
	}
}

// TestShutdownDeadline: a handler still running when Shutdown's context
// ends is cancelled, and Shutdown returns the context's error.
func TestShutdownDeadline(t *testing.T) {
	started := make(chan struct{})
	app, url, page := slowCounter(t, new(livetemplate.MemoryStore), started, make(chan struct{}))
	p := join(t, dial(t, url), page.GetToken())
	go p.EventID(context.Background(), "e1", "slow", nil)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := app.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the context's deadline", err)
	}
	if err := app.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown again: %v", err)
	}
}

package livetemplate_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livetemplate/livetemplate"
)

// heldStore holds each write of an existing record (Put of a revision) and
// each Delete while held is set, until the call's context ends or free is
// called; it tells putting when such a call waits, and notes the value of
// ctxKey in the context of every call.
type heldStore struct {
	livetemplate.MemoryStore
	putting chan struct{}

	mu     sync.Mutex
	held   bool
	freed  chan struct{}
	values []any
}

type ctxKey struct{}

func newHeldStore() *heldStore {
	return &heldStore{putting: make(chan struct{}, 16), freed: make(chan struct{})}
}

func (s *heldStore) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held, s.freed = true, make(chan struct{})
}

func (s *heldStore) free() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		s.held = false
		close(s.freed)
	}
}

// wait notes ctx's value and, while the store is held, waits until it is
// freed or ctx ends.
func (s *heldStore) wait(ctx context.Context) error {
	s.mu.Lock()
	s.values = append(s.values, ctx.Value(ctxKey{}))
	held, freed := s.held, s.freed
	s.mu.Unlock()
	if !held {
		return nil
	}
	s.putting <- struct{}{}
	select {
	case <-freed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *heldStore) seen() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]any(nil), s.values...)
}

func (s *heldStore) Put(ctx context.Context, id string, rec livetemplate.PageRecord, ttl time.Duration) (uint64, error) {
	if rec.Revision != 0 {
		if err := s.wait(ctx); err != nil {
			return 0, err
		}
	}
	return s.MemoryStore.Put(ctx, id, rec, ttl)
}

func (s *heldStore) Delete(ctx context.Context, id string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.MemoryStore.Delete(ctx, id)
}

// TestUpdateContextCancelled: cancelling UpdateContext's context while the
// store writes the change fails the Update with the context's error, and
// the page keeps its state.
func TestUpdateContextCancelled(t *testing.T) {
	store := newHeldStore()
	app := newApp(t, livetemplate.WithStore(store))
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", "one")
	store.hold()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-store.putting
		cancel()
	}()
	if _, err := p.UpdateContext(ctx, "two"); !errors.Is(err, context.Canceled) {
		t.Fatalf("UpdateContext cancelled during the store write: %v; want context.Canceled", err)
	}
	if html, _ := p.Render(); html != "<p>one</p>" || p.Version() != 1 || p.Data() != "one" {
		t.Fatalf("after the cancelled Update: %q at version %d; want the page unchanged", html, p.Version())
	}
	store.free()
	if u, err := p.Update("three"); err != nil || u.Base != 1 || u.Version != 2 {
		t.Fatalf("Update after the cancelled one: %+v, %v", u, err)
	}
}

// TestUpdateContextDeadline: the earlier of the context's deadline and
// WithStoreTimeout bounds the store write.
func TestUpdateContextDeadline(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ctx, want time.Duration
	}{
		{"context first", time.Second, time.Second},
		{"store timeout first", time.Minute, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := newHeldStore()
				app := newApp(t, livetemplate.WithStore(store), livetemplate.WithStoreTimeout(3*time.Second))
				register(t, app, "p", `<p>{{.}}</p>`)
				p := newPage(t, app, "p", 1)
				store.hold()
				defer store.free()
				ctx, cancel := context.WithTimeout(context.Background(), tc.ctx)
				defer cancel()
				start := time.Now()
				if _, err := p.UpdateContext(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("UpdateContext on a held store: %v; want a deadline error", err)
				}
				if waited := time.Since(start); waited != tc.want {
					t.Fatalf("UpdateContext waited %v for the store; want %v", waited, tc.want)
				}
			})
		})
	}
}

// TestUpdateContextWaitsForTheChange: a change waits for the one being made
// only until its context ends.
func TestUpdateContextWaitsForTheChange(t *testing.T) {
	store := newHeldStore()
	app := newApp(t, livetemplate.WithStore(store))
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	store.hold()
	first := make(chan error, 1)
	go func() {
		_, err := p.Update(2)
		first <- err
	}()
	<-store.putting
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.UpdateContext(ctx, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("UpdateContext behind a change being stored: %v; want a deadline error", err)
	}
	store.free()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if p.Data() != 2 || p.Version() != 2 {
		t.Fatalf("page holds %v at version %d; want the first change only", p.Data(), p.Version())
	}
}

// TestContextValuesReachTheStore: the values of the context given to
// UpdateContext, RenderContext and SnapshotContext (when they rewrite the
// record of a page unchanged for long) and CloseContext reach the Store.
func TestContextValuesReachTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newHeldStore()
		app := newApp(t, livetemplate.WithStore(store), livetemplate.WithIdleTTL(time.Minute), livetemplate.WithUnjoinedTTL(time.Minute))
		register(t, app, "p", `<p>{{.}}</p>`)
		p := newPage(t, app, "p", 1)
		with := func(v string) context.Context { return context.WithValue(context.Background(), ctxKey{}, v) }
		if _, err := p.UpdateContext(with("update"), 2); err != nil {
			t.Fatal(err)
		}
		for _, call := range []struct {
			name string
			fn   func(context.Context) error
		}{
			{"render", func(ctx context.Context) error { _, err := p.RenderContext(ctx); return err }},
			{"snapshot", func(ctx context.Context) error { _, err := p.SnapshotContext(ctx); return err }},
		} {
			time.Sleep(50 * time.Second)
			if _, err := p.Render(); err != nil { // a use, not due to rewrite the record yet
				t.Fatal(err)
			}
			time.Sleep(50 * time.Second)
			if err := call.fn(with(call.name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.CloseContext(with("close")); err != nil {
			t.Fatal(err)
		}
		got := store.seen()
		want := []any{"update", "render", "snapshot", "close"}
		if len(got) != len(want) {
			t.Fatalf("the store saw the values %v; want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("the store saw the values %v; want %v", got, want)
			}
		}
	})
}

// TestCloseContextCancelled: a CloseContext whose context ends before the
// store deletes the record fails with the context's error; the page has
// ended all the same.
func TestCloseContextCancelled(t *testing.T) {
	store := newHeldStore()
	app := newApp(t, livetemplate.WithStore(store))
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	store.hold()
	defer store.free()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-store.putting
		cancel()
	}()
	if err := p.CloseContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("CloseContext cancelled during the deletion: %v; want context.Canceled", err)
	}
	if _, err := p.Render(); !errors.Is(err, livetemplate.ErrPageClosed) {
		t.Fatalf("Render after the cancelled Close: %v; want ErrPageClosed", err)
	}
}

package livetemplate_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/internal/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) livetemplate.Store { return new(livetemplate.MemoryStore) }, time.Second, true)
}

func TestMemoryStoreRejectsNoTTL(t *testing.T) {
	var s livetemplate.MemoryStore
	if _, err := s.Put(t.Context(), "a", livetemplate.PageRecord{}, 0); err == nil {
		t.Fatal("Put with no TTL: no error")
	}
}

// TestPageOutlivesItsApplication: with a shared store and the same signing
// key, a page's token keeps working after its application closes, in
// another application (a restart, or another instance).
func TestPageOutlivesItsApplication(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	store := new(livetemplate.MemoryStore)
	const src = `<p>{{.}}</p><i>{{PAGE_TOKEN}}</i>`
	first := newApp(t, livetemplate.WithSigningKeys(key), livetemplate.WithStore(store))
	register(t, first, "p", src)
	p := newPage(t, first, "p", "one")
	if _, err := p.Update("two"); err != nil {
		t.Fatal(err)
	}
	tok := p.GetToken()
	first.Close()

	second := newApp(t, livetemplate.WithSigningKeys(key), livetemplate.WithStore(store))
	register(t, second, "p", src)
	q, err := second.GetPage(tok)
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := q.Render(); html != execute(t, src, "two", tok) || q.Version() != 2 || q.GetToken() != tok || q.ID() != p.ID() {
		t.Fatalf("restored page renders %q at version %d", html, q.Version())
	}
	u, err := q.Update("three")
	if err != nil || u.Base != 2 || u.Version != 3 {
		t.Fatalf("update of the restored page: %+v, %v", u, err)
	}

	// An application without the template cannot serve the page.
	third := newApp(t, livetemplate.WithSigningKeys(key), livetemplate.WithStore(store))
	if _, err := third.GetPage(tok); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Fatalf("GetPage without the template: got %v, want ErrUnknownTemplate", err)
	}
}

// sharedPage returns one page of `<p>{{.}}</p>` with data 1 as two
// applications that share a store and a key hold it: created by the first,
// loaded by the second.
func sharedPage(t *testing.T, opts ...livetemplate.Option) (first, second *livetemplate.Page) {
	t.Helper()
	opts = append(opts, livetemplate.WithSigningKeys(bytes.Repeat([]byte{2}, 32)), livetemplate.WithStore(new(livetemplate.MemoryStore)))
	a, b := newApp(t, opts...), newApp(t, opts...)
	register(t, a, "p", `<p>{{.}}</p>`)
	register(t, b, "p", `<p>{{.}}</p>`)
	first = newPage(t, a, "p", 1)
	second, err := b.GetPage(first.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	return first, second
}

// TestStoreConflict: two applications that change one page from the same
// revision: the second is refused, takes the newer state from the store, and
// its retry applies to that state.
func TestStoreConflict(t *testing.T) {
	pa, pb := sharedPage(t)
	if _, err := pa.Update(2); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.Update(3); !errors.Is(err, livetemplate.ErrVersionConflict) {
		t.Fatalf("update from a stale revision: got %v, want ErrVersionConflict", err)
	}
	if html, _ := pb.Render(); html != "<p>2</p>" || pb.Version() != 2 {
		t.Fatalf("after the conflict: %q at version %d; want the store's <p>2</p> at 2", html, pb.Version())
	}
	u, err := pb.Update(3)
	if err != nil || u.Base != 2 || u.Version != 3 {
		t.Fatalf("retry after the conflict: %+v, %v", u, err)
	}
}

func TestSigningKeyRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{3}, 32), bytes.Repeat([]byte{4}, 32)
	store := new(livetemplate.MemoryStore)
	app := func(keys ...[]byte) *livetemplate.Application {
		a := newApp(t, livetemplate.WithSigningKeys(keys...), livetemplate.WithStore(store))
		register(t, a, "p", `<p>{{.}}</p>`)
		return a
	}
	before := app(oldKey)
	old := newPage(t, before, "p", "old")

	rotated := app(newKey, oldKey)
	if _, err := rotated.GetPage(old.GetToken()); err != nil {
		t.Fatalf("token of the old key after rotation: %v", err)
	}
	fresh := newPage(t, rotated, "p", "new")
	if _, err := before.GetPage(fresh.GetToken()); !errors.Is(err, livetemplate.ErrInvalidToken) {
		t.Fatalf("the rotated application signs with the old key: %v", err)
	}
	if _, err := app(oldKey).GetPage(fresh.GetToken()); !errors.Is(err, livetemplate.ErrInvalidToken) {
		t.Fatalf("a token of the new key verified with the old key alone: %v", err)
	}
	retired := app(newKey)
	if _, err := retired.GetPage(old.GetToken()); !errors.Is(err, livetemplate.ErrInvalidToken) {
		t.Fatalf("token of a retired key: got %v, want ErrInvalidToken", err)
	}
	if _, err := retired.GetPage(fresh.GetToken()); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
}

// stuckStore never answers until its context ends.
type stuckStore struct{ livetemplate.MemoryStore }

func (s *stuckStore) Put(ctx context.Context, id string, rec livetemplate.PageRecord, ttl time.Duration) (uint64, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestWithStoreTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(t, livetemplate.WithStore(new(stuckStore)), livetemplate.WithStoreTimeout(3*time.Second))
		register(t, app, "p", `<p>{{.}}</p>`)
		start := time.Now()
		_, err := app.NewPage("p", 1)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("NewPage on a stuck store: got %v, want a deadline error", err)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Fatalf("NewPage waited %v for the store, want the 3s of WithStoreTimeout", waited)
		}
	})
}

// slowUpdateStore holds every update (a Put of an existing record) until
// release is closed, and says when one is waiting.
type slowUpdateStore struct {
	livetemplate.MemoryStore
	waiting, release chan struct{}
}

func (s *slowUpdateStore) Put(ctx context.Context, id string, rec livetemplate.PageRecord, ttl time.Duration) (uint64, error) {
	if rec.Revision != 0 {
		s.waiting <- struct{}{}
		<-s.release
	}
	return s.MemoryStore.Put(ctx, id, rec, ttl)
}

// TestEvictedDuringUpdate: a page evicted while its change is being stored
// fails the change with ErrPageEvicted, not with a store error.
func TestEvictedDuringUpdate(t *testing.T) {
	store := &slowUpdateStore{waiting: make(chan struct{}), release: make(chan struct{})}
	app := newApp(t, livetemplate.WithStore(store), livetemplate.WithMaxPages(1))
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	done := make(chan error)
	go func() {
		_, err := p.Update(2)
		done <- err
	}()
	<-store.waiting
	newPage(t, app, "p", 3) // evicts p
	close(store.release)
	if err := <-done; !errors.Is(err, livetemplate.ErrPageEvicted) {
		t.Fatalf("Update of a page evicted meanwhile: got %v, want ErrPageEvicted", err)
	}
}

// TestRefreshTakesNewerState: a page that only renders for long rewrites its
// store record to keep it alive; if another application changed the page
// meanwhile, the render shows that change instead of failing.
func TestRefreshTakesNewerState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pa, pb := sharedPage(t, livetemplate.WithIdleTTL(time.Minute), livetemplate.WithUnjoinedTTL(time.Minute))
		time.Sleep(50 * time.Second)
		pa.Render()
		pb.Render()
		time.Sleep(30 * time.Second)
		if _, err := pa.Update(2); err != nil {
			t.Fatal(err)
		}
		html, err := pb.Render() // 80 s after b wrote the record: b rewrites it, and finds a's change
		if err != nil || html != "<p>2</p>" || pb.Version() != 2 {
			t.Fatalf("Render = %q, %v at version %d; want a's <p>2</p> at version 2", html, err, pb.Version())
		}
	})
}

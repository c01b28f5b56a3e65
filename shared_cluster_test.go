package livetemplate

import (
	"context"
	"html/template"
	"sync"
	"testing"
	"time"
)

// hub joins hubClusters: a publication reaches the subscriptions of every
// instance on the hub, before Publish returns.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[*func([]byte)]bool // by page id
}

// hubCluster is a fakeCluster whose publications go through its hub.
type hubCluster struct {
	fakeCluster
	hub *hub
}

func (c *hubCluster) Subscribe(page string, deliver func([]byte)) (func(), error) {
	h := c.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = make(map[string]map[*func([]byte)]bool)
	}
	if h.subs[page] == nil {
		h.subs[page] = make(map[*func([]byte)]bool)
	}
	sub := &deliver
	h.subs[page][sub] = true
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[page], sub)
	}, nil
}

func (c *hubCluster) Publish(page string, msg []byte) error {
	c.hub.mu.Lock()
	var subs []func([]byte)
	for sub := range c.hub.subs[page] {
		subs = append(subs, *sub)
	}
	c.hub.mu.Unlock()
	for _, deliver := range subs {
		deliver(msg)
	}
	return nil
}

// deletingStore is a MemoryStore that calls beforeDelete, once, before it
// deletes a record. Its records do not expire: a record goes when an
// application deletes it, however late its sweeper runs.
type deletingStore struct {
	MemoryStore
	mu           sync.Mutex
	beforeDelete func()
}

func (s *deletingStore) Put(ctx context.Context, id string, rec PageRecord, _ time.Duration) (uint64, error) {
	return s.MemoryStore.Put(ctx, id, rec, time.Hour)
}

func (s *deletingStore) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	hook := s.beforeDelete
	s.beforeDelete = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.MemoryStore.Delete(ctx, id)
}

func (s *deletingStore) onDelete(hook func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeDelete = hook
}

// hubInstance starts an instance named self on h, with store and opts, and
// the template "n".
func hubInstance(t *testing.T, h *hub, self string, store Store, opts ...Option) *Application {
	t.Helper()
	c := &hubCluster{fakeCluster: fakeCluster{self: self, store: store}, hub: h}
	app, err := NewApplication(append([]Option{WithSigningKeys([]byte("shared-page-key-of-32-bytes------")), WithCluster(c)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	if err := app.RegisterTemplate("n", template.Must(template.New("n").Parse(`<p>{{.N}}</p>`))); err != nil {
		t.Fatal(err)
	}
	return app
}

func initN(n int) func() (any, error) { return func() (any, error) { return fuzzState{N: n}, nil } }

// TestSharedPageEndsEverywhere: an instance that loads a shared page while
// its owner ends it (closed, or expired) does not keep a copy of the ended
// page, which its SharedPage would return for as long as the copy lived: the
// owner deletes the page's record before it tells the other instances that
// the page ended, so that an instance that read the record hears of the end.
func TestSharedPageEndsEverywhere(t *testing.T) {
	for _, how := range []string{"closed", "expired"} {
		t.Run(how, func(t *testing.T) {
			h, store := &hub{}, &deletingStore{}
			var opts []Option
			if how == "expired" {
				opts = []Option{WithIdleTTL(50 * time.Millisecond), WithUnjoinedTTL(50 * time.Millisecond)}
			}
			owner, other := hubInstance(t, h, "owner", store, opts...), hubInstance(t, h, "other", store)
			room, err := owner.SharedPage("room", "n", initN(1))
			if err != nil {
				t.Fatal(err)
			}
			loaded := make(chan error, 1)
			store.onDelete(func() {
				_, err := other.SharedPage("room", "n", initN(2)) // loads the record
				loaded <- err
			})
			if how == "closed" {
				room.Close()
			}
			if err := <-loaded; err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				again, err := other.SharedPage("room", "n", initN(3))
				if err == nil && again.Data().(fuzzState).N == 3 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the other instance still has the ended page: %v, %v", again, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

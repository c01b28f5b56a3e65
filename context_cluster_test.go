package livetemplate

import (
	"context"
	"errors"
	"html/template"
	"sync"
	"testing"
	"time"
)

// requestsCluster is a fakeCluster that notes the value of requestKey in the
// context of each Request.
type requestsCluster struct {
	fakeCluster
	mu     sync.Mutex
	values []any
}

type requestKey struct{}

func (c *requestsCluster) Request(ctx context.Context, instance string, msg []byte) ([]byte, error) {
	c.mu.Lock()
	c.values = append(c.values, ctx.Value(requestKey{}))
	c.mu.Unlock()
	return c.fakeCluster.Request(ctx, instance, msg)
}

func (c *requestsCluster) seen() []any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]any(nil), c.values...)
}

// TestFollowerCallsContext: on a follower whose owner does not answer,
// UpdateContext and Modify end with their context, long before
// WithEventTimeout, and the context's values reach the cluster's requests.
func TestFollowerCallsContext(t *testing.T) {
	store := new(MemoryStore)
	var follower *Page
	var c *requestsCluster
	for _, self := range []string{"owner", "follower"} {
		c = &requestsCluster{fakeCluster: fakeCluster{self: self, store: store}}
		app, err := NewApplication(WithSigningKeys([]byte("context-cluster-key-of-32-bytes--")), WithCluster(c), WithEventTimeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Close() })
		if err := app.RegisterTemplate("n", template.Must(template.New("n").Parse(`<p>{{.N}}</p>`))); err != nil {
			t.Fatal(err)
		}
		if follower == nil {
			if follower, err = app.NewPage("n", fuzzState{N: 1}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if follower, err = app.GetPage(follower.GetToken()); err != nil {
			t.Fatal(err)
		}
	}
	for name, call := range map[string]func(context.Context) error{
		"UpdateContext": func(ctx context.Context) error { _, err := follower.UpdateContext(ctx, fuzzState{N: 2}); return err },
		"Modify": func(ctx context.Context) error {
			_, err := follower.Modify(ctx, func(data any) (any, error) { return fuzzState{N: 3}, nil })
			return err
		},
	} {
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), requestKey{}, name), 200*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
			t.Errorf("%s on a follower whose owner does not answer: %v after %v; want the context's deadline", name, err, time.Since(start))
		}
		if seen := c.seen(); len(seen) == 0 || seen[len(seen)-1] != name {
			t.Errorf("%s: the cluster's requests saw the context values %v; want %q", name, seen, name)
		}
	}
}

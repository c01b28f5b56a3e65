package livetemplate

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// panickyCluster is a fakeCluster whose method named by armed panics.
type panickyCluster struct {
	fakeCluster
	armed atomic.Pointer[string]
}

func (c *panickyCluster) arm(method string) { c.armed.Store(&method) }
func (c *panickyCluster) disarm()           { c.armed.Store(nil) }

func (c *panickyCluster) hit(method string) {
	if m := c.armed.Load(); m != nil && *m == method {
		panic("boom: cluster " + method)
	}
}

func (c *panickyCluster) Store() Store { c.hit("Store"); return c.fakeCluster.Store() }
func (c *panickyCluster) Self() string { c.hit("Self"); return c.fakeCluster.Self() }
func (c *panickyCluster) Encode(t string, data any) ([]byte, error) {
	c.hit("Encode")
	return c.fakeCluster.Encode(t, data)
}
func (c *panickyCluster) Decode(t string, b []byte) (any, error) {
	c.hit("Decode")
	return c.fakeCluster.Decode(t, b)
}
func (c *panickyCluster) Start(serve func(context.Context, []byte) []byte, regained func()) error {
	c.hit("Start")
	return c.fakeCluster.Start(serve, regained)
}
func (c *panickyCluster) Close() error { c.hit("Close"); return c.fakeCluster.Close() }
func (c *panickyCluster) Leased() bool { c.hit("Leased"); return c.fakeCluster.Leased() }
func (c *panickyCluster) Alive(ctx context.Context, instance string) (bool, error) {
	c.hit("Alive")
	return c.fakeCluster.Alive(ctx, instance)
}
func (c *panickyCluster) Publish(page string, msg []byte) error {
	c.hit("Publish")
	return c.fakeCluster.Publish(page, msg)
}
func (c *panickyCluster) Subscribe(page string, deliver func([]byte)) (func(), error) {
	c.hit("Subscribe")
	return c.fakeCluster.Subscribe(page, deliver)
}
func (c *panickyCluster) Request(ctx context.Context, instance string, msg []byte) ([]byte, error) {
	c.hit("Request")
	return c.fakeCluster.Request(ctx, instance, msg)
}
func (c *panickyCluster) Send(instance string, msg []byte) error {
	c.hit("Send")
	return c.fakeCluster.Send(instance, msg)
}

// clusterWedged bounds each call of the cluster panic tests.
const clusterWedged = 5 * time.Second

// returnsInTime runs fn, which must return within clusterWedged without
// panicking, and returns its error.
func returnsInTime(t testing.TB, what string, fn func() error) error {
	t.Helper()
	type result struct {
		err      error
		panicked any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() { r.panicked = recover(); done <- r }()
		r.err = fn()
	}()
	select {
	case r := <-done:
		if r.panicked != nil {
			t.Fatalf("%s panicked: %v", what, r.panicked)
		}
		return r.err
	case <-time.After(clusterWedged):
		t.Fatalf("%s did not return within %v: wedged", what, clusterWedged)
		return nil
	}
}

// clusterInstance is one application of the panic tests' cluster.
type clusterInstance struct {
	app *Application
	c   *panickyCluster
}

// newClusterInstance starts an instance named self of a cluster of
// panickyClusters sharing store, with the template "n" and its event "add",
// whose Close must return.
func newClusterInstance(t *testing.T, self string, store Store) (*clusterInstance, error) {
	t.Helper()
	c := &panickyCluster{fakeCluster: fakeCluster{self: self, store: store}}
	return startClusterInstance(t, c)
}

func startClusterInstance(t *testing.T, c *panickyCluster) (*clusterInstance, error) {
	t.Helper()
	var app *Application
	err := returnsInTime(t, "NewApplication", func() (err error) {
		app, err = NewApplication(WithSigningKeys([]byte("cluster-panic-key-of-32-bytes----")), WithCluster(c),
			WithEventTimeout(200*time.Millisecond), WithLogger(slog.New(slog.DiscardHandler)))
		return err
	})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { returnsInTime(t, "Application.Close", app.Close) })
	if err := app.RegisterTemplate("n", template.Must(template.New("n").Parse(`<p>{{.N}}</p>`))); err != nil {
		t.Fatal(err)
	}
	if err := app.HandleEvent("n", "add", func(ctx context.Context, p *Page, e Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return &clusterInstance{app: app, c: c}, nil
}

// panicCluster starts the instances "owner" and "follower", a page that the
// owner owns and the follower's copy of it.
func panicCluster(t *testing.T) (owner, follower *clusterInstance, ownerPage, followerPage *Page) {
	t.Helper()
	store := new(MemoryStore)
	owner, err := newClusterInstance(t, "owner", store)
	if err != nil {
		t.Fatal(err)
	}
	if follower, err = newClusterInstance(t, "follower", store); err != nil {
		t.Fatal(err)
	}
	if ownerPage, err = owner.app.NewPage("n", fuzzState{N: 1}); err != nil {
		t.Fatal(err)
	}
	if followerPage, err = follower.app.GetPage(ownerPage.GetToken()); err != nil {
		t.Fatal(err)
	}
	return owner, follower, ownerPage, followerPage
}

// TestPanickingCluster: a Cluster (or its codec) that panics, under a page
// method or in a goroutine of the cluster's that calls the application,
// fails that call with ErrPanicked, or is logged where the call's result was
// only logged before, and leaves both instances' pages serving and their
// Close returning.
func TestPanickingCluster(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		on           func(owner, follower *clusterInstance) *clusterInstance
		act          func(t *testing.T, owner, follower *Page) error
		panicked     bool // act's error wraps ErrPanicked; else act succeeds
	}{
		{
			name: "Encode of the owner's change", method: "Encode", on: ownerOf,
			act: func(t *testing.T, owner, _ *Page) error { _, err := owner.Update(fuzzState{N: 2}); return err },
		},
		{
			name: "Encode of a follower's Update", method: "Encode", on: followerOf, panicked: true,
			act: func(t *testing.T, _, follower *Page) error { _, err := follower.Update(fuzzState{N: 2}); return err },
		},
		{
			name: "Decode of the owner's change in deliver", method: "Decode", on: followerOf,
			act: func(t *testing.T, _, follower *Page) error {
				follower.deliver(change{kind: busDiff, v: 2, base: 1, data: []byte(`{"N":2}`), msg: []byte(`{}`)}.encode())
				return nil
			},
		},
		{
			name: "Decode of a follower's Update on the owner", method: "Decode", on: ownerOf,
			act: func(t *testing.T, owner, _ *Page) error {
				reply := owner.app.serve(t.Context(), updateRequest{token: owner.token, id: "update-1", data: []byte(`{"N":2}`)}.encode())
				if c, err := decodeControl(reply); err != nil || c.Code == "" {
					t.Fatalf("the owner's reply %q, %v: want an error", reply, err)
				}
				return nil
			},
		},
		{
			name: "Publish of the owner's change", method: "Publish", on: ownerOf,
			act: func(t *testing.T, owner, _ *Page) error { _, err := owner.Update(fuzzState{N: 2}); return err },
		},
		{
			name: "Publish of the end of a page", method: "Publish", on: ownerOf,
			act: func(t *testing.T, owner, _ *Page) error {
				p, err := owner.app.NewPage("n", fuzzState{N: 5})
				if err != nil {
					return err
				}
				return p.Close()
			},
		},
		{
			name: "Subscribe of a follower", method: "Subscribe", on: followerOf, panicked: true,
			act: loadOnFollower,
		},
		{
			name: "Alive of the owner", method: "Alive", on: followerOf, panicked: true,
			act: loadOnFollower,
		},
		{
			name: "Request of a follower's event", method: "Request", on: followerOf,
			act: func(t *testing.T, _, follower *Page) error {
				if res := follower.handle(t.Context(), Event{Name: "add", ID: "e1"}).err; res == nil || res.Code != protocol.CodeUnavailable {
					t.Fatalf("the event's result %v: want unavailable", res)
				}
				return nil
			},
		},
		{
			name: "Send of a follower's use", method: "Send", on: followerOf,
			act: func(t *testing.T, _, follower *Page) error { _, err := follower.Render(); return err },
		},
		{
			name: "Leased of the owner's event", method: "Leased", on: ownerOf,
			act: func(t *testing.T, owner, _ *Page) error {
				if res := owner.handle(t.Context(), Event{Name: "add", ID: "e1"}).err; res == nil || res.Code != protocol.CodeUnavailable {
					t.Fatalf("the event's result %v: want unavailable", res)
				}
				return nil
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner, follower, op, fp := panicCluster(t)
			in := tc.on(owner, follower)
			in.c.arm(tc.method)
			err := returnsInTime(t, tc.name, func() error { return tc.act(t, op, fp) })
			in.c.disarm()
			switch {
			case tc.panicked && !errors.Is(err, ErrPanicked):
				t.Fatalf("got %v; want an error wrapping ErrPanicked", err)
			case !tc.panicked && err != nil:
				t.Fatal(err)
			}
			clusterServes(t, op, fp)
		})
	}
}

func ownerOf(owner, _ *clusterInstance) *clusterInstance       { return owner }
func followerOf(_, follower *clusterInstance) *clusterInstance { return follower }

// loadOnFollower has the follower load a new page of the owner's.
func loadOnFollower(t *testing.T, owner, follower *Page) error {
	p, err := owner.app.NewPage("n", fuzzState{N: 7})
	if err != nil {
		t.Fatal(err)
	}
	_, err = follower.app.GetPage(p.GetToken())
	return err
}

// clusterServes checks that both copies of the page answer, and that the
// owner's changes apply and reach the follower.
func clusterServes(t *testing.T, owner, follower *Page) {
	t.Helper()
	returnsInTime(t, "the follower's Version", func() error { follower.Version(); return nil })
	var u Update
	if err := returnsInTime(t, "the owner's Update", func() (err error) { u, err = owner.Update(fuzzState{N: 42}); return err }); err != nil {
		t.Fatalf("Update after the panic: %v", err)
	}
	ch := change{kind: busDiff, v: u.Version, base: u.Base, data: []byte(`{"N":42}`), msg: []byte(`{}`)}
	returnsInTime(t, "the follower's deliver", func() error { follower.deliver(ch.encode()); return nil })
	if got := stateOf(follower); got.html != "<p>42</p>" {
		t.Fatalf("the follower holds %+v after the owner's change; want <p>42</p>", got)
	}
}

// TestPanickingClusterAtStartAndClose: a Cluster that panics in Store, Self
// or Start fails NewApplication with ErrPanicked; one that panics in Close
// lets Application.Close return.
func TestPanickingClusterAtStartAndClose(t *testing.T) {
	for _, method := range []string{"Store", "Self", "Start"} {
		c := &panickyCluster{fakeCluster: fakeCluster{self: "a", store: new(MemoryStore)}}
		c.arm(method)
		if _, err := startClusterInstance(t, c); !errors.Is(err, ErrPanicked) {
			t.Errorf("NewApplication with a cluster whose %s panics: %v; want ErrPanicked", method, err)
		}
	}
	in, err := newClusterInstance(t, "a", new(MemoryStore))
	if err != nil {
		t.Fatal(err)
	}
	in.c.arm("Close")
	returnsInTime(t, "Application.Close", in.app.Close)
}

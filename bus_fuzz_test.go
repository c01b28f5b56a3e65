package livetemplate

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"reflect"
	"testing"
)

// FuzzBusMessage feeds a message between instances, malformed or not, to
// the decoders of bus.go, to a follower page as its owner's publication
// and to the owner as another instance's request: nothing panics, a
// message that does not decode is refused with an error and changes no
// page, and what decodes encodes to a message that decodes the same.
func FuzzBusMessage(f *testing.F) {
	follower, owner := fuzzCluster(f)
	for _, seed := range [][]byte{
		change{kind: busDiff, v: 3, base: 2, data: []byte(`{"N":1}`), msg: []byte(`{"type":"diff"}`)}.encode(),
		change{kind: busState, v: 9, data: []byte(`{"N":2}`)}.encode(),
		control{Code: "page_closed"}.encode(busEnd),
		control{Token: "tok", ID: "t1-1", Name: "add", Data: json.RawMessage(`{"n":1}`)}.encode(busEvent),
		control{Token: "tok", Use: useTouch}.encode(busTouch),
		control{Token: "tok"}.encode(busClose),
		control{V: 4, Base: 3, Body: json.RawMessage(`{"0":"x"}`)}.encode(busReply),
		updateRequest{token: "tok", id: "update-x", cond: true, rev: 7, data: []byte(`{"N":3}`)}.encode(),
		updateRequest{token: "tok", id: "update-y", data: []byte(`{}`)}.encode(),
		{busDiff, 0xff, 0xff}, {busUpdate, 0x80}, {busEvent, '{'}, {busDiff, 1, 0, 9, 'x'}, {busEnd}, {},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		u, uErr := decodeUpdate(msg)
		if uErr == nil {
			if back, err := decodeUpdate(u.encode()); err != nil || !reflect.DeepEqual(back, u) {
				t.Fatalf("update %+v encodes to what decodes as %+v, %v", u, back, err)
			}
		}
		ch, chErr := decodeChange(msg)
		if chErr == nil {
			if back, err := decodeChange(ch.encode()); err != nil || !reflect.DeepEqual(back, ch) {
				t.Fatalf("change %+v encodes to what decodes as %+v, %v", ch, back, err)
			}
		}
		_, ctlErr := decodeControl(msg)
		if len(msg) > 0 && msg[0] == busEnd && ctlErr == nil {
			return // a well-formed end would end the follower for the inputs that follow
		}

		before := stateOf(follower)
		follower.deliver(msg)
		if chErr != nil {
			if got := stateOf(follower); got != before {
				t.Fatalf("a malformed publication changed the follower: %+v to %+v", before, got)
			}
		}
		if follower.app.pages.reason(follower) != nil {
			t.Fatal("a malformed publication ended the follower's page")
		}

		// As another instance's request to the owner: it cannot know the
		// page's token, so no request changes the page.
		before = stateOf(owner)
		owner.app.serve(t.Context(), msg)
		if got := stateOf(owner); got != before || owner.app.pages.reason(owner) != nil {
			t.Fatalf("a request without the page's token changed it: %+v to %+v", before, got)
		}
	})
}

// pageState is what FuzzBusMessage compares of a page.
type pageState struct {
	version uint64
	html    string
}

func stateOf(p *Page) pageState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pageState{p.version, string(p.tree.HTML())}
}

// fuzzCluster makes two applications sharing a memory store as instances
// "owner" and "follower" of a cluster whose messages go nowhere, a page
// that the first owns, and the second's copy, which follows it.
func fuzzCluster(tb testing.TB) (follower, owner *Page) {
	tb.Helper()
	store := &MemoryStore{}
	key := []byte("fuzz-signing-key-of-32-bytes-----")
	var apps []*Application
	for _, self := range []string{"owner", "follower"} {
		app, err := NewApplication(WithSigningKeys(key), WithCluster(&fakeCluster{self: self, store: store}))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { app.Close() })
		if err := app.RegisterTemplate("n", template.Must(template.New("n").Parse(`<p>{{.N}}</p>`))); err != nil {
			tb.Fatal(err)
		}
		if err := app.HandleEvent("n", "add", func(ctx context.Context, p *Page, e Event) error { return nil }); err != nil {
			tb.Fatal(err)
		}
		apps = append(apps, app)
	}
	owner, err := apps[0].NewPage("n", fuzzState{N: 1})
	if err != nil {
		tb.Fatal(err)
	}
	if follower, err = apps[1].GetPage(owner.GetToken()); err != nil {
		tb.Fatal(err)
	}
	if follower.ownerID() != "owner" {
		tb.Fatalf("the second instance's page follows %q", follower.ownerID())
	}
	return follower, owner
}

type fuzzState struct{ N int }

// fakeCluster is a Cluster of instances in one process that share a store,
// whose instances are all alive and whose messages go nowhere.
type fakeCluster struct {
	self  string
	store Store
}

var errNowhere = errors.New("fake cluster: no instance answers")

func (c *fakeCluster) Store() Store { return c.store }
func (c *fakeCluster) Self() string { return c.self }
func (c *fakeCluster) Encode(_ string, data any) ([]byte, error) {
	return json.Marshal(data)
}
func (c *fakeCluster) Decode(_ string, b []byte) (any, error) {
	var s fuzzState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return s, nil
}
func (c *fakeCluster) Start(func(context.Context, []byte) []byte, func()) error { return nil }
func (c *fakeCluster) Close() error                                             { return nil }
func (c *fakeCluster) Leased() bool                                             { return true }
func (c *fakeCluster) Alive(context.Context, string) (bool, error)              { return true, nil }
func (c *fakeCluster) Publish(string, []byte) error                             { return nil }
func (c *fakeCluster) Subscribe(string, func([]byte)) (func(), error)           { return func() {}, nil }
func (c *fakeCluster) Request(context.Context, string, []byte) ([]byte, error) {
	return nil, errNowhere
}
func (c *fakeCluster) Send(string, []byte) error { return nil }

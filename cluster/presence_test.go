package cluster_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestPresenceCluster: every instance's Page.Presence holds the viewers of
// all three; when one dies, the others drop its viewers once its lease has
// lapsed, and its viewer's leave is told once.
func TestPresenceCluster(t *testing.T) {
	connect := livetemplate.WithConnect(func(r *http.Request) (member, error) { return member{Name: r.Header.Get("X-User")}, nil })
	var mu sync.Mutex
	var leaves []string
	onLeave := func(ctx context.Context, p *livetemplate.Page, v livetemplate.Viewer) {
		m, _ := livetemplate.ViewerIdentity[member](v)
		mu.Lock()
		leaves = append(leaves, m.Name)
		mu.Unlock()
	}
	ctx, _, ins, page := startCluster(t, 3, connect, livetemplate.WithJoinLeave(nil, onLeave))
	pages := make([]*livetemplate.Page, len(ins))
	for i, name := range []string{"alice", "bob", "carol"} {
		c, err := livetemplatetest.Dial(ctx, ins[i].srv.URL, livetemplatetest.WithHeader(http.Header{"X-User": {name}}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Join(ctx, page.GetToken()); err != nil {
			t.Fatal(err)
		}
		if pages[i], err = ins[i].app.GetPage(page.GetToken()); err != nil {
			t.Fatal(err)
		}
	}
	names := func(p *livetemplate.Page) []string {
		var out []string
		for _, v := range p.Presence() {
			m, _ := livetemplate.ViewerIdentity[member](v)
			out = append(out, m.Name)
		}
		slices.Sort(out)
		return out
	}
	await := func(p *livetemplate.Page, want ...string) {
		t.Helper()
		for !slices.Equal(names(p), want) {
			select {
			case <-ctx.Done():
				t.Fatalf("presence %q, want %q", names(p), want)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	for _, p := range pages {
		await(p, "alice", "bob", "carol")
	}
	ins[2].kill()
	await(pages[0], "alice", "bob")
	await(pages[1], "alice", "bob")
	time.Sleep(2 * time.Second) // a second telling would come by now
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(leaves, []string{"carol"}) {
		t.Errorf("leaves told %q, want carol's once", leaves)
	}
}

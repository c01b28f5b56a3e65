package cluster_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestConverge: three instances, clients of one page on each of them; events
// sent on every instance run once each, in one order, and every client ends
// with the same HTML, the page's.
func TestConverge(t *testing.T) {
	ctx, _, ins, page := startCluster(t, 3)
	var pages []*livetemplatetest.Page
	for _, in := range ins {
		for range 2 {
			pages = append(pages, in.join(t, ctx, page.GetToken()))
		}
	}
	var wg sync.WaitGroup
	const perClient = 10
	for i, p := range pages {
		wg.Go(func() {
			for j := range perClient {
				if err := send(ctx, p, fmt.Sprintf("c%d-%d", i, j)); err != nil {
					t.Errorf("client %d, event %d: %v", i, j, err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := page.Data().(counter)
	if want.Count != len(pages)*perClient || len(want.Log) != want.Count {
		t.Fatalf("the owner's page: count %d, %d log entries; want %d", want.Count, len(want.Log), len(pages)*perClient)
	}
	converge(t, ctx, counterHTML(want.Log), pages...)
	for i, p := range pages {
		if p.Version() != page.Version() {
			t.Errorf("client %d holds version %d, the owner %d", i, p.Version(), page.Version())
		}
	}
}

// TestFollowerUpdate: Page.Update on an instance that does not own the
// page has the owner apply it; each change reaches the clients of every
// instance, in order, and Update returns the owner's diff.
func TestFollowerUpdate(t *testing.T) {
	ctx, ns, ins, page := startCluster(t, 3)
	a, b, c := ins[0], ins[1], ins[2]
	clients := []*livetemplatetest.Page{a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken()), c.join(t, ctx, page.GetToken())}
	there, err := b.app.GetPage(page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for i := range 5 {
		log = append(log, fmt.Sprintf("u%d", i))
		u, err := there.Update(counter{Count: len(log), Log: slices.Clone(log)})
		if err != nil {
			t.Fatalf("Update %d on a follower: %v", i, err)
		}
		if want := uint64(i + 2); u.Version != want || u.Base != want-1 || !u.Changed() {
			t.Fatalf("Update %d: version %d, base %d, changed %v; want version %d from %d", i, u.Version, u.Base, u.Changed(), want, want-1)
		}
		if there.Version() != u.Version {
			t.Fatalf("Update %d returned before the follower held its version: %d, want %d", i, there.Version(), u.Version)
		}
		for k, p := range clients {
			// Each version in turn: a client that skipped one would
			// hold a later version here.
			if err := p.WaitVersion(ctx, u.Version); err != nil || p.Version() != u.Version {
				t.Fatalf("client %d after Update %d: version %d, %v; want %d", k, i, p.Version(), err, u.Version)
			}
		}
	}
	converge(t, ctx, counterHTML(log), clients...)
	if got := page.Data().(counter).Log; !slices.Equal(got, log) {
		t.Fatalf("the owner's log %v, want %v", got, log)
	}
	if got := storedLog(t, ctx, ns, page.ID()); !slices.Equal(got, log) {
		t.Fatalf("the stored log %v, want %v", got, log)
	}
	if _, err := there.Update(struct{}{}); !errorsIs(err, cluster.ErrStateType) {
		t.Fatalf("Update on a follower with data of another type: %v, want ErrStateType", err)
	}
}

// TestFollowerModify: Page.Modify on two followers, each many times at
// once, while clients of all three instances send events: every change
// and every event is in the page once.
func TestFollowerModify(t *testing.T) {
	ctx, ns, ins, page := startCluster(t, 3)
	var clients []*livetemplatetest.Page
	for _, in := range ins {
		clients = append(clients, in.join(t, ctx, page.GetToken()))
	}
	const each = 10
	var (
		wg   sync.WaitGroup
		want []string
	)
	for i, in := range ins[1:] {
		there, err := in.app.GetPage(page.GetToken())
		if err != nil {
			t.Fatal(err)
		}
		for j := range each {
			id := fmt.Sprintf("m%d-%d", i, j)
			want = append(want, id)
			wg.Go(func() {
				if _, err := there.Modify(ctx, func(data any) (any, error) {
					c := data.(counter)
					c.Count++
					c.Log = append(c.Log[:len(c.Log):len(c.Log)], id)
					return c, nil
				}); err != nil {
					t.Errorf("Modify %s on a follower: %v", id, err)
				}
			})
		}
	}
	for i, p := range clients {
		for j := range each {
			id := fmt.Sprintf("e%d-%d", i, j)
			want = append(want, id)
			wg.Go(func() {
				if err := send(ctx, p, id); err != nil {
					t.Errorf("event %s: %v", id, err)
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	got := page.Data().(counter)
	if got.Count != len(want) || !sameSet(got.Log, want) {
		t.Fatalf("the owner's page: count %d, log %v; want each of %v once", got.Count, got.Log, want)
	}
	converge(t, ctx, counterHTML(got.Log), clients...)
	if stored := storedLog(t, ctx, ns, page.ID()); !slices.Equal(stored, got.Log) {
		t.Fatalf("the stored log %v, want %v", stored, got.Log)
	}
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))) &&
		len(slices.Compact(slices.Sorted(slices.Values(a)))) == len(a)
}

package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestConverge: three instances, clients of one page on each of them; events
// sent on every instance run once each, in one order, and every client ends
// with the same HTML, the page's.
func TestConverge(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	ins := []*instance{newInstance(t, ns, "a"), newInstance(t, ns, "b"), newInstance(t, ns, "c")}
	page, err := ins[0].app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
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

// TestFollowerUpdateRefused: a change made on an instance that does not own
// the page fails with ErrNotOwner; changes go through events.
func TestFollowerUpdateRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	a, b := newInstance(t, ns, "a"), newInstance(t, ns, "b")
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	there, err := b.app.GetPage(page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := there.Update(counter{Count: 5}); !errorsIs(err, livetemplate.ErrNotOwner) {
		t.Fatalf("Update on a follower: %v, want ErrNotOwner", err)
	}
	p := b.join(t, ctx, page.GetToken())
	if err := send(ctx, p, "x1"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"x1"}), p)
}

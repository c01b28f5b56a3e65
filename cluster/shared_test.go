package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// startAtOnce starts instances of the given names on ns, all at once.
func startAtOnce(t *testing.T, ns *natsServer, names ...string) []*instance {
	t.Helper()
	ins := make([]*instance, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { ins[i], errs[i] = openInstance(ns.url(), name, nil) })
	}
	wg.Wait()
	for _, in := range ins {
		if in != nil {
			t.Cleanup(in.kill)
		}
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return ins
}

// sharedAtOnce calls SharedPage("room") callers times on every instance,
// all at once, with an init that makes a counter whose log names the
// instance. It returns each instance's pages and how many times init ran
// there.
func sharedAtOnce(t *testing.T, ins []*instance, callers int) (pages [][]*livetemplate.Page, inits []int32) {
	t.Helper()
	pages = make([][]*livetemplate.Page, len(ins))
	errs := make([]error, len(ins)*callers)
	calls := make([]atomic.Int32, len(ins))
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i, in := range ins {
		pages[i] = make([]*livetemplate.Page, callers)
		init := func() (any, error) {
			calls[i].Add(1)
			return counter{Count: 1, Log: []string{"made by " + in.name}}, nil
		}
		for j := range callers {
			wg.Go(func() {
				<-gate
				pages[i][j], errs[i*callers+j] = in.app.SharedPage("room", "counter", init)
			})
		}
	}
	close(gate)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range calls {
		inits = append(inits, calls[i].Load())
	}
	return pages, inits
}

// onePage checks that the pages are one page: one *Page per instance, and
// one id, token and data on all of them. It returns one of them.
func onePage(t *testing.T, ins []*instance, pages [][]*livetemplate.Page) *livetemplate.Page {
	t.Helper()
	first := pages[0][0]
	for i, on := range pages {
		for _, p := range on {
			if p != on[0] {
				t.Fatalf("instance %s: two pages, %v and %v", ins[i].name, p, on[0])
			}
		}
		p := on[0]
		if p.ID() != first.ID() || p.GetToken() != first.GetToken() {
			t.Fatalf("instance %s has page %v, instance %s %v", ins[i].name, p, ins[0].name, first)
		}
		if !slices.Equal(p.Data().(counter).Log, first.Data().(counter).Log) {
			t.Fatalf("instance %s holds %v, instance %s %v", ins[i].name, p.Data(), ins[0].name, first.Data())
		}
	}
	return first
}

// madeBy checks that the page was made by the init of one instance, whose
// init ran, and that no instance ran init more than once.
func madeBy(t *testing.T, ins []*instance, inits []int32, p *livetemplate.Page) {
	t.Helper()
	for i, n := range inits {
		if n > 1 {
			t.Fatalf("init ran %d times on instance %s", n, ins[i].name)
		}
		if first := p.Data().(counter).Log[0]; first == "made by "+ins[i].name {
			if n != 1 {
				t.Fatalf("the page was made by instance %s, whose init did not run", ins[i].name)
			}
			t.Logf("the page was made by instance %s; init ran %d times in all (once per instance at most)", ins[i].name, inits[0]+inits[1]+inits[2])
			return
		}
	}
	t.Fatalf("the page holds %v, made by no instance", p.Data())
}

// TestSharedPage: three instances started at once, each calling SharedPage
// of one name from five goroutines at once, share one page, with one token,
// made by the init of one of them; events from each reach all. After every
// instance stopped, three new ones find the page, its data and its token
// again without init. Closed, it is made anew by the next SharedPage.
func TestSharedPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	ins := startAtOnce(t, ns, "a", "b", "c")
	pages, inits := sharedAtOnce(t, ins, 5)
	room := onePage(t, ins, pages)
	madeBy(t, ins, inits, room)
	log := slices.Clone(room.Data().(counter).Log)
	var clients []*livetemplatetest.Page
	for i, in := range ins {
		c := in.join(t, ctx, room.GetToken())
		clients = append(clients, c)
		id := fmt.Sprintf("from-%s", ins[i].name)
		if err := send(ctx, c, id); err != nil {
			t.Fatal(err)
		}
		log = append(log, id)
	}
	converge(t, ctx, counterHTML(log), clients...)

	for _, in := range ins {
		in.stop()
	}
	again := startAtOnce(t, ns, "d", "e", "f")
	pages, inits = sharedAtOnce(t, again, 5)
	restarted := onePage(t, again, pages)
	if restarted.GetToken() != room.GetToken() || !slices.Equal(restarted.Data().(counter).Log, log) || slices.Max(inits) != 0 {
		t.Fatalf("after a restart: same token %v, data %v (want the log %v), inits %v", restarted.GetToken() == room.GetToken(), restarted.Data(), log, inits)
	}

	if err := pages[0][0].Close(); err != nil {
		t.Fatal(err)
	}
	// f makes it anew, once it knows that the page ended; then d and e.
	var anew [][]*livetemplate.Page
	for _, i := range []int{2, 0, 1} {
		anew = append(anew, []*livetemplate.Page{sharedAfter(t, ctx, again[i], pages[i][0])})
	}
	order := []*instance{again[2], again[0], again[1]} // anew's order
	if p := onePage(t, order, anew); p.GetToken() != room.GetToken() || p.Data().(counter).Log[0] != "made by f" {
		t.Fatalf("after Close: same token %v, data %v", p.GetToken() == room.GetToken(), p.Data())
	}
}

// sharedAfter calls SharedPage("room") on in until it returns another page
// than old: in's copy of old ends once the owner has told it that old ended.
func sharedAfter(t *testing.T, ctx context.Context, in *instance, old *livetemplate.Page) *livetemplate.Page {
	t.Helper()
	init := func() (any, error) { return counter{Count: 1, Log: []string{"made by " + in.name}}, nil }
	for {
		p, err := in.app.SharedPage("room", "counter", init)
		if err != nil {
			t.Fatal(err)
		}
		if p != old {
			return p
		}
		select {
		case <-ctx.Done():
			t.Fatalf("instance %s still has the closed page", in.name)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

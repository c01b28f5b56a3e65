package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/internal/clustertest"
)

// handoffLease is the lease of the hand-off tests: far longer than any
// wait they allow, so that a page taken over only once a lease lapsed
// fails them.
const handoffLease = 10 * time.Second

// rolling is a cluster whose instances shut down and start again while
// clients roam between them.
type rolling struct {
	t  *testing.T
	ns *natsServer

	mu  sync.Mutex
	ins []*instance
}

func (r *rolling) start(name string, opts ...livetemplate.Option) {
	in := newInstanceVia(r.t, r.ns, r.ns.url(), name, []cluster.Option{cluster.WithLease(handoffLease)}, opts...)
	if err := in.app.HandleEvent("counter", "slow", slowAdd); err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ins = append(r.ins, in)
}

// urls returns the URLs of the instances running now.
func (r *rolling) urls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var urls []string
	for _, in := range r.ins {
		urls = append(urls, in.srv.URL)
	}
	return urls
}

// restart shuts the instance at i down gracefully and starts it again (a
// new instance, as a restarted process is), as a rolling deploy does.
func (r *rolling) restart(i int) {
	r.mu.Lock()
	in := r.ins[i]
	r.ins = slices.Delete(r.ins, i, i+1)
	r.mu.Unlock()
	in.shutdown()
	r.start(in.name + "'")
}

// TestShutdownHandsOff: in a cluster of three instances with a 10 s lease,
// each instance in turn shuts down gracefully and starts again while
// clients of every instance send events to pages that the instances own.
// No event waits for a lease to lapse (each is acknowledged within a third
// of the lease, resends and reconnections included: a few hundred
// milliseconds, more on a loaded machine), every acknowledged event is in
// its page once, none twice, and every client ends with its page's HTML.
func TestShutdownHandsOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := &rolling{t: t, ns: startNATS(t)}
	for _, name := range []string{"a", "b", "c"} {
		r.start(name)
	}
	var toks []string
	var ids []string
	for _, in := range r.ins {
		p, err := in.app.NewPage("counter", counter{})
		if err != nil {
			t.Fatal(err)
		}
		toks, ids = append(toks, p.GetToken()), append(ids, p.ID())
	}
	var roamers []*clustertest.Roamer
	for i := range 2 * len(toks) {
		ro, err := clustertest.NewRoamer(ctx, func() []string { return rotate(r.urls(), i) }, toks[i%len(toks)])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ro.Close)
		roamers = append(roamers, ro)
	}

	const perRoamer = 30
	var (
		mu      sync.Mutex
		acked   = make(map[int][]string) // by page
		longest time.Duration
		sent    atomic.Int32
		wg      sync.WaitGroup
	)
	restarts := make(chan int, 3)
	for i, ro := range roamers {
		wg.Go(func() {
			for j := range perRoamer {
				id := fmt.Sprintf("r%d-%d", i, j)
				start := time.Now()
				if err := ro.Send(ctx, "slow", id); err != nil {
					t.Errorf("event %s: %v", id, err)
					return
				}
				mu.Lock()
				acked[i%len(toks)] = append(acked[i%len(toks)], id)
				longest = max(longest, time.Since(start))
				mu.Unlock()
				switch sent.Add(1) {
				case 30, 80, 130:
					restarts <- 0 // the oldest instance
				}
			}
		})
	}
	sending, stopSending := context.WithCancel(ctx)
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		for range 3 {
			select {
			case i := <-restarts:
				r.restart(i)
			case <-sending.Done(): // the senders ended early: one failed
				return
			}
		}
	}()
	wg.Wait()
	stopSending()
	<-restarted
	if t.Failed() {
		return
	}
	t.Logf("longest wait for an ack: %v", longest.Round(time.Millisecond))
	if longest > handoffLease/3 {
		t.Errorf("an event waited %v for its ack: the page waited for a lease (%v)", longest.Round(time.Millisecond), handoffLease)
	}
	for k, id := range ids {
		log := storedLog(t, ctx, r.ns, id)
		if lost, twice := clustertest.Audit(acked[k], log); lost != 0 || twice != 0 || len(log) != len(acked[k]) {
			t.Errorf("page %d: %d acknowledged events lost, %d applied twice; %d in the page, %d acknowledged", k, lost, twice, len(log), len(acked[k]))
		}
		for i, ro := range roamers {
			if i%len(ids) == k {
				if err := ro.Settle(ctx); err != nil {
					t.Fatal(err)
				}
				converge(t, ctx, counterHTML(log), ro.Page())
			}
		}
	}
}

// TestShutdownTellsFollowers: when the owner of a page that clients of two
// other instances only watch shuts down, one of those instances takes the
// page over at once (a 10 s lease, which Close alone would leave the page
// to wait for until a client sends an event), and both clients see the
// page's next change. The instances' metrics count one hand-off and one
// takeover.
func TestShutdownTellsFollowers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	r := &rolling{t: t, ns: startNATS(t)}
	for _, name := range []string{"a", "b", "c"} {
		r.start(name, livetemplate.WithMeterProvider(mp))
	}
	a, b, c := r.ins[0], r.ins[1], r.ins[2]
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onB, onC := b.join(t, ctx, page.GetToken()), c.join(t, ctx, page.GetToken())
	s := records(t, r.ns)
	before, err := s.Get(ctx, page.ID())
	if err != nil {
		t.Fatal(err)
	}
	a.shutdown()
	deadline := time.Now().Add(2 * time.Second)
	for {
		now, err := s.Get(ctx, page.ID())
		if err != nil {
			t.Fatal(err)
		}
		if now.Owner != before.Owner {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no instance took the page over within 2 s of its owner's shutdown")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := send(ctx, onB, "after"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"after"}), onB, onC)
	counts := counters(t, reader)
	if counts["livetemplate.cluster.handoffs"] != 1 || counts["livetemplate.cluster.takeovers"] != 1 {
		t.Fatalf("hand-offs %d, takeovers %d; want 1 each", counts["livetemplate.cluster.handoffs"], counts["livetemplate.cluster.takeovers"])
	}
}

// counters reads the int64 counters of reader's provider back, summed over
// their attributes.
func counters(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := make(map[string]int64)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range s.DataPoints {
					sums[m.Name] += p.Value
				}
			}
		}
	}
	return sums
}

// slowAdd is clustertest.Add after 20 ms of work that stops when its context
// is done, so that shutdowns find events running.
func slowAdd(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(20 * time.Millisecond):
	}
	return clustertest.Add(ctx, p, e)
}

// rotate returns urls starting at the i-th, so that clients spread over the
// instances.
func rotate(urls []string, i int) []string {
	if len(urls) == 0 {
		return nil
	}
	i %= len(urls)
	return append(slices.Clone(urls[i:]), urls[:i]...)
}

// TestPushDuringShutdown: a follower's Page.Push that reaches the page's
// owner while the owner shuts down (it waits for an event that runs) is
// answered "moved", as events and updates are: the push goes through the
// instance that takes the page over, once the owner handed it off, and
// reaches the clients of the page.
func TestPushDuringShutdown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &rolling{t: t, ns: startNATS(t)}
	for _, name := range []string{"a", "b", "c"} {
		r.start(name)
	}
	a, b, c := r.ins[0], r.ins[1], r.ins[2]
	started, release := make(chan struct{}), make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // when the test fails before it does
	block := func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		close(started)
		<-release
		return clustertest.Add(ctx, p, e)
	}
	if err := a.app.HandleEvent("counter", "block", block); err != nil {
		t.Fatal(err)
	}
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onC := a.join(t, ctx, page.GetToken()), c.join(t, ctx, page.GetToken())
	onB, err := b.app.GetPage(page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	s := records(t, r.ns)
	before, err := s.Get(ctx, page.ID())
	if err != nil {
		t.Fatal(err)
	}
	go onA.EventID(ctx, "held", "block", nil) // its connection closes unanswered
	<-started
	shutdown := make(chan struct{})
	go func() {
		defer close(shutdown)
		a.shutdown()
	}()
	time.Sleep(100 * time.Millisecond) // a's Shutdown waits for "held" now
	pushed := make(chan error, 1)
	go func() { pushed <- onB.Push(ctx, "note", "hi") }()
	select {
	case err := <-pushed:
		t.Fatalf("the push returned (%v) while its page's owner shut down: a stopping owner took it", err)
	case <-time.After(500 * time.Millisecond):
	}
	unblock()
	<-shutdown
	if err := <-pushed; err != nil {
		t.Fatalf("push: %v", err)
	}
	m, err := onC.NextPush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "note" {
		t.Fatalf("push %q; want note", m.Name)
	}
	rec, err := s.Get(ctx, page.ID())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Owner == before.Owner {
		t.Fatal("the page's owner is still the instance that shut down")
	}
}

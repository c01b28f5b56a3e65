package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestOwnerKilled kills the instance that owns a page while two others'
// clients stream events to it: another instance takes the page over within
// the lease, every acknowledged event is in the page once, none twice, and
// every client (those of the dead instance after they reconnect elsewhere)
// ends with the page's HTML.
func TestOwnerKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	a, b, c := newInstance(t, ns, "a"), newInstance(t, ns, "b"), newInstance(t, ns, "c")
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA := a.join(t, ctx, page.GetToken())
	watchers := []*livetemplatetest.Page{b.join(t, ctx, page.GetToken()), c.join(t, ctx, page.GetToken())}
	senders := []*livetemplatetest.Page{b.join(t, ctx, page.GetToken()), c.join(t, ctx, page.GetToken())}

	const perSender, killAfter = 40, 15
	var (
		mu      sync.Mutex
		acked   []string
		killed  time.Time
		firstOK time.Time
		n       atomic.Int32
		wg      sync.WaitGroup
	)
	for i, p := range senders {
		wg.Go(func() {
			for j := range perSender {
				id := fmt.Sprintf("s%d-%d", i, j)
				sent := time.Now()
				if err := send(ctx, p, id); err != nil {
					t.Errorf("event %s: %v", id, err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				if !killed.IsZero() && sent.After(killed) && firstOK.IsZero() {
					firstOK = time.Now()
				}
				if testing.Verbose() {
					t.Logf("%s acked after %v", id, time.Since(sent).Round(time.Millisecond))
				}
				mu.Unlock()
				if n.Add(1) == killAfter {
					mu.Lock()
					killed = time.Now()
					mu.Unlock()
					a.kill()
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("takeover: first ack %v after the owner died", firstOK.Sub(killed).Round(time.Millisecond))

	log := storedLog(t, ctx, ns, page.ID())
	for _, id := range acked {
		if k := count(log, id); k != 1 {
			t.Errorf("acknowledged event %s is in the page %d times", id, k)
		}
	}
	if len(log) != len(acked) {
		t.Errorf("the page holds %d events, %d were acknowledged", len(log), len(acked))
	}
	want := counterHTML(log)
	converge(t, ctx, want, append(watchers, senders...)...)

	// The dead instance's client reconnects to another and resumes.
	moved, err := b.dial(t, ctx).Resume(ctx, onA)
	if err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, want, moved)
}

// storedLog reads the page's log from its store record.
func storedLog(t *testing.T, ctx context.Context, ns *natsServer, id string) []string {
	t.Helper()
	return storedRecord(t, ctx, ns, id).Data.(counter).Log
}

// storedRecord reads the page's store record.
func storedRecord(t *testing.T, ctx context.Context, ns *natsServer, id string) livetemplate.PageRecord {
	t.Helper()
	s := records(t, ns)
	rec, err := s.Get(ctx, id)
	if err != nil {
		t.Fatalf("the page's record: %v", err)
	}
	return rec
}

// TestEventWindowTakeover: the record carries the last WithEventWindow
// events; after the owner dies, events among them that a client resends to
// the new owner are acknowledged without running again.
func TestEventWindowTakeover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	window := []cluster.Option{cluster.WithEventWindow(8)}
	a := newInstanceVia(t, ns, ns.url(), "a", window)
	b := newInstanceVia(t, ns, ns.url(), "b", window)
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken())
	var log []string
	for i := range 20 {
		id := fmt.Sprintf("e%d", i)
		if err := send(ctx, onA, id); err != nil {
			t.Fatal(err)
		}
		log = append(log, id)
	}
	converge(t, ctx, counterHTML(log), onB)
	a.kill()
	for _, id := range []string{"e19", "e12", "e15"} { // the last, the oldest in the window, one between
		if err := send(ctx, onB, id); err != nil {
			t.Fatalf("resend of %s: %v", id, err)
		}
	}
	if err := send(ctx, onB, "new"); err != nil {
		t.Fatal(err)
	}
	log = append(log, "new")
	converge(t, ctx, counterHTML(log), onB)
	if got := storedLog(t, ctx, ns, page.ID()); !slices.Equal(got, log) {
		t.Fatalf("stored log %v, want %v", got, log)
	}
}

// TestMarksTakeover: the record carries the marks of the tabs that number
// their events; after the owner dies, a numbered event resent to the new
// owner long after the ids in the record have moved on is acknowledged
// without running again, and the tab's next event runs. (Before, "seq" was
// not part of the protocol, and an id past the window ran again.)
func TestMarksTakeover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	window := []cluster.Option{cluster.WithEventWindow(4)}
	a := newInstanceVia(t, ns, ns.url(), "a", window)
	b := newInstanceVia(t, ns, ns.url(), "b", window)
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken())
	sendSeq := func(p *livetemplatetest.Page, tab string, seq uint64) {
		t.Helper()
		for {
			err := p.EventSeq(ctx, tab, seq, "add", nil)
			var e *livetemplatetest.Error
			if err == nil || !errors.As(err, &e) || e.Code != "unavailable" {
				if err != nil {
					t.Fatalf("%s-%d: %v", tab, seq, err)
				}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sendSeq(onA, "tabA", 1)
	log := []string{"tabA-1"}
	for i := range 10 { // other ids push tabA-1 out of the record's window
		sendSeq(onA, "tabB", uint64(i+1))
		log = append(log, fmt.Sprintf("tabB-%d", i+1))
	}
	converge(t, ctx, counterHTML(log), onB)
	a.kill()
	sendSeq(onB, "tabA", 1)
	sendSeq(onB, "tabB", 3)
	sendSeq(onB, "tabA", 2)
	log = append(log, "tabA-2")
	converge(t, ctx, counterHTML(log), onB)
	if got := storedLog(t, ctx, ns, page.ID()); !slices.Equal(got, log) {
		t.Fatalf("stored log %v, want %v", got, log)
	}
}

func count(log []string, id string) int {
	n := 0
	for _, x := range log {
		if x == id {
			n++
		}
	}
	return n
}

// TestWatchedPageTakenOver: when the owner of a page that clients of other
// instances only watch dies, one of those instances takes the page over
// without waiting for an event; the clients then see its changes.
func TestWatchedPageTakenOver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	ttls := []livetemplate.Option{livetemplate.WithIdleTTL(2 * time.Second), livetemplate.WithUnjoinedTTL(2 * time.Second)}
	a, b, c := newInstance(t, ns, "a", ttls...), newInstance(t, ns, "b", ttls...), newInstance(t, ns, "c", ttls...)
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onB, onC := b.join(t, ctx, page.GetToken()), c.join(t, ctx, page.GetToken())
	s := records(t, ns)
	rec, err := s.Get(ctx, page.ID())
	if err != nil {
		t.Fatal(err)
	}
	a.kill()
	for {
		now, err := s.Get(ctx, page.ID())
		if err != nil {
			t.Fatal(err)
		}
		if now.Owner != rec.Owner {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("nobody took the page over")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := send(ctx, onC, "after"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"after"}), onB, onC)
}

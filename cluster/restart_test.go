package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// TestNATSRestart: the NATS server stops and starts again (same port, same
// JetStream directory) between events; the instances reconnect, events sent
// after it are applied, and the clients of both instances converge on every
// acknowledged event.
func TestNATSRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	a, b := newInstance(t, ns, "a"), newInstance(t, ns, "b")
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken())
	var log []string
	sendSome := func(from int) {
		for i := from; i < from+5; i++ {
			id := fmt.Sprintf("e%d", i)
			if err := send(ctx, onB, id); err != nil {
				t.Fatalf("event %s: %v", id, err)
			}
			log = append(log, id)
		}
	}
	sendSome(0)
	converge(t, ctx, counterHTML(log), onA, onB)
	ns.restart()
	sendSome(5)
	converge(t, ctx, counterHTML(log), onA, onB)
	if got := storedLog(t, ctx, ns, page.ID()); counterHTML(got) != counterHTML(log) {
		t.Fatalf("stored log %v, want %v", got, log)
	}
}

// TestRecordExpires: the record of a page that no instance holds any more
// expires in the bucket by its time to live, and a page that its owner
// expires is deleted from it at once.
func TestRecordExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	ttls := []livetemplate.Option{livetemplate.WithIdleTTL(time.Second), livetemplate.WithUnjoinedTTL(time.Second)}
	a := newInstance(t, ns, "a", ttls...)
	orphan, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	a.kill() // keeps the record: its time to live is 2 × 1 s
	s := records(t, ns)
	waitGone(t, ctx, s, orphan.ID())

	b := newInstance(t, ns, "b", ttls...)
	expiring, err := b.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, expiring.ID()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, ctx, s, expiring.ID())
	if _, err := expiring.Render(); !errors.Is(err, livetemplate.ErrPageExpired) {
		t.Fatalf("Render of the expired page: %v", err)
	}
}

// waitGone waits until the store has no record of id.
func waitGone(t *testing.T, ctx context.Context, s livetemplate.Store, id string) {
	t.Helper()
	for {
		_, err := s.Get(ctx, id)
		if errors.Is(err, livetemplate.ErrPageNotFound) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("record %s still there: %v", id, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestWatchedElsewhere: a page that only another instance's clients show
// does not expire on its owner, and changes on it still reach them.
func TestWatchedElsewhere(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	// Followers tell the owner every half second (a quarter of the TTL)
	// that they show the page; it counts as shown for 1.5 s after.
	ttls := []livetemplate.Option{livetemplate.WithIdleTTL(2 * time.Second), livetemplate.WithUnjoinedTTL(2 * time.Second)}
	a, b := newInstance(t, ns, "a", ttls...), newInstance(t, ns, "b", ttls...)
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onB := b.join(t, ctx, page.GetToken())
	time.Sleep(5 * time.Second) // past the page's TTL and its record's (4 s): the owner would have expired an unwatched page
	if err := send(ctx, onB, "late"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"late"}), onB)
	if page.Version() != 2 {
		t.Fatalf("the owner's page is at version %d, want 2", page.Version())
	}
}

// TestOwnerCutOff: the owner of a page loses NATS for longer than its lease
// while the other instance keeps it. The other instance takes the page over
// when its client's event comes; when the former owner reaches NATS again it
// finds that out by itself (its clients send nothing) and follows, and the
// clients of both converge. Its own writes on the old revision are refused
// meanwhile.
func TestOwnerCutOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	link := startProxy(t, fmt.Sprintf("127.0.0.1:%d", ns.port))
	a := newInstanceVia(t, ns, link.url(), "a", nil, livetemplate.WithStoreTimeout(time.Second))
	b := newInstance(t, ns, "b")
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken())
	if err := send(ctx, onA, "before"); err != nil {
		t.Fatal(err)
	}
	link.setCut(true)
	log := []string{"before"}
	for i := range 5 { // the first waits for a's lease to lapse, and takes the page over
		id := fmt.Sprintf("after%d", i)
		if err := send(ctx, onB, id); err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
		log = append(log, id)
	}
	if _, err := page.Update(counter{Count: 99}); err == nil {
		t.Fatal("the cut-off former owner changed the page")
	}
	link.setCut(false)
	converge(t, ctx, counterHTML(log), onA, onB)
	if got := storedLog(t, ctx, ns, page.ID()); counterHTML(got) != counterHTML(log) {
		t.Fatalf("stored log %v, want %v", got, log)
	}
}

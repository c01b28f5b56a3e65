package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// keeper is the handler of "keep": a change that leaves the page as it is,
// so that its record is written again at the same version. It counts its
// runs by event id.
type keeper struct {
	mu   sync.Mutex
	runs map[string]int
}

func (k *keeper) keep(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	k.mu.Lock()
	k.runs[e.ID]++
	k.mu.Unlock()
	_, err := p.Modify(ctx, func(data any) (any, error) { return data, nil })
	return err
}

// TestWriteAckLost: the owner's write of its page's record reaches NATS
// but its ack comes after the store's timeout (a loaded machine), so that
// the record holds a revision that the owner does not know, at the version
// it holds. The owner's next write is refused; it must read the record
// back and go on from its revision, not refuse every event of the page
// from then on; and the event whose write that was, resent, is not run
// again.
func TestWriteAckLost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	link := startProxy(t, fmt.Sprintf("127.0.0.1:%d", ns.port))
	a := newInstanceVia(t, ns, link.url(), "a", []cluster.Option{cluster.WithLease(3 * time.Second)}, livetemplate.WithStoreTimeout(300*time.Millisecond))
	b := newInstance(t, ns, "b")
	k := &keeper{runs: make(map[string]int)}
	if err := a.app.HandleEvent("counter", "keep", k.keep); err != nil {
		t.Fatal(err)
	}
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken())
	if err := send(ctx, onA, "before"); err != nil {
		t.Fatal(err)
	}
	release := link.hold()
	err = onA.EventID(ctx, "kept", "keep", nil)
	release()
	t.Logf("the event whose write's ack was late: %v", err)
	log := []string{"before"}
	for i := range 3 {
		id := fmt.Sprintf("after%d", i)
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := send(sctx, []*livetemplatetest.Page{onA, onB}[i%2], id)
		cancel()
		if err != nil {
			t.Fatalf("event %s, after a write whose ack was late: %v", id, err)
		}
		log = append(log, id)
	}
	for {
		err := onA.EventID(ctx, "kept", "keep", nil)
		var e *livetemplatetest.Error
		if err == nil {
			break
		}
		if !errors.As(err, &e) || e.Code != "unavailable" {
			t.Fatalf("event kept, resent: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	k.mu.Lock()
	runs := k.runs["kept"]
	k.mu.Unlock()
	if runs != 1 {
		t.Errorf("the event whose write's ack was late ran %d times; want 1", runs)
	}
	converge(t, ctx, counterHTML(log), onA, onB)
	if got := storedLog(t, ctx, ns, page.ID()); counterHTML(got) != counterHTML(log) {
		t.Fatalf("stored log %v, want %v", got, log)
	}
}

package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/internal/clustertest"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// countReply is the handler of "count": "add"'s, then a reply with the
// page's new count.
func countReply(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	if err := clustertest.Add(ctx, p, e); err != nil {
		return err
	}
	if err := livetemplate.PushToSender(ctx, "counted", e.ID); err != nil {
		return err
	}
	return livetemplate.Reply(ctx, p.Data().(counter).Count)
}

// replyTo sends "count" of id until it is acknowledged (see
// clustertest.Resend), and returns its reply.
func replyTo(t *testing.T, ctx context.Context, p *livetemplatetest.Page, id string) int {
	t.Helper()
	for {
		err := p.EventID(ctx, id, "count", nil)
		var e *livetemplatetest.Error
		if errors.As(err, &e) && e.Code == "unavailable" {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
		break
	}
	r, err := p.NextReply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := r.Decode(&n); err != nil || r.ID != id {
		t.Fatalf("reply %+v to %s: %v", r, id, err)
	}
	return n
}

// TestReplyAcrossInstances: a reply, and a push to the sender, reach a
// client of a follower, whose instance forwarded the event to the owner;
// after the owner dies, the
// event resent to the instance that took the page over gets the same reply
// from the page's record, without running again.
func TestReplyAcrossInstances(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	a := newInstanceVia(t, ns, ns.url(), "a", []cluster.Option{cluster.WithEventWindow(8)})
	b := newInstanceVia(t, ns, ns.url(), "b", []cluster.Option{cluster.WithEventWindow(8)})
	for _, in := range []*instance{a, b} {
		if err := in.app.HandleEvent("counter", "count", countReply); err != nil {
			t.Fatal(err)
		}
	}
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onB := b.join(t, ctx, page.GetToken())
	if n := replyTo(t, ctx, onB, "r1"); n != 1 {
		t.Fatalf("reply through the follower: %d; want 1", n)
	}
	if n := replyTo(t, ctx, onB, "r2"); n != 2 {
		t.Fatalf("second reply: %d; want 2", n)
	}
	for _, id := range []string{"r1", "r2"} {
		m, err := onB.NextPush(ctx)
		var got string
		if err != nil || m.Decode(&got) != nil || got != id {
			t.Fatalf("push to the sender %+v, %v; want %s", m, err, id)
		}
	}
	a.kill()
	if n := replyTo(t, ctx, onB, "r1"); n != 1 {
		t.Fatalf("reply to r1 resent after a takeover: %d; want 1, its first", n)
	}
	converge(t, ctx, counterHTML([]string{"r1", "r2"}), onB)
}

// TestPushAcrossInstances: pushes made on the owner and on a follower reach
// the clients of both instances in the order of the page's changes: each
// after the diff of the Update made before it.
func TestPushAcrossInstances(t *testing.T) {
	ctx, _, ins, page := startCluster(t, 2)
	onFollower, err := ins[1].app.GetPage(page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	clients := []*livetemplatetest.Page{ins[0].join(t, ctx, page.GetToken()), ins[1].join(t, ctx, page.GetToken())}
	for i := 1; i <= 10; i++ {
		u, err := page.Update(counter{Count: i})
		if err != nil {
			t.Fatal(err)
		}
		from := []*livetemplate.Page{page, onFollower}[i%2]
		if err := from.Push(ctx, "n", []uint64{uint64(i), u.Version}); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	for c, p := range clients {
		for i := 1; i <= 10; i++ {
			m, err := p.NextPush(ctx)
			if err != nil {
				t.Fatalf("client %d: %v", c, err)
			}
			var d []uint64
			if err := m.Decode(&d); err != nil || len(d) != 2 || d[0] != uint64(i) {
				t.Fatalf("client %d: push %d: %s (%v)", c, i, m.Data, err)
			}
			if m.Version != d[1] {
				t.Fatalf("client %d: push %d arrived at version %d; want %d, the version of the Update before it", c, i, m.Version, d[1])
			}
		}
	}
}

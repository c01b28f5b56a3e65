package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// handleNotes has every page of the counter handle the topic "notes": the
// message's text goes to the log.
func handleNotes(t *testing.T, in *instance) {
	t.Helper()
	err := in.app.HandleTopic("counter", "notes", func(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
		var text string
		if err := m.Decode(&text); err != nil {
			return err
		}
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count++
			c.Log = append(c.Log[:len(c.Log):len(c.Log)], text)
			return c, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTopicsCluster: a message published on one instance reaches the pages
// that each of three instances owns, once each; after the owner of one dies
// and another takes its page over, the next message reaches that page on
// its new owner, once.
func TestTopicsCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	var ins []*instance
	var pages []*livetemplate.Page
	for _, name := range []string{"a", "b", "c"} {
		in := newInstance(t, ns, name)
		handleNotes(t, in)
		p, err := in.app.NewPage("counter", counter{})
		if err != nil {
			t.Fatal(err)
		}
		ins, pages = append(ins, in), append(pages, p)
	}
	// Each page is watched from the next instance: a follower.
	onA, onB, onC := ins[1].join(t, ctx, pages[0].GetToken()), ins[2].join(t, ctx, pages[1].GetToken()), ins[0].join(t, ctx, pages[2].GetToken())
	if _, err := ins[0].app.Publish(ctx, "notes", "n1"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"n1"}), onA, onB, onC)

	s := records(t, ns)
	old, err := s.Get(ctx, pages[2].ID())
	if err != nil {
		t.Fatal(err)
	}
	ins[2].kill()
	for {
		rec, err := s.Get(ctx, pages[2].ID())
		if err != nil {
			t.Fatal(err)
		}
		if rec.Owner != old.Owner {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("nobody took c's page over")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := ins[1].app.Publish(ctx, "notes", "n2"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"n1", "n2"}), onA, onC)
	time.Sleep(200 * time.Millisecond) // a second run of a message would show by now
	converge(t, ctx, counterHTML([]string{"n1", "n2"}), onA, onC)
}

// TestTopicOwnerKilledBeforeRun kills the owner of a page while the
// page's handler of a message has not run it yet: the instance that takes
// the page over runs the message, once.
func TestTopicOwnerKilledBeforeRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	// Short times to live: a watched page is taken over at the next sweep.
	ttls := []livetemplate.Option{livetemplate.WithIdleTTL(2 * time.Second), livetemplate.WithUnjoinedTTL(2 * time.Second)}
	a, b := newInstance(t, ns, "a", ttls...), newInstance(t, ns, "b", ttls...)
	handleNotes(t, a)
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	err := b.app.HandleTopic("counter", "notes", func(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
		started <- struct{}{}
		select { // the instance dies before the handler changes the page
		case <-release:
		case <-ctx.Done():
		}
		return errors.New("stopped")
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := b.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA := a.join(t, ctx, page.GetToken())
	if _, err := a.app.Publish(ctx, "notes", "n1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the owner never ran the message")
	}
	go b.kill()
	converge(t, ctx, counterHTML([]string{"n1"}), onA)
	if _, err := a.app.Publish(ctx, "notes", "n2"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"n1", "n2"}), onA)
	time.Sleep(200 * time.Millisecond) // a second run of a message would show by now
	if log := storedLog(t, ctx, ns, page.ID()); !slices.Equal(log, []string{"n1", "n2"}) {
		t.Errorf("the page's log is %q, want [n1 n2]", log)
	}
}

// TestTopicMarkOutlivesEvents: a page remembers two event ids only, and
// runs more events after a message; its owner dies while the next message
// waits: the instance that takes the page over runs that one, and not the
// first again, however many events came between.
func TestTopicMarkOutlivesEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	opts := []livetemplate.Option{livetemplate.WithDedupeWindow(2), livetemplate.WithIdleTTL(2 * time.Second), livetemplate.WithUnjoinedTTL(2 * time.Second)}
	a, b := newInstance(t, ns, "a", opts...), newInstance(t, ns, "b", opts...)
	handleNotes(t, a)
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	err := b.app.HandleTopic("counter", "notes", func(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
		var text string
		if err := m.Decode(&text); err != nil || text != "n1" {
			started <- struct{}{}
			select { // the instance dies before the handler changes the page
			case <-release:
			case <-ctx.Done():
			}
			return errors.New("stopped")
		}
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count++
			c.Log = append(slices.Clip(c.Log), text)
			return c, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := b.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA := a.join(t, ctx, page.GetToken())
	if _, err := a.app.Publish(ctx, "notes", "n1"); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"n1"}), onA)
	want := []string{"n1"}
	for i := range 5 {
		id := fmt.Sprint("e", i)
		if err := send(ctx, onA, id); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if _, err := a.app.Publish(ctx, "notes", "n2"); err != nil {
		t.Fatal(err)
	}
	<-started
	go b.kill()
	want = append(want, "n2")
	converge(t, ctx, counterHTML(want), onA)
	time.Sleep(200 * time.Millisecond) // a second run of a message would show by now
	if log := storedLog(t, ctx, ns, page.ID()); !slices.Equal(log, want) {
		t.Errorf("the page's log is %q, want %q", log, want)
	}
}

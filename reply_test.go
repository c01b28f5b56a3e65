package livetemplate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// replyApp is the counter application with "count", whose handler adds one
// and replies with the new count, and "fail", which replies and then fails.
func replyApp(t *testing.T, opts ...livetemplate.Option) (string, *livetemplate.Page) {
	t.Helper()
	app := counterApp(t, opts...)
	handle(t, app, "counter", "count", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		if err := add(ctx, p, 1, e.ID); err != nil {
			return err
		}
		return livetemplate.Reply(ctx, map[string]int{"n": p.Data().(counter).Count})
	})
	handle(t, app, "counter", "replyfail", func(ctx context.Context, _ *livetemplate.Page, _ livetemplate.Event) error {
		if err := livetemplate.Reply(ctx, "never sent"); err != nil {
			return err
		}
		return errors.New("failed after its reply")
	})
	return serve(t, app) + "/live", newPage(t, app, "counter", counter{})
}

// nextCount reads the next reply of p, a {"n": count}.
func nextCount(t *testing.T, p *livetemplatetest.Page) (string, int) {
	t.Helper()
	r, err := p.NextReply(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ N int }
	if err := r.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return r.ID, v.N
}

// TestEventReply: a handler's reply reaches its sender in the ack, and a
// resent event, on another connection, gets the same reply without running
// again.
func TestEventReply(t *testing.T) {
	url, page := replyApp(t)
	p := join(t, dial(t, url), page.GetToken())
	ctx := testContext(t)
	for _, id := range []string{"a-1", "a-1", "a-2"} {
		if err := p.EventID(ctx, id, "count", nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct {
		id string
		n  int
	}{{"a-1", 1}, {"a-1", 1}, {"a-2", 2}} {
		if id, n := nextCount(t, p); id != want.id || n != want.n {
			t.Fatalf("reply to %s: %d; want %d to %s", id, n, want.n, want.id)
		}
	}
	p2, err := dial(t, url).Resume(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.EventID(ctx, "a-1", "count", nil); err != nil {
		t.Fatal(err)
	}
	if id, n := nextCount(t, p2); id != "a-1" || n != 1 {
		t.Fatalf("reply to %s resent on another connection: %d; want 1", id, n)
	}
	if c := page.Data().(counter).Count; c != 2 {
		t.Fatalf("count %d after two events, one resent twice; want 2", c)
	}
}

// TestEventReplyOfFailedHandler: a handler that fails after its reply gets
// a failed ack, without the reply.
func TestEventReplyOfFailedHandler(t *testing.T) {
	url, page := replyApp(t)
	p := join(t, dial(t, url), page.GetToken())
	var e *livetemplatetest.Error
	if err := p.Event(testContext(t), "replyfail", nil); !errors.As(err, &e) || e.Code != "handler_error" {
		t.Fatalf("event: %v; want handler_error", err)
	}
	if err := p.Event(testContext(t), "count", nil); err != nil {
		t.Fatal(err)
	}
	if _, n := nextCount(t, p); n != 1 {
		t.Fatalf("first reply: %d; want the count's, 1 (the failed handler's reply is not sent)", n)
	}
}

// TestReplyErrors: Reply outside a running handler fails with
// ErrNotInHandler, and a reply past WithMaxReplySize with ErrLimitReached,
// which the sender gets as limit_reached.
func TestReplyErrors(t *testing.T) {
	if err := livetemplate.Reply(t.Context(), 1); !errors.Is(err, livetemplate.ErrNotInHandler) {
		t.Fatalf("Reply outside a handler: %v; want ErrNotInHandler", err)
	}
	app := counterApp(t, livetemplate.WithMaxReplySize(16))
	late := make(chan context.Context, 1)
	handle(t, app, "counter", "big", func(ctx context.Context, _ *livetemplate.Page, e livetemplate.Event) error {
		late <- ctx
		var s string
		if err := e.Decode(&s); err != nil {
			return err
		}
		return livetemplate.Reply(ctx, s)
	})
	page := newPage(t, app, "counter", counter{})
	p := join(t, dial(t, serve(t, app)+"/live"), page.GetToken())
	ctx := testContext(t)
	if err := p.Event(ctx, "big", strings.Repeat("x", 14)); err != nil { // 16 bytes of JSON
		t.Fatalf("a reply of the limit's size: %v", err)
	}
	if _, err := p.NextReply(ctx); err != nil {
		t.Fatal(err)
	}
	<-late
	var e *livetemplatetest.Error
	if err := p.Event(ctx, "big", strings.Repeat("x", 15)); !errors.As(err, &e) || e.Code != "limit_reached" {
		t.Fatalf("a reply past the limit: %v; want limit_reached", err)
	}
	if err := livetemplate.Reply(<-late, 1); !errors.Is(err, livetemplate.ErrNotInHandler) {
		t.Fatalf("Reply after the handler returned: %v; want ErrNotInHandler", err)
	}
}

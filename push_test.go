package livetemplate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestPush: a push reaches every client of the page, in the order of the
// page's changes: each one after the diff of the Update made before it.
func TestPush(t *testing.T) {
	_, url, page := liveCounter(t)
	ctx := testContext(t)
	clients := []*livetemplatetest.Page{join(t, dial(t, url), page.GetToken()), join(t, dial(t, url), page.GetToken())}
	for i := 1; i <= 20; i++ {
		u, err := page.Update(counter{Count: i})
		if err != nil {
			t.Fatal(err)
		}
		if err := page.Push(ctx, "count", map[string]any{"n": i, "v": u.Version}); err != nil {
			t.Fatal(err)
		}
	}
	if err := page.Push(ctx, "bare", nil); err != nil {
		t.Fatal(err)
	}
	for c, p := range clients {
		for i := 1; i <= 20; i++ {
			m, err := p.NextPush(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var d struct{ N, V uint64 }
			if err := m.Decode(&d); err != nil || m.Name != "count" || d.N != uint64(i) {
				t.Fatalf("client %d: push %d: %s %s (%v)", c, i, m.Name, m.Data, err)
			}
			if m.Version != d.V {
				t.Fatalf("client %d: push %d arrived at version %d; want %d, the version of the Update before it", c, i, m.Version, d.V)
			}
		}
		if m, err := p.NextPush(ctx); err != nil || m.Name != "bare" || m.Data != nil {
			t.Fatalf("client %d: push without data: %+v, %v", c, m, err)
		}
	}
}

// TestPushErrors: a push with a bad name, past WithMaxPushSize, or of a
// page that ended fails; the one of the limit's size does not.
func TestPushErrors(t *testing.T) {
	app := counterApp(t, livetemplate.WithMaxPushSize(16))
	page := newPage(t, app, "counter", counter{})
	ctx := testContext(t)
	if err := page.Push(ctx, "ok", strings.Repeat("x", 14)); err != nil { // 16 bytes of JSON
		t.Fatalf("a push of the limit's size: %v", err)
	}
	if err := page.Push(ctx, "big", strings.Repeat("x", 15)); !errors.Is(err, livetemplate.ErrLimitReached) {
		t.Fatalf("a push past the limit: %v; want ErrLimitReached", err)
	}
	for _, name := range []string{"", strings.Repeat("n", 129)} {
		if err := page.Push(ctx, name, nil); err == nil {
			t.Fatalf("a push named %q: no error", name)
		}
	}
	if err := page.Push(ctx, "fn", func() {}); err == nil {
		t.Fatal("a push of data that JSON cannot encode: no error")
	}
	page.Close()
	if err := page.Push(ctx, "late", nil); !errors.Is(err, livetemplate.ErrPageClosed) {
		t.Fatalf("a push to a closed page: %v; want ErrPageClosed", err)
	}
}

// TestPushToSender: a handler's pushes to the sender reach the sender's
// connection alone, after the handler's diff and before the ack; a resent
// event gets none; outside a handler, PushToSender fails.
func TestPushToSender(t *testing.T) {
	app, url, page := liveCounter(t)
	handle(t, app, "counter", "toast", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		if err := add(ctx, p, 1, e.ID); err != nil {
			return err
		}
		return livetemplate.PushToSender(ctx, "toast", "added "+e.ID)
	})
	ctx := testContext(t)
	sender, other := join(t, dial(t, url), page.GetToken()), join(t, dial(t, url), page.GetToken())
	for range 2 { // the second, a resend, gets no push
		if err := sender.EventID(ctx, "s-1", "toast", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := sender.EventID(ctx, "s-2", "toast", nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		text string
		v    uint64
	}{{"added s-1", 2}, {"added s-2", 3}} {
		m, err := sender.NextPush(ctx)
		var text string
		if err != nil || m.Decode(&text) != nil || m.Name != "toast" || text != want.text || m.Version != want.v {
			t.Fatalf("push %+v (%s), %v; want %q at version %d, after the handler's diff", m, m.Data, err, want.text, want.v)
		}
	}
	waitHTML(t, other, counterSrc, page.Data())
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if m, err := other.NextPush(short); err == nil {
		t.Fatalf("the other connection got the sender's push %+v", m)
	}
	if err := livetemplate.PushToSender(ctx, "toast", nil); !errors.Is(err, livetemplate.ErrNotInHandler) {
		t.Fatalf("PushToSender outside a handler: %v; want ErrNotInHandler", err)
	}
}

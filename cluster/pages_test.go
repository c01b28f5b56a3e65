package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestPatternOneMoves: the client of a PageHandler page (the seed's
// Pattern 1) loses its connection and reconnects, within the disconnect
// grace, to another instance: it resumes the same page (token, version and
// data), its events apply there, and the page outlives the grace on the
// instance it left.
func TestPatternOneMoves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	const grace = time.Second
	a := newInstance(t, ns, "a", livetemplate.WithDisconnectGrace(grace))
	b := newInstance(t, ns, "b", livetemplate.WithDisconnectGrace(grace))
	first, err := livetemplatetest.Dial(ctx, a.srv.URL+"/page")
	if err != nil {
		t.Fatal(err)
	}
	p, err := first.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log := []string{"e1", "e2"}
	for _, id := range log {
		if err := send(ctx, p, id); err != nil {
			t.Fatal(err)
		}
	}
	converge(t, ctx, counterHTML(log), p)
	tok, v := p.Token(), p.Version()
	first.Drop()

	moved, err := livetemplatetest.Dial(ctx, b.srv.URL+"/page", livetemplatetest.WithToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { moved.Close() })
	again, err := moved.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML(log), again)
	if again.Token() != tok || again.Version() != v {
		t.Fatalf("resumed token %q at version %d, want %q at %d", again.Token(), again.Version(), tok, v)
	}
	// Past the grace on a, where the page's last connection left: the
	// page goes on, since b's client shows it.
	time.Sleep(2 * grace)
	log = append(log, "e3")
	if err := send(ctx, again, "e3"); err != nil {
		t.Fatalf("an event after the grace: %v", err)
	}
	converge(t, ctx, counterHTML(log), again)
	if got := storedLog(t, ctx, ns, pageID(t, a, tok)); counterHTML(got) != counterHTML(log) {
		t.Fatalf("stored log %v, want %v", got, log)
	}
}

// pageID is the id of the page of tok, as in instance's application.
func pageID(t *testing.T, in *instance, tok string) string {
	t.Helper()
	p, err := in.app.GetPage(tok)
	if err != nil {
		t.Fatalf("%s: the page: %v", in.name, err)
	}
	return p.ID()
}

// TestFollowerClose: Page.Close on an instance that does not own the page
// closes it everywhere: the clients of every instance get page_closed, and
// its record is deleted.
func TestFollowerClose(t *testing.T) {
	ctx, ns, ins, page := startCluster(t, 3)
	var clients []*livetemplatetest.Page
	for _, in := range ins {
		clients = append(clients, in.join(t, ctx, page.GetToken()))
	}
	there, err := ins[1].app.GetPage(page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	if err := there.Close(); err != nil {
		t.Fatal(err)
	}
	for i, p := range clients {
		err := p.Wait(ctx, func(string) bool { return false })
		var e *livetemplatetest.Error
		if !errors.As(err, &e) || e.Code != "page_closed" {
			t.Fatalf("client of %s: %v, want page_closed", ins[i].name, err)
		}
	}
	s := records(t, ns)
	waitGone(t, ctx, s, page.ID())
	if _, err := page.Render(); !errorsIs(err, livetemplate.ErrPageClosed) {
		t.Fatalf("Render on the owner: %v, want ErrPageClosed", err)
	}
}

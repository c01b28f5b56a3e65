package livetemplate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/internal/protocol"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// user is the identity of the tests' connections: the name in the cookie
// "user", or the zero user for a visitor without one.
type user struct{ Name string }

// userOf is the tests' WithConnect function: a cookie session, in short. A
// cookie "user" of "mallory" is refused.
func userOf(r *http.Request) (user, error) {
	c, err := r.Cookie("user")
	switch {
	case err != nil:
		return user{}, nil
	case c.Value == "mallory":
		return user{}, errors.New("banned")
	}
	return user{Name: c.Value}, nil
}

// whoSrc is the template of the identity tests: who the latest event came
// from.
const whoSrc = `<p>{{.}}</p>`

// whoApp serves an application with the template "who", whose event
// "whoami" sets the page's data to the name of its sender's identity, and
// its PageHandler at /who, whose pages start with the name of their
// connection's identity.
func whoApp(t *testing.T, opts ...livetemplate.Option) (*livetemplate.Application, string) {
	t.Helper()
	quiet := livetemplate.WithLogger(slog.New(slog.DiscardHandler)) // the panics are on purpose
	app := newApp(t, append([]livetemplate.Option{quiet, livetemplate.WithConnect(userOf)}, opts...)...)
	register(t, app, "who", whoSrc)
	handle(t, app, "who", "whoami", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		_, err := p.Update(nameOf(ctx))
		return err
	})
	handle(t, app, "who", "admin", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		if nameOf(ctx) != "root" {
			return fmt.Errorf("only root may do that: %w", livetemplate.ErrNotAllowed)
		}
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle("/who", app.PageHandler("who", func(r *http.Request) (any, error) { return nameOf(r.Context()), nil }))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	return app, srv.URL
}

// nameOf is the name of the identity that ctx carries: "nobody" without
// one, "anonymous" for the zero user.
func nameOf(ctx context.Context) string {
	u, ok := livetemplate.Identity[user](ctx)
	switch {
	case !ok:
		return "nobody"
	case u.Name == "":
		return "anonymous"
	}
	return u.Name
}

func as(name string) livetemplatetest.Option {
	if name == "" {
		return livetemplatetest.WithHeader(http.Header{})
	}
	return livetemplatetest.WithHeader(http.Header{"Cookie": {"user=" + name}})
}

// TestIdentityReachesHandlers: each connection's events run with the
// identity that WithConnect gave their connection, two connections on one
// page each with their own; a PageHandler's newData reads it from the
// request.
func TestIdentityReachesHandlers(t *testing.T) {
	app, url := whoApp(t)
	page := newPage(t, app, "who", "")
	ctx := testContext(t)
	for _, name := range []string{"alice", "", "bob", "alice"} {
		p := join(t, dial(t, url+"/live", as(name)), page.GetToken())
		if err := p.Event(ctx, "whoami", nil); err != nil {
			t.Fatal(err)
		}
		want := name
		if want == "" {
			want = "anonymous"
		}
		waitHTML(t, p, whoSrc, want)
	}
	own, err := dial(t, url+"/who", as("carol")).Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitPage(t, own, whoSrc, "carol", own.Token())
}

// TestNoIdentity: without WithConnect, handlers find no identity.
func TestNoIdentity(t *testing.T) {
	app, url := whoApp(t, livetemplate.WithConnect[user](nil))
	page := newPage(t, app, "who", "")
	p := join(t, dial(t, url+"/live", as("alice")), page.GetToken())
	if err := p.Event(testContext(t), "whoami", nil); err != nil {
		t.Fatal(err)
	}
	waitHTML(t, p, whoSrc, "nobody")
}

// TestConnectRefuses: an error of WithConnect's function refuses the
// handshake with 403 and the code not_allowed.
func TestConnectRefuses(t *testing.T) {
	_, url := whoApp(t)
	_, err := livetemplatetest.Dial(testContext(t), url+"/live", as("mallory"))
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("a refused identity's handshake: %v; want HTTP 403", err)
	}
}

// TestHandlerNotAllowed: a handler's error wrapping ErrNotAllowed reaches
// the sender as not_allowed; the page's data stays.
func TestHandlerNotAllowed(t *testing.T) {
	app, url := whoApp(t)
	page := newPage(t, app, "who", "")
	ctx := testContext(t)
	err := join(t, dial(t, url+"/live", as("alice")), page.GetToken()).Event(ctx, "admin", nil)
	if e := (*livetemplatetest.Error)(nil); !errors.As(err, &e) || e.Code != protocol.CodeNotAllowed {
		t.Fatalf("alice's admin event: %v; want %s", err, protocol.CodeNotAllowed)
	}
	if err := join(t, dial(t, url+"/live", as("root")), page.GetToken()).Event(ctx, "admin", nil); err != nil {
		t.Fatalf("root's admin event: %v", err)
	}
}

// TestReconnect: Reconnect closes the connections whose identity matches,
// with 4010, and only them.
func TestReconnect(t *testing.T) {
	app, url := whoApp(t)
	page := newPage(t, app, "who", "")
	alice, bob := dial(t, url+"/live", as("alice")), dial(t, url+"/live", as("bob"))
	join(t, alice, page.GetToken())
	bp := join(t, bob, page.GetToken())
	n := app.Reconnect(func(ctx context.Context, _ string) bool { return nameOf(ctx) == "alice" })
	if n != 1 {
		t.Errorf("Reconnect closed %d connections, want alice's 1", n)
	}
	select {
	case <-alice.Done():
	case <-testContext(t).Done():
		t.Fatal("alice's connection is still open")
	}
	if got := alice.CloseStatus(); got != protocol.CloseReconnect {
		t.Errorf("alice's connection closed with %d, want %d", got, protocol.CloseReconnect)
	}
	if err := bp.Event(testContext(t), "whoami", nil); err != nil {
		t.Fatalf("bob's connection after alice's reconnect: %v", err)
	}
	waitHTML(t, bp, whoSrc, "bob")
	if n := app.Reconnect(func(context.Context, string) bool { panic("a broken match") }); n != 0 {
		t.Errorf("a panicking match closed %d connections", n)
	}
}

package counter_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/examples/counter"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serve(t *testing.T) *pagetest.Server {
	t.Helper()
	s := pagetest.Start(t)
	if err := counter.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	return s
}

// connect opens a connection to the counter's endpoint, as a tab does, and
// returns the counter the endpoint made for it.
func connect(t *testing.T, ctx context.Context, s *pagetest.Server) *livetemplatetest.Page {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, s.URL+"/counter/live")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := c.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func shows(n string) func(string) bool {
	return func(html string) bool { return strings.Contains(html, `<p class="count">`+n+`</p>`) }
}

// TestCounter: each connection has a counter of its own.
func TestCounter(t *testing.T) {
	s := serve(t)
	ctx := pagetest.Context(t)
	one, two := connect(t, ctx, s), connect(t, ctx, s)
	for _, e := range []string{"increment", "increment", "decrement", "increment"} {
		if err := one.Event(ctx, e, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := one.Wait(ctx, shows("2")); err != nil {
		t.Fatalf("after +1 +1 -1 +1: %v; holds %s", err, one.HTML())
	}
	if err := two.Event(ctx, "decrement", nil); err != nil {
		t.Fatal(err)
	}
	if err := two.Wait(ctx, shows("-1")); err != nil {
		t.Fatalf("the second counter: %v; holds %s", err, two.HTML())
	}
	if !shows("2")(one.HTML()) {
		t.Errorf("the first counter changed with the second: %s", one.HTML())
	}
}

// TestCounterPage: the HTML page holds the root and connects to the
// counter's endpoint, without a token.
func TestCounterPage(t *testing.T) {
	body := serve(t).HTML(t, "/counter/")
	for _, want := range []string{`data-lvt-root`, `data-live="/counter/live"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if pagetest.Token(body) != "" {
		t.Error("a page per connection has no token in its HTML")
	}
}

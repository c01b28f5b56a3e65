package livetemplate_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// changes records the joins and leaves that WithJoinLeave tells, as
// "+name" and "-name" with the viewer's identity's name.
type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) option(grace time.Duration) []livetemplate.Option {
	record := func(sign string) func(context.Context, *livetemplate.Page, livetemplate.Viewer) {
		return func(ctx context.Context, p *livetemplate.Page, v livetemplate.Viewer) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.got = append(c.got, sign+nameOf(ctx)+"/"+v.Browser)
		}
	}
	return []livetemplate.Option{livetemplate.WithJoinLeave(record("+"), record("-")), livetemplate.WithLeaveGrace(grace)}
}

// wait waits until the record is want, and fails the test if it is
// anything else, then or for settle after.
func (c *changes) wait(t *testing.T, settle time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got := slices.Clone(c.got)
		c.mu.Unlock()
		switch {
		case slices.Equal(got, want):
			time.Sleep(settle)
			c.mu.Lock()
			defer c.mu.Unlock()
			if !slices.Equal(c.got, want) {
				t.Fatalf("joins and leaves %q, want %q", c.got, want)
			}
			return
		case len(got) > len(want) || time.Now().After(deadline):
			t.Fatalf("joins and leaves %q, want %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJoinLeave(t *testing.T) {
	const grace = 300 * time.Millisecond
	var ch changes
	app, url := whoApp(t, ch.option(grace)...)
	page := newPage(t, app, "who", "")
	ctx := testContext(t)
	live := url + "/live"

	// A viewer that says it leaves leaves at once.
	alice := join(t, dial(t, live, as("alice"), livetemplatetest.WithBrowser("b1", 1)), page.GetToken())
	if err := alice.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	ch.wait(t, 0, "+alice/b1", "-alice/b1")

	// A browser's next leading tab joins the same page names on a new
	// connection, which fences the old one: nobody leaves or joins.
	old := dial(t, live, as("bob"), livetemplatetest.WithBrowser("b2", 1))
	join(t, old, page.GetToken())
	ch.wait(t, 0, "+alice/b1", "-alice/b1", "+bob/b2")
	next := dial(t, live, as("bob"), livetemplatetest.WithBrowser("b2", 2))
	join(t, next, page.GetToken())
	<-old.Done()
	ch.wait(t, 2*grace, "+alice/b1", "-alice/b1", "+bob/b2")

	// A viewer whose connection is lost leaves after the grace, unless it
	// joins again within it.
	next.Drop()
	again := dial(t, live, as("bob"), livetemplatetest.WithBrowser("b2", 3))
	join(t, again, page.GetToken())
	ch.wait(t, 2*grace, "+alice/b1", "-alice/b1", "+bob/b2")
	start := time.Now()
	again.Drop()
	ch.wait(t, 0, "+alice/b1", "-alice/b1", "+bob/b2", "-bob/b2")
	if d := time.Since(start); d < grace {
		t.Errorf("a lost viewer left after %v, within the grace", d)
	}

	// Another identity on the same tab is another viewer.
	join(t, dial(t, live, as("carol"), livetemplatetest.WithBrowser("b3", 1)), page.GetToken()).Leave(ctx)
	ch.wait(t, 0, "+alice/b1", "-alice/b1", "+bob/b2", "-bob/b2", "+carol/b3", "-carol/b3")
}

// TestJoinLeaveSwap: within the grace, the same tab joining again as
// another identity (after a sign-out) leaves as the old one and joins as
// the new one.
func TestJoinLeaveSwap(t *testing.T) {
	var ch changes
	app, url := whoApp(t, ch.option(time.Minute)...)
	page := newPage(t, app, "who", "")
	c := dial(t, url+"/live", as("alice"), livetemplatetest.WithBrowser("b1", 1))
	join(t, c, page.GetToken())
	c.Drop()
	join(t, dial(t, url+"/live", as(""), livetemplatetest.WithBrowser("b1", 2)), page.GetToken())
	ch.wait(t, 0, "+alice/b1", "-alice/b1", "+anonymous/b1")
}

// TestLeaveGraceOption: a grace that is not positive is refused.
func TestLeaveGraceOption(t *testing.T) {
	if _, err := livetemplate.NewApplication(livetemplate.WithLeaveGrace(0)); err == nil {
		t.Error("WithLeaveGrace(0): no error")
	}
}

// TestPresence: the page shows who views it, changed by the join and leave
// functions from Page.Presence: a viewer's tabs count once.
func TestPresence(t *testing.T) {
	here := func(ctx context.Context, p *livetemplate.Page, _ livetemplate.Viewer) {
		names := map[string]bool{}
		for _, v := range p.Presence() {
			u, _ := livetemplate.ViewerIdentity[user](v)
			names[u.Name] = true
		}
		list := slices.Sorted(maps.Keys(names))
		p.Modify(ctx, func(any) (any, error) { return fmt.Sprintf("%d here: %s", len(list), strings.Join(list, ",")), nil })
	}
	app, url := whoApp(t, livetemplate.WithJoinLeave(here, here))
	page := newPage(t, app, "who", "")
	ctx := testContext(t)
	live := url + "/live"
	alice := dial(t, live, as("alice"), livetemplatetest.WithBrowser("b1", 1))
	a1 := join(t, alice, page.GetToken())
	join(t, alice, page.GetToken()) // alice's second tab
	bob := join(t, dial(t, live, as("bob")), page.GetToken())
	waitHTML(t, bob, whoSrc, "2 here: alice,bob")
	if n := len(page.Presence()); n != 3 {
		t.Errorf("%d viewers, want alice's 2 tabs and bob's", n)
	}
	if err := bob.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	waitHTML(t, a1, whoSrc, "1 here: alice")
}

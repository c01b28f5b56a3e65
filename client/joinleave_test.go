package client_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// viewerLog records the joins and leaves that WithJoinLeave tells, by the
// viewer's name (a tab's name for its page), in order.
type viewerLog struct {
	mu  sync.Mutex
	seq map[string]string // name -> "+", "+-", ...
}

func (l *viewerLog) options(grace time.Duration) []livetemplate.Option {
	l.seq = map[string]string{}
	record := func(sign string) func(context.Context, *livetemplate.Page, livetemplate.Viewer) {
		return func(_ context.Context, _ *livetemplate.Page, v livetemplate.Viewer) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.seq[v.Name] += sign
		}
	}
	return []livetemplate.Option{livetemplate.WithJoinLeave(record("+"), record("-")), livetemplate.WithLeaveGrace(grace)}
}

// counts returns how many viewers joined and stayed, joined and left once,
// and did anything else (a leave and a join again: a spurious pair).
func (l *viewerLog) counts() (stayed, left int, other []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, s := range l.seq {
		switch s {
		case "+":
			stayed++
		case "+-":
			left++
		default:
			other = append(other, name+" "+s)
		}
	}
	return stayed, left, other
}

// TestTabsJoinLeave: leaders crash, close and reload, 100 times, while
// other tabs stay: the tabs that stay never leave (their pages are joined
// again on the next leader's connection within the grace), and every tab
// that went leaves once, after the grace.
func TestTabsJoinLeave(t *testing.T) {
	handovers := 100
	if testing.Short() {
		handovers = 15
	}
	const grace = 5 * time.Second
	var log viewerLog
	b := browsertest.Start(t)
	ts := newTabsSite(t, log.options(grace)...)
	opened := 0
	newTab := func() *liveTab {
		opened++
		return ts.openTab(t, b, fmt.Sprintf("s%d", opened%3))
	}
	var tabs []*liveTab
	for range 4 {
		tabs = append(tabs, newTab())
	}
	_, epoch, _ := waitLeader(t, tabs, 0, 0)
	for r := range handovers {
		leader, _, _ := waitLeader(t, tabs, epoch-1, 0)
		victim := tabs[leader]
		tabs = append(tabs[:leader:leader], tabs[leader+1:]...)
		start := time.Now()
		switch r % 3 {
		case 0:
			crashTab(victim)
		case 1:
			victim.Close()
		case 2:
			victim.Navigate(ts.srv.URL + "/tab/" + victim.name)
		}
		_, epoch, _ = waitLeader(t, tabs, epoch, start.UnixMilli())
		if r%3 == 2 {
			opened += 2 // the reload's document, then load's own
			tabs = append(tabs, ts.load(t, victim.Tab, victim.name))
		} else {
			tabs = append(tabs, newTab())
		}
	}
	// Every tab that went leaves (the first document of a reload too, if
	// it had joined before the next load), and no tab that stays does.
	deadline := time.Now().Add(grace + 10*time.Second)
	for {
		stayed, left, other := log.counts()
		if len(other) > 0 {
			t.Fatalf("viewers that left and joined again, or joined twice: %q", other)
		}
		if stayed == len(tabs) && left >= handovers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d viewers stay and %d left; want the %d open tabs, and at least the %d gone", stayed, left, len(tabs), handovers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(grace) // a late spurious leave would come by now
	stayed, left, other := log.counts()
	if stayed != len(tabs) || len(other) > 0 || left > opened-len(tabs) {
		t.Errorf("after the grace: %d stay, %d left, %q; want %d, at most %d and none", stayed, left, other, len(tabs), opened-len(tabs))
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, tab := range tabs {
		if s := log.seq[tab.id+"~1"]; s != "+" {
			t.Errorf("open tab %s: joins and leaves %q, want one join", tab.id, s)
		}
	}
	t.Logf("%d handovers: %d viewers stay, %d left, none left and joined again", handovers, stayed, left)
}

// TestPresenceConverge: three tabs of one page, whose count is the page's
// viewers (Page.Presence, re-rendered by WithJoinLeave): when a tab that
// does not lead closes, the others show it gone at once (it leaves the
// page); when the leading tab closes, after the grace (its connection is
// lost), not sooner, and within twice the grace. It logs both times:
// presence.converge_ms.
func TestPresenceConverge(t *testing.T) {
	const grace = 2 * time.Second
	count := func(ctx context.Context, p *livetemplate.Page, _ livetemplate.Viewer) {
		n := len(p.Presence())
		p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count = n
			return c, nil
		})
	}
	b := browsertest.Start(t)
	ts := newTabsSite(t, livetemplate.WithJoinLeave(count, count), livetemplate.WithLeaveGrace(grace))
	tabs := ts.openTabs(t, b, []string{"p", "p", "p"})
	shows := func(tab *liveTab, n int) string {
		return fmt.Sprintf(`document.getElementById("count").textContent === "%d"`, n)
	}
	for _, tab := range tabs {
		tab.WaitFor(shows(tab, 3), 10*time.Second)
	}
	leader, _, _ := waitLeader(t, tabs, 0, 0)
	follower := (leader + 1) % 3
	start := time.Now()
	tabs[follower].Close()
	tabs[leader].WaitFor(shows(tabs[leader], 2), 10*time.Second)
	closedFollower := time.Since(start)

	rest := tabs[3-leader-follower]
	start = time.Now()
	tabs[leader].Close()
	rest.WaitFor(shows(rest, 1), 3*grace)
	closedLeader := time.Since(start)
	if closedLeader < grace {
		t.Errorf("the leading tab's viewer left after %v, within the grace %v", closedLeader, grace)
	}
	if closedLeader > 2*grace {
		t.Errorf("the leading tab's viewer left after %v, past twice the grace %v", closedLeader, grace)
	}
	t.Logf("presence.converge_ms: a tab that does not lead %d ms; the leading tab %d ms (grace %v)", closedFollower.Milliseconds(), closedLeader.Milliseconds(), grace)
}

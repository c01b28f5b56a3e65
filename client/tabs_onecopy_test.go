package client_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// TestTabsOneCopy: five tabs of a browser show one page (a sixth, which
// leads, and a seventh show others): the server writes one diff per event
// to the shared connection, not one per tab (frames counted on the real
// socket: the diff and the sender's ack), and every tab shows the page.
// A tab that closes leaves the page joined for the others, the tab whose
// join carried the page's diffs too (another carries them on), a leader
// crash while two tabs push runs every event once, and the last tab of the
// page that closes leaves it, while the connection stays for the other
// page. (Before, the server wrote a diff to each of the five tabs.)
func TestTabsOneCopy(t *testing.T) {
	b := browsertest.Start(t)
	ts := newTabsSite(t)
	leader := ts.openTab(t, b, "other")
	tabs := ts.openTabs(t, b, []string{"one", "one", "one", "one", "one"})
	keep := ts.openTab(t, b, "keep")
	if i, _, _ := waitLeader(t, []*liveTab{leader, keep}, 0, 0); i != 0 {
		t.Fatalf("tab %d leads, want the first", i)
	}
	one := ts.pageOf(t, tabs[0])
	n := 0
	// ticks pushes k events from tab, one at a time, waits until every tab
	// of tabs shows the page, and checks the frames the server wrote.
	ticks := func(from *liveTab, k int, shown []*liveTab) {
		t.Helper()
		time.Sleep(300 * time.Millisecond) // the joins' answers are written
		before := ts.conns.Writes()
		for range k {
			n++
			push(t, from, "tick", fmt.Sprintf(`{k: "one.%d"}`, n))
		}
		for _, tab := range shown {
			ts.waitHTML(tab.Tab, one)
		}
		if w := ts.conns.Writes() - before; w > int64(2*k+2) {
			t.Errorf("%d tabs on the page: the server wrote %d frames for %d events, want at most 2 each (the diff and the ack)", len(shown), w, k)
		}
	}
	ticks(tabs[3], 20, tabs)

	tabs[1].Close() // a tab whose join is quiet
	waitViewers(t, one, 4)
	ticks(tabs[3], 10, []*liveTab{tabs[0], tabs[2], tabs[3], tabs[4]})

	tabs[0].Close() // the tab whose join carried the page: another carries it on
	waitViewers(t, one, 3)
	rest := tabs[2:]
	ticks(tabs[4], 10, rest)

	// The leader crashes while two tabs push: every event runs once, and
	// the tabs show the page on the next leader's connection.
	for _, tab := range rest[:2] {
		browsertest.MustEval[bool](tab.Tab, `startPumps(1)`)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	crashTab(leader)
	waitLeader(t, append([]*liveTab{keep}, rest...), 0, start.UnixMilli())
	time.Sleep(300 * time.Millisecond)
	for _, tab := range rest[:2] {
		r := browsertest.MustEval[map[string][]string](tab.Tab, `stopPumps()`)
		if len(r["failed"]) > 0 || len(r["acked"]) != len(r["sent"]) || len(r["sent"]) == 0 {
			t.Errorf("tab %s: %d sent, %d acknowledged, failed %q", tab.id, len(r["sent"]), len(r["acked"]), r["failed"])
		}
	}
	ts.runsOnce(t)
	waitViewers(t, one, 3)
	ticks(rest[0], 10, rest)

	// The page's last tabs close (the leader may be among them): the page
	// is left, the connection stays for the other page.
	for _, tab := range rest {
		tab.Close()
	}
	waitViewers(t, one, 0)
	ts.waitOpen(t, 1)
	push(t, keep, "tick", `{k: "keep"}`)
	ts.waitHTML(keep.Tab, ts.pageOf(t, keep))
	ts.runsOnce(t)
	noConsole(t, keep.Tab)
}

// waitViewers waits until p has n joins on the server.
func waitViewers(t *testing.T, p *livetemplate.Page, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Viewers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the page has %d viewers, want %d", p.Viewers(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

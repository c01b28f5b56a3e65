package client_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The browser tests of a leader that stops answering: a main thread that
// hangs is deposed, one that a hidden tab's throttled timers slow is not.

// block blocks tab's main thread for d, from a task of its own, so that the
// evaluation returns first.
func block(t *testing.T, tab *liveTab, d time.Duration) {
	t.Helper()
	browsertest.MustEval[bool](tab.Tab, `setTimeout(() => { const end = Date.now() + `+strconv.FormatInt(d.Milliseconds(), 10)+`; while (Date.now() < end); }, 0), true`)
}

// hide minimizes tab's window: its document is hidden, and, in a browser
// started without the flags that turn throttling off, its timers are
// throttled as a background tab's are.
func hide(t *testing.T, tab *liveTab) {
	t.Helper()
	win, err := chromedp.Call(tab.Context(), browser.GetWindowForTarget, browser.GetWindowForTargetParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tab.Context(), browser.SetWindowBounds, browser.SetWindowBoundsParams{WindowID: win.WindowID, Bounds: &browser.Bounds{WindowState: browser.WindowStateMinimized}}); err != nil {
		t.Fatal(err)
	}
	tab.WaitFor(`document.visibilityState === "hidden"`, 5*time.Second)
}

func TestTabsHungLeader(t *testing.T) {
	b := browsertest.Start(t)
	ts := newTabsSite(t)
	tabs := ts.openTabs(t, b, names("h", 3))
	leader, epoch, _ := waitLeader(t, tabs, 0, 0)
	rest := slices.Delete(slices.Clone(tabs), leader, leader+1)
	start := time.Now()
	block(t, tabs[leader], 6*time.Second)
	// A follower's event waits for the leader: a follower takes the lead
	// from it, and the event runs on the new leader's connection.
	waited := browsertest.MustEval[float64](rest[0].Tab, `(() => { const t0 = performance.now(); return liveTemplate.pushEvent("add").then(() => performance.now() - t0); })()`)
	t.Logf("the follower's event waited %.0f ms while the leader hung", waited)
	if waited > 3000 {
		t.Errorf("the follower's event waited %.0f ms while the leader hung, want at most 3000", waited)
	}
	waitLeader(t, rest, epoch, start.UnixMilli())
	ts.converge(t, rest, 40)
	// The old leader wakes: it follows the new one.
	time.Sleep(time.Until(start.Add(6 * time.Second)))
	_, epoch2, _ := waitLeader(t, tabs, epoch, 0)
	if v, _ := viewOf(tabs[leader]); v.Leader == v.Tab {
		t.Errorf("the old leader leads again (epoch %.0f)", epoch2)
	}
	for _, tab := range tabs {
		push(t, tab, "add", `{n: 2}`)
	}
	ts.converge(t, tabs, 50)
	ts.end(t, tabs, 1, 2)
}

// TestTabsHiddenLeader: a leader in a hidden tab, whose timers the browser
// throttles, answers the followers' questions from its message handler, so
// that nobody takes the lead from it.
func TestTabsHiddenLeader(t *testing.T) {
	b := browsertest.Start(t,
		chromedp.Flag("disable-background-timer-throttling", false),
		chromedp.Flag("disable-renderer-backgrounding", false),
		chromedp.Flag("disable-backgrounding-occluded-windows", false))
	ts := newTabsSite(t)
	tabs := ts.openTabs(t, b, names("b", 3))
	leader, epoch, _ := waitLeader(t, tabs, 0, 0)
	hide(t, tabs[leader])
	browsertest.MustEval[bool](tabs[leader].Tab, `window.ticks = []; { let last = performance.now(); setInterval(() => { const n = performance.now(); ticks.push(n - last); last = n; }, 50); } true`)
	for _, tab := range tabs {
		if tab != tabs[leader] {
			browsertest.MustEval[bool](tab.Tab, `startPumps(2)`)
		}
	}
	time.Sleep(5 * time.Second)
	if gaps := browsertest.MustEval[[]float64](tabs[leader].Tab, `ticks`); len(gaps) > 20 {
		t.Fatalf("the hidden leader's timers ran %d times in 5 s: not throttled", len(gaps))
	}
	for _, tab := range tabs {
		if tab != tabs[leader] {
			browsertest.MustEval[struct{ Sent []string }](tab.Tab, `stopPumps()`)
		}
	}
	if again, epoch2, _ := waitLeader(t, tabs, 0, 0); again != leader || epoch2 != epoch {
		t.Errorf("tab %d leads on epoch %.0f, want the hidden leader %d on %.0f", again, epoch2, leader, epoch)
	}
	ts.end(t, tabs, 1, 1)
}

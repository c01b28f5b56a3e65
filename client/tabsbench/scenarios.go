package tabsbench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// openAll opens a tab on each path of s, in order, and returns them with a
// function that closes them all.
func (b *browser) openAll(s *server, paths ...string) ([]*tab, func(), error) {
	var tabs []*tab
	closeAll := func() {
		for _, t := range tabs {
			t.close()
		}
	}
	for _, p := range paths {
		t, err := b.open(s.srv.URL + p)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		tabs = append(tabs, t)
	}
	return tabs, closeAll, nil
}

// hungLeader opens three tabs, makes the followers push events without
// pause, blocks the leader's main thread for 6 s, and returns the longest
// wait of a follower's event for its ack, in milliseconds.
func hungLeader(b *browser) (float64, error) {
	s, err := newServer()
	if err != nil {
		return 0, err
	}
	defer s.close()
	tabs, closeAll, err := b.openAll(s, "/tab/h0", "/tab/h1", "/tab/h2")
	if err != nil {
		return 0, err
	}
	defer closeAll()
	leader, _, _, err := waitLeader(tabs, 0, 0)
	if err != nil {
		return 0, err
	}
	rest := slices.Delete(slices.Clone(tabs), leader, leader+1)
	for _, t := range rest {
		if _, err := browsertest.EvalIn[bool](t.ctx, `startPumps(1)`); err != nil {
			return 0, err
		}
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := browsertest.EvalIn[bool](tabs[leader].ctx, `setTimeout(() => { const end = Date.now() + 6000; while (Date.now() < end); }), true`); err != nil {
		return 0, err
	}
	// A follower that shares the leader's renderer process, and so its
	// main thread, hangs with it: the measure would say nothing of the
	// client.
	time.Sleep(100 * time.Millisecond)
	for _, t := range rest {
		ctx, cancel := context.WithTimeout(t.ctx, time.Second)
		_, err := browsertest.EvalIn[int](ctx, `1`)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("tabsbench: a follower does not answer while the leader hangs (one renderer process?): %w", err)
		}
	}
	time.Sleep(7 * time.Second)
	longest := 0.0
	for _, t := range rest {
		p, err := browsertest.EvalIn[struct{ Sent, Acked, Failed []string }](t.ctx, `stopPumps()`)
		if err != nil {
			return 0, err
		}
		if len(p.Failed) > 0 || len(p.Acked) != len(p.Sent) {
			return 0, fmt.Errorf("tabsbench: a follower's pushes while the leader hung: %d sent, %d acknowledged, failed %v", len(p.Sent), len(p.Acked), p.Failed)
		}
		waits, err := browsertest.EvalIn[[]float64](t.ctx, `waits`)
		if err != nil {
			return 0, err
		}
		longest = max(longest, slices.Max(waits))
	}
	return longest, nil
}

// twoEndpoints opens four tabs, two on each of two mounts of one
// application's endpoint, and returns how many connections they opened in d.
func twoEndpoints(b *browser, d time.Duration) (int, error) {
	s, err := newServer()
	if err != nil {
		return 0, err
	}
	defer s.close()
	start := time.Now()
	_, closeAll, err := b.openAll(s, "/tab/e0?live=/live", "/tab/e1?live=/admin/live", "/tab/e2?live=/live", "/tab/e3?live=/admin/live")
	if err != nil {
		return 0, err
	}
	defer closeAll()
	time.Sleep(time.Until(start.Add(d)))
	return s.conns.Opened(), nil
}

// clickToPaint opens two tabs on one page loaded with data-version, waits
// until the page's tree came in idle time, and clicks n times in the leader,
// then in the follower: it returns each one's times from click to change.
func clickToPaint(b *browser, n int) (leader, follower []float64, err error) {
	s, err := newServer()
	if err != nil {
		return nil, nil, err
	}
	defer s.close()
	tabs, closeAll, err := b.openAll(s, "/tab/c?version", "/tab/c?version")
	if err != nil {
		return nil, nil, err
	}
	defer closeAll()
	l, _, _, err := waitLeader(tabs, 0, 0)
	if err != nil {
		return nil, nil, err
	}
	time.Sleep(2 * time.Second) // the tree comes a second after the join
	click := fmt.Sprintf(`click(%d)`, n)
	if leader, err = browsertest.EvalIn[[]float64](tabs[l].ctx, click); err != nil {
		return nil, nil, err
	}
	follower, err = browsertest.EvalIn[[]float64](tabs[1-l].ctx, click)
	return leader, follower, err
}

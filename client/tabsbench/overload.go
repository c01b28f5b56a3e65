package tabsbench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// Overload is what the overload scenario measured: tabs that push events
// at about four times the default WithEventRate (which they share) while
// their leader crashes twice.
type Overload struct {
	// Events is how many events ran.
	Events int
	// Lost are events that never ran: acknowledged to any tab, or pending
	// in a tab that lived to the end once the pushes settled.
	Lost int
	// Duplicated are the runs of an event after its first.
	Duplicated int
	// OutOfOrder are runs of a tab's event after one it pushed later.
	OutOfOrder int
	// Failed are pushes that failed (outbox_full, the client's own limit,
	// when the server runs events slower than the tab pushes them), and
	// Unsettled those neither acknowledged nor failed 60 s after the last.
	Failed, Unsettled int
}

// overloadPushes is how many events each tab pushes, one every
// overloadEvery: 8 tabs push about 230 a second, 4.6 times the default 50.
const (
	overloadPushes = 150
	overloadEvery  = 35 * time.Millisecond
)

// overload opens n tabs, each on a page of its own, served with the default
// rate limits, makes them push events without waiting for their acks, and
// crashes their leader crashes times, a second and a half apart.
func overload(b *browser, n, crashes int) (Overload, error) {
	var r Overload
	s, err := newServer(livetemplate.WithEventRate(livetemplate.DefaultEventRate, livetemplate.DefaultEventBurst))
	if err != nil {
		return r, err
	}
	defer s.close()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf("/tab/o%d", i)
	}
	all, closeAll, err := b.openAll(s, paths...)
	if err != nil {
		return r, err
	}
	defer closeAll()
	tabs := slices.Clone(all) // those alive
	_, epoch, _, err := waitLeader(tabs, 0, 0)
	if err != nil {
		return r, err
	}
	flood := fmt.Sprintf(`flood(%d, %d).then((r) => window.flooded = r), true`, overloadPushes, overloadEvery.Milliseconds())
	for _, t := range tabs {
		if _, err := browsertest.EvalIn[bool](t.ctx, flood); err != nil {
			return r, err
		}
	}
	var acked []string // by the crashed tabs
	for range crashes {
		time.Sleep(1500 * time.Millisecond)
		leader, now, _, err := waitLeader(tabs, epoch-1, 0)
		if err != nil {
			return r, err
		}
		a, err := browsertest.EvalIn[[]string](tabs[leader].ctx, `acked`)
		if err != nil {
			return r, err
		}
		acked = append(acked, a...)
		tabs[leader].crash()
		tabs = slices.Delete(tabs, leader, leader+1)
		if _, epoch, _, err = waitLeader(tabs, now, 0); err != nil {
			return r, err
		}
	}
	keys, err := settled(tabs, &r)
	if err != nil {
		return r, err
	}
	r.Events, r.Lost, r.Duplicated = s.tally(append(keys, acked...))
	r.OutOfOrder = s.outOfOrder()
	return r, nil
}

// settled waits for the floods of tabs to settle, counts their failed and
// unsettled pushes into r, and returns every key they pushed but for the
// failed ones.
func settled(tabs []*tab, r *Overload) ([]string, error) {
	var keys []string
	for _, t := range tabs {
		if err := browsertest.WaitIn(t.ctx, `window.flooded !== undefined`, 120*time.Second); err != nil {
			return nil, err
		}
		p, err := browsertest.EvalIn[struct{ Sent, Acked, Failed []string }](t.ctx, `flooded`)
		if err != nil {
			return nil, err
		}
		r.Failed += len(p.Failed)
		r.Unsettled += len(p.Sent) - len(p.Acked) - len(p.Failed)
		failed := map[string]bool{}
		for _, f := range p.Failed {
			k, _, _ := strings.Cut(f, " ")
			failed[k] = true
		}
		for _, k := range p.Sent {
			if !failed[k] {
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}

// flood is the handler of the flood scenario's events: as tick, and it
// counts the runs of a tab's event after one that the tab pushed later (a
// key is the tab's id, a dot and the push's number).
func (s *server) flood(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	var d struct{ K string }
	if err := e.Decode(&d); err != nil {
		return err
	}
	tab, num, _ := strings.Cut(d.K, ".")
	n, _ := strconv.Atoi(num)
	s.mu.Lock()
	if n < s.last[tab] {
		s.disorder++
	}
	s.last[tab] = max(s.last[tab], n)
	s.mu.Unlock()
	return s.tick(ctx, p, e)
}

// outOfOrder returns how many events ran after one that their tab pushed
// later.
func (s *server) outOfOrder() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disorder
}

// framesPerEvent opens n tabs on one page, clicks clicks times in a
// follower, and returns the frames the server wrote per click.
func framesPerEvent(b *browser, n, clicks int) (float64, error) {
	s, err := newServer()
	if err != nil {
		return 0, err
	}
	defer s.close()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = "/tab/f"
	}
	tabs, closeAll, err := b.openAll(s, paths...)
	if err != nil {
		return 0, err
	}
	defer closeAll()
	leader, _, _, err := waitLeader(tabs, 0, 0)
	if err != nil {
		return 0, err
	}
	follower := tabs[(leader+1)%len(tabs)]
	time.Sleep(time.Second) // the joins' answers are written
	before := s.conns.Writes()
	if _, err := browsertest.EvalIn[[]float64](follower.ctx, fmt.Sprintf(`click(%d)`, clicks)); err != nil {
		return 0, err
	}
	time.Sleep(200 * time.Millisecond) // the last click's copies to the other tabs
	return float64(s.conns.Writes()-before) / float64(clicks), nil
}

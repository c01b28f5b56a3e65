package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/internal/clustertest"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// stressNode is an instance of the hand-off stress test, with the link to
// NATS that the test holds or cuts.
type stressNode struct {
	in   *instance
	link *proxy
}

// stressed is a cluster of instances with short leases and store calls,
// each through a link of its own.
type stressed struct {
	t  *testing.T
	ns *natsServer

	mu    sync.Mutex
	nodes []*stressNode
	made  int
}

// start starts an instance: a second lease, and store calls that time out
// after 500 ms, so that a held link makes their acks late.
func (s *stressed) start() *stressNode {
	s.mu.Lock()
	name := fmt.Sprintf("i%d", s.made)
	s.made++
	s.mu.Unlock()
	link := startProxy(s.t, fmt.Sprintf("127.0.0.1:%d", s.ns.port))
	in := newInstanceVia(s.t, s.ns, link.url(), name, []cluster.Option{cluster.WithLease(time.Second)},
		livetemplate.WithStoreTimeout(500*time.Millisecond))
	n := &stressNode{in: in, link: link}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = append(s.nodes, n)
	return n
}

// remove takes n out of the instances that clients connect to.
func (s *stressed) remove(n *stressNode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = slices.DeleteFunc(s.nodes, func(m *stressNode) bool { return m == n })
}

func (s *stressed) node(i int) *stressNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[i]
}

func (s *stressed) urls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var urls []string
	for _, n := range s.nodes {
		urls = append(urls, n.in.srv.URL)
	}
	return urls
}

// stressAck bounds the wait for each event's ack in the stress test: far
// longer than a lapsed lease and a takeover take. A page that hangs (its
// events answered unavailable for ever) fails the test here.
const stressAck = 15 * time.Second

// TestHandoffStress: three instances with a second's lease serve pages
// whose clients send events all the time, while in each round one instance
// shuts down and hands its pages off as another is cut off NATS for longer
// than its lease (its pages are taken over; it misses the hand-off; then it
// regains its lease), and the acks of an instance's store writes are held
// past the store's timeout (the writes are made, the instance does not
// learn their revisions). Every event is acknowledged within stressAck, is
// in its page once, and none twice (an event whose write failed fails, and
// is not in the page); and every record of a page that the
// store holds, as a watcher sees them, extends the log of the one before:
// a page written by two owners at once forks its log.
func TestHandoffStress(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := &stressed{t: t, ns: startNATS(t)}
	var ids, toks []string
	for range 3 {
		p, err := s.start().in.app.NewPage("counter", counter{})
		if err != nil {
			t.Fatal(err)
		}
		ids, toks = append(ids, p.ID()), append(toks, p.GetToken())
	}
	store := records(t, s.ns)
	watching, stopWatching := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watchLogs(t, watching, store, ids)
	}()
	acked, failed := sendAll(t, ctx, s, toks, func() { disturb(s) })
	stopWatching()
	<-watched
	if t.Failed() {
		return
	}
	for k, id := range ids {
		log := storedLog(t, ctx, s.ns, id)
		if lost, twice := clustertest.Audit(acked[k], log); lost != 0 || twice != 0 || len(log) != len(acked[k]) {
			t.Errorf("page %d: %d acknowledged events lost, %d applied twice; %d in the page, %d acknowledged", k, lost, twice, len(log), len(acked[k]))
		}
		for _, id := range failed[k] {
			if slices.Contains(log, id) {
				t.Errorf("page %d: event %s failed, and is in the page", k, id)
			}
		}
		t.Logf("page %d: %d events acknowledged, %d failed", k, len(acked[k]), len(failed[k]))
	}
}

// disturb runs the rounds of TestHandoffStress.
func disturb(s *stressed) {
	for round := range 3 {
		gone, cut := s.node(0), s.node(1)
		cut.link.setCut(true)
		s.remove(gone)
		gone.in.shutdown() // the cut-off instance misses the hand-off
		time.Sleep(1500 * time.Millisecond)
		cut.link.setCut(false)
		s.start()
		time.Sleep(300 * time.Millisecond)
		release := s.node(round % 3).link.hold()
		time.Sleep(700 * time.Millisecond)
		release()
		time.Sleep(500 * time.Millisecond)
	}
}

// sendAll has two clients of each page of toks send events until during
// returns, and returns the ids of the acknowledged events by page, and of
// those that failed.
func sendAll(t *testing.T, ctx context.Context, s *stressed, toks []string, during func()) (acked, failed map[int][]string) {
	var roamers []*clustertest.Roamer
	for i := range 2 * len(toks) {
		ro, err := clustertest.NewRoamer(ctx, func() []string { return rotate(s.urls(), i) }, toks[i%len(toks)])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ro.Close)
		roamers = append(roamers, ro)
	}
	acked, failed = make(map[int][]string), make(map[int][]string)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sending, stop := context.WithCancel(ctx)
	for i, ro := range roamers {
		wg.Go(func() {
			for j := 0; sending.Err() == nil; j++ {
				id := fmt.Sprintf("r%d-%d", i, j)
				actx, cancel := context.WithTimeout(ctx, stressAck)
				err := ro.Send(actx, "add", id)
				cancel()
				var e *livetemplatetest.Error
				switch {
				case errors.As(err, &e) && e.Code == "handler_error":
					// Its write failed (the store timed out): it is not in
					// the page, and a user would see it fail.
					mu.Lock()
					failed[i%len(toks)] = append(failed[i%len(toks)], id)
					mu.Unlock()
				case err != nil:
					t.Errorf("event %s not acknowledged within %v: %v", id, stressAck, err)
					return
				default:
					mu.Lock()
					acked[i%len(toks)] = append(acked[i%len(toks)], id)
					mu.Unlock()
				}
				time.Sleep(10 * time.Millisecond) // a user's pace, far faster than a person's
			}
		})
	}
	during()
	stop()
	wg.Wait()
	return acked, failed
}

// watchLogs reads the records of the pages ids until ctx is done, and fails
// the test when a record's log does not extend the log of the record read
// before it, or its count is not its log's length.
func watchLogs(t *testing.T, ctx context.Context, store livetemplate.Store, ids []string) {
	last := make([][]string, len(ids))
	for ctx.Err() == nil {
		for k, id := range ids {
			rec, err := store.Get(ctx, id)
			if err != nil {
				continue // NATS is slow now: read it again
			}
			c := rec.Data.(counter)
			switch {
			case c.Count != len(c.Log):
				t.Errorf("page %d: count %d with %d events in its log", k, c.Count, len(c.Log))
				return
			case len(c.Log) < len(last[k]) || !slices.Equal(c.Log[:len(last[k])], last[k]):
				t.Errorf("page %d: written by two owners: its log went from %v to %v", k, last[k], c.Log)
				return
			}
			last[k] = c.Log
		}
		time.Sleep(5 * time.Millisecond)
	}
}

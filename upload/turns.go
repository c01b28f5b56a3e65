package upload

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// restopEvery is how often a request that waits for an upload's turn
	// stops the running one again: tusd pushes a request's read deadline
	// forward after every read, which may undo a stop made just before.
	restopEvery = 50 * time.Millisecond
	// turnWait bounds the wait for an upload's turn: about tusd's network
	// timeout, after which a request stuck on a dead connection ends.
	turnWait = time.Minute
)

// errBusy is the end of a wait for an upload's turn that did not come.
var errBusy = errors.New("another request of this upload is still running")

// turns lets one request of an upload, or the sweeper's work on it, run at a
// time. A new request of an
// upload (a client resuming after a drop asks HEAD at once) stops the one
// running, which may wait for bytes from a connection that is gone, and
// waits for its end. tusd does the same with its locker's release requests,
// but its release cancels the request's context, which races (tusd v2.9.1)
// with a PATCH setting up its body reader. A read deadline in the past ends
// the request's body read without that.
type turns struct {
	mu      sync.Mutex // guards running
	running map[string]*turn
}

type turn struct {
	rc    *http.ResponseController // nil outside a request
	body  *watchedBody             // nil for a request without a body
	ended bool                     // under turns.mu
	done  chan struct{}            // closed when the request ended
}

// watchedBody tells whether a request's body is being read now.
type watchedBody struct {
	io.ReadCloser
	reading atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.reading.Store(true)
	defer b.reading.Store(false)
	return b.ReadCloser.Read(p)
}

// stop makes the request's body read fail. Only a read in progress is
// stopped: a read deadline in the past also fails the background read that
// net/http runs once a request's body is read, and that would end the
// connection's context, which its next requests share. Under turns.mu.
func (t *turn) stop() {
	if t.body != nil && !t.ended && t.body.reading.Load() {
		_ = t.rc.SetReadDeadline(time.Now())
	}
}

// enter waits until no other request of upload id runs, stopping the one
// that does, and returns the call that ends r's turn. It may replace r's
// body. It does not wait on r's context: a stop can end it (see stop).
func (q *turns) enter(id string, w http.ResponseWriter, r *http.Request) (leave func(), err error) {
	mine := &turn{rc: http.NewResponseController(w), done: make(chan struct{})}
	if r.Method == http.MethodPatch && r.Body != nil {
		mine.body = &watchedBody{ReadCloser: r.Body}
		r.Body = mine.body
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), turnWait)
	defer cancel()
	if err := q.take(ctx, id, mine); err != nil {
		return nil, errBusy
	}
	return func() { q.leave(id, mine) }, nil
}

// hold takes the turn of upload id for work outside a request (the
// sweeper's, a refused request's), stopping and waiting out the request
// that runs, and returns the call that ends the turn.
func (q *turns) hold(id string) (release func()) {
	mine := &turn{done: make(chan struct{})}
	_ = q.take(context.Background(), id, mine) // no deadline: it waits
	return func() { q.leave(id, mine) }
}

// take makes mine the turn of upload id once no other turn runs.
func (q *turns) take(ctx context.Context, id string, mine *turn) error {
	for {
		q.mu.Lock()
		cur := q.running[id]
		if cur == nil {
			if q.running == nil {
				q.running = make(map[string]*turn)
			}
			q.running[id] = mine
			q.mu.Unlock()
			return nil
		}
		cur.stop()
		q.mu.Unlock()
		if err := q.wait(ctx, cur); err != nil {
			return err
		}
	}
}

// wait waits for cur's end, stopping it again now and then.
func (q *turns) wait(ctx context.Context, cur *turn) error {
	tick := time.NewTicker(restopEvery)
	defer tick.Stop()
	for {
		select {
		case <-cur.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			q.mu.Lock()
			cur.stop()
			q.mu.Unlock()
		}
	}
}

// leave ends t's turn. A stop may have set the connection's read deadline,
// which would fail the connection's next request: it is cleared, and t is
// stopped no more.
func (q *turns) leave(id string, t *turn) {
	q.mu.Lock()
	delete(q.running, id)
	t.ended = true
	if t.body != nil {
		_ = t.rc.SetReadDeadline(time.Time{})
	}
	q.mu.Unlock()
	close(t.done)
}

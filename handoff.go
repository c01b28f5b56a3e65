package livetemplate

import (
	"context"
	"fmt"
	"sync"
)

// Shutdown closes the application gracefully, as a deploy stops an
// instance: it stops starting page changes (event handlers, and in a
// cluster the changes that other instances forward), waits until those
// that run end or ctx is done, and then closes the application as Close
// does. In a cluster it first gives up its pages: it releases its lease
// and tells the instances that follow each page it owns, one of which
// takes the page over at once, without waiting for the lease to lapse.
// Its clients then reconnect to any instance and resume by version; the
// events that it had not run are sent again by the clients and run once,
// on the page's new owner. Events of its connections that arrive meanwhile
// wait and are never answered here; other instances' wait for the new
// owner.
//
// Shutdown does not close the http.Server serving [Application.Handler]:
// call http.Server.Shutdown after it. If ctx ends before the running
// changes do, Shutdown cancels their handlers' contexts, closes anyway and
// returns ctx's error.
func (a *Application) Shutdown(ctx context.Context) error {
	err := a.handoff.drain(ctx)
	a.closeOnce.Do(a.handOver)
	if err != nil {
		return fmt.Errorf("livetemplate: shutdown: running events cancelled: %w", err)
	}
	return nil
}

// handOver closes the application after Shutdown's drain. The changes held
// back return once the connections close, so that their answers (to resend)
// go nowhere: the clients resend them elsewhere at once; then the cluster,
// which waits for the forwarded ones among them, releases the lease, and
// the followers hear that the pages are free.
func (a *Application) handOver() {
	owned := a.pages.owned()
	a.conns.goAway()
	a.handoff.release()
	a.viewers.Close()
	a.topics.close()
	a.closePresence()
	if a.cfg.cluster != nil {
		a.cfg.cluster.Close()
		for _, p := range owned {
			a.cfg.cluster.Publish(p.id, control{}.encode(busHandoff))
			a.metrics.handedOff()
		}
	}
	a.cancelEvents()
	a.conns.close()
	for _, p := range a.pages.close() {
		p.disconnect(ErrApplicationClosed)
		p.role.stop()
	}
	a.closeUploads()
	a.cancel()
	a.sweeper.Wait()
	a.metrics.stop()
}

// goAway starts closing every connection (see close), without waiting.
func (s *connSet) goAway() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.all {
		c.goAway()
	}
}

// handoff holds page changes back while the application shuts down, so
// that its pages change owner between changes, never during one. mu
// guards its fields.
type handoff struct {
	mu       sync.Mutex
	stopped  bool          // no change starts any more
	running  int           // changes started and not ended
	idle     chan struct{} // closed when stopped and no change runs
	released chan struct{} // closed when held-back changes may return
}

// enter starts a change, unless the application shuts down: the change
// then waits until the application closes its connections (or ctx is
// done), and enter returns false.
func (h *handoff) enter(ctx context.Context) bool {
	h.mu.Lock()
	if !h.stopped {
		h.running++
		h.mu.Unlock()
		return true
	}
	released := h.releasedLocked()
	h.mu.Unlock()
	select {
	case <-released:
	case <-ctx.Done():
	}
	return false
}

// leave ends a change that enter started.
func (h *handoff) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running--
	if h.running == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// stopping reports whether changes are held back.
func (h *handoff) stopping() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopped
}

// drain holds new changes back and waits until none runs, or ctx is done.
func (h *handoff) drain(ctx context.Context) error {
	h.mu.Lock()
	h.stopped = true
	if h.running == 0 {
		h.mu.Unlock()
		return nil
	}
	if h.idle == nil {
		h.idle = make(chan struct{})
	}
	idle := h.idle
	h.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop holds new changes back, and lets them return at once: the
// application closes without a hand-off.
func (h *handoff) stop() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.release()
}

// release lets held-back changes return.
func (h *handoff) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	released := h.releasedLocked()
	select {
	case <-released:
	default:
		close(released)
	}
}

func (h *handoff) releasedLocked() chan struct{} {
	if h.released == nil {
		h.released = make(chan struct{})
	}
	return h.released
}

// takeOverChanging takes the page over from its owner, which handed it off
// as it shut down, or follows the instance that took it first.
func (m *member) takeOverChanging(ctx context.Context) {
	ctx, cancel := m.p.app.storeContext(ctx)
	defer cancel()
	if f, err := m.p.app.fetch(ctx, m.p.id); err == nil {
		m.takeRoleChanging(ctx, f)
	}
}

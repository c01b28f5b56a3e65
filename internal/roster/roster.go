// Package roster keeps who views each page, as joins and leaves, and tells
// the application when a viewer comes and goes: at once for a viewer that
// joins or says it leaves, after a grace period for one whose connection
// was lost, so that a viewer that comes back within the grace (a browser's
// new leading tab joining its tabs' pages again, a reconnect) neither left
// nor joined.
//
// A viewer is named by a key that outlives its connections (for a browser
// tab, the browser's id and the tab's name for the page). The same key may
// be joined on several connections at once, for a moment, while a leader
// hands over: it counts as one viewer until its last join ends.
package roster

import (
	"sync"
	"time"
)

// Kind says what happened to a viewer.
type Kind uint8

const (
	Joined Kind = iota + 1 // the viewer came
	Left                   // the viewer went
)

// A Change is a viewer that came or went: the value it joined with.
type Change[P comparable, V any] struct {
	Kind   Kind
	Page   P
	Viewer V
}

// Roster keeps the viewers of pages P by key K, each with the value V of
// its first join. Its zero value is not usable: make one with New.
//
// mu guards pages, queue, running and closed. It is a leaf: nothing else is
// locked while it is held, so callers may hold their own locks (a page's)
// when they call. deliver runs in a goroutine of the roster's own, one
// change at a time, in the order the changes happened, without mu held.
type Roster[P, K comparable, V any] struct {
	grace   time.Duration
	same    func(a, b V) bool
	deliver func(Change[P, V])

	mu      sync.Mutex
	pages   map[P]map[K]*viewer[V]
	queue   []Change[P, V]
	running bool
	closed  bool
	wg      sync.WaitGroup // the delivering goroutine
}

// viewer is one key's joins of a page.
type viewer[V any] struct {
	v     V
	joins int         // the joins open now
	gone  *time.Timer // the grace of a viewer whose joins were lost; nil while it has joins
}

// New returns a roster that delivers its changes to deliver (nil: to
// nobody, for a roster that is only read), and waits
// grace before a viewer whose connection was lost leaves. same says
// whether a join of a key whose viewer is within its grace is that viewer
// (a reconnect) or another one (another identity on the same key: the old
// one leaves and the new one joins).
func New[P, K comparable, V any](grace time.Duration, same func(a, b V) bool, deliver func(Change[P, V])) *Roster[P, K, V] {
	return &Roster[P, K, V]{grace: grace, same: same, deliver: deliver, pages: make(map[P]map[K]*viewer[V])}
}

// Join counts a join of page p by the viewer of key k, with value v.
func (r *Roster[P, K, V]) Join(p P, k K, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	vs := r.pages[p]
	if vs == nil {
		vs = make(map[K]*viewer[V])
		r.pages[p] = vs
	}
	w := vs[k]
	switch {
	case w == nil:
		vs[k] = &viewer[V]{v: v, joins: 1}
		r.emitLocked(Change[P, V]{Joined, p, v})
		return
	case w.gone != nil && !r.same(w.v, v):
		r.emitLocked(Change[P, V]{Left, p, w.v})
		r.emitLocked(Change[P, V]{Joined, p, v})
		w.v = v
	}
	if w.gone != nil {
		w.gone.Stop()
		w.gone = nil
	}
	w.joins++
}

// Leave counts the end of a join of page p by the viewer of key k. A
// viewer whose last join ends leaves: at once when it said so, after the
// grace when its join was lost (its connection ended).
func (r *Roster[P, K, V]) Leave(p P, k K, lost bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.pages[p][k]
	if r.closed || w == nil || w.joins == 0 {
		return
	}
	w.joins--
	switch {
	case w.joins > 0:
	case lost:
		w.gone = time.AfterFunc(r.grace, func() { r.expire(p, k, w) })
	default:
		r.dropLocked(p, k)
		r.emitLocked(Change[P, V]{Left, p, w.v})
	}
}

// expire ends the grace of w, the viewer of key k of page p, unless it came
// back meanwhile.
func (r *Roster[P, K, V]) expire(p P, k K, w *viewer[V]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.pages[p][k] != w || w.joins > 0 {
		return
	}
	r.dropLocked(p, k)
	r.emitLocked(Change[P, V]{Left, p, w.v})
}

// End forgets the viewers of page p, which ended, without telling: a page
// that ended has no one to tell.
func (r *Roster[P, K, V]) End(p P) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.pages[p] {
		if w.gone != nil {
			w.gone.Stop()
		}
	}
	delete(r.pages, p)
}

// Viewers returns the values of the viewers of page p: those with joins,
// and those within their grace.
func (r *Roster[P, K, V]) Viewers(p P) []V {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]V, 0, len(r.pages[p]))
	for _, w := range r.pages[p] {
		out = append(out, w.v)
	}
	return out
}

// Close stops the roster: no change is told after it returns, and its
// goroutine has ended.
func (r *Roster[P, K, V]) Close() {
	r.mu.Lock()
	r.closed = true
	r.queue = nil
	for _, vs := range r.pages {
		for _, w := range vs {
			if w.gone != nil {
				w.gone.Stop()
			}
		}
	}
	r.pages = nil
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *Roster[P, K, V]) dropLocked(p P, k K) {
	delete(r.pages[p], k)
	if len(r.pages[p]) == 0 {
		delete(r.pages, p)
	}
}

// emitLocked queues c for delivery, starting the delivering goroutine if it
// does not run. r.mu is held.
func (r *Roster[P, K, V]) emitLocked(c Change[P, V]) {
	if r.deliver == nil {
		return
	}
	r.queue = append(r.queue, c)
	if r.running {
		return
	}
	r.running = true
	r.wg.Add(1)
	go r.run()
}

// run delivers the queued changes in order until none is left.
func (r *Roster[P, K, V]) run() {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		if len(r.queue) == 0 || r.closed {
			r.running = false
			r.mu.Unlock()
			return
		}
		c := r.queue[0]
		r.queue[0] = Change[P, V]{}
		r.queue = r.queue[1:]
		r.mu.Unlock()
		r.deliver(c)
	}
}

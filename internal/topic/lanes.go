// Package topic runs the messages of topics on the pages that handle them:
// each page's messages one at a time, in the order they came, in a lane of
// its own, so that a slow page delays only itself, and each lane holds at
// most a limit of messages, so that a publisher faster than a page's
// handler costs bounded memory.
package topic

import "sync"

// Lanes runs items of type T for keys of type K: run(k, item) for one key at
// a time per key, in the order Push queued them, each key's in a goroutine
// that lasts while the key has items. Its zero value is not usable: make
// one with New.
//
// mu guards lanes and closed.
type Lanes[K comparable, T any] struct {
	limit int
	run   func(K, T)

	mu     sync.Mutex
	lanes  map[K][]T // the items waiting, by key; a key is present while its goroutine runs
	closed bool
	wg     sync.WaitGroup // the lanes' goroutines
}

// New returns lanes that run run, each holding at most limit items waiting.
func New[K comparable, T any](limit int, run func(K, T)) *Lanes[K, T] {
	return &Lanes[K, T]{limit: limit, run: run, lanes: make(map[K][]T)}
}

// Push queues item for k, and reports whether it did: not when k's lane
// holds limit items already, or the lanes are closed.
func (l *Lanes[K, T]) Push(k K, item T) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	q, running := l.lanes[k]
	if len(q) >= l.limit {
		return false
	}
	l.lanes[k] = append(q, item)
	if !running {
		l.wg.Add(1)
		go l.drain(k)
	}
	return true
}

// drain runs k's items until none is left, or the lanes close.
func (l *Lanes[K, T]) drain(k K) {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		q := l.lanes[k]
		if len(q) == 0 || l.closed {
			delete(l.lanes, k)
			l.mu.Unlock()
			return
		}
		item := q[0]
		var zero T
		q[0] = zero // the backing array keeps no item that ran
		l.lanes[k] = q[1:]
		l.mu.Unlock()
		l.run(k, item)
	}
}

// Close drops the items waiting and waits for the items running to end.
func (l *Lanes[K, T]) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.wg.Wait()
}

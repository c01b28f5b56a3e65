package livetemplate

import (
	"context"
	"errors"
	"sync"
	"time"
)

// A Store keeps page records by page id, so that a page can be served again
// by an application that did not create it: after a restart, or on another
// instance. The application writes a page's record when the page is created
// and on every change, and deletes it when the page is closed, expires or is
// evicted.
//
// A Store must be safe for concurrent use. Its methods return errors wrapping
// [ErrPageNotFound] and [ErrVersionConflict] for the cases below, and honour
// their context's deadline. A method that panics fails the page's call that
// made it with [ErrPanicked].
type Store interface {
	// Get returns the page's record, or ErrPageNotFound when there is none or
	// it has expired.
	Get(ctx context.Context, id string) (PageRecord, error)

	// Put writes rec and returns its new revision, which is greater than
	// any earlier one of the page. If rec.Revision is 0, Put creates the
	// record and fails with ErrVersionConflict if one exists. Otherwise the
	// stored record's revision must be rec.Revision: Put fails with
	// ErrVersionConflict if it is not, and with ErrPageNotFound if the record
	// is gone. The record expires ttl after this Put (ttl > 0).
	Put(ctx context.Context, id string, rec PageRecord, ttl time.Duration) (revision uint64, err error)

	// Delete removes the record. Deleting a record that is not there is not
	// an error.
	Delete(ctx context.Context, id string) error
}

// PageRecord is what a [Store] keeps of one page.
type PageRecord struct {
	Template string // the registered template's name
	Data     any    // the page's data
	Version  uint64 // the page's version: how many times its HTML changed, plus 1
	Revision uint64 // set by the store: the record's revision

	// Set in a cluster ([WithCluster]) only, empty otherwise:

	// Owner is the id of the instance that wrote the record, which owns
	// the page (see [Cluster]).
	Owner string
	// Events are the results of the page's latest events (as many as
	// [WithDedupeWindow] keeps), oldest first, so that an instance that
	// takes the page over acknowledges a resent event again without
	// running it twice. A cluster's store may keep only the latest of
	// them (cluster.WithEventWindow).
	Events []EventResult
	// Marks are the high-water marks of the tabs that sent the page
	// numbered events (as many tabs as [WithDedupeWindow] events), least
	// recently used first, so that an instance that takes the page over
	// runs none of them twice, and each tab's in order. A cluster's store
	// may keep only the latest of them (cluster.WithEventWindow).
	Marks []EventMark
	// TopicMark is the number, in the cluster's [TopicLog], of the latest
	// message of a topic that ran on the page (or, before any did, of the
	// log's latest message when the page was made), so that an instance
	// that takes the page over runs the messages after it, and none before.
	TopicMark uint64
}

// MemoryStore is a [Store] in the process's memory. It keeps Data by
// reference, without copying it. The zero value is ready to use; it is safe
// for concurrent use and starts no goroutine: expired records are dropped
// when they are read, and all of them at most once a minute during a Put.
type MemoryStore struct {
	mu        sync.Mutex
	records   map[string]memoryRecord
	revision  uint64
	nextSweep time.Time
}

type memoryRecord struct {
	rec     PageRecord
	expires time.Time
}

var errNoTTL = errors.New("livetemplate: store: ttl must be positive")

// memorySweepEvery is how often Put drops every expired record.
const memorySweepEvery = time.Minute

// Get implements [Store].
func (s *MemoryStore) Get(_ context.Context, id string) (PageRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.live(id, time.Now())
	if !ok {
		return PageRecord{}, ErrPageNotFound
	}
	return r.rec, nil
}

// Put implements [Store].
func (s *MemoryStore) Put(_ context.Context, id string, rec PageRecord, ttl time.Duration) (uint64, error) {
	if ttl <= 0 {
		return 0, errNoTTL
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.live(id, now)
	switch {
	case rec.Revision == 0 && ok:
		return 0, ErrVersionConflict
	case rec.Revision != 0 && !ok:
		return 0, ErrPageNotFound
	case rec.Revision != 0 && old.rec.Revision != rec.Revision:
		return 0, ErrVersionConflict
	}
	if s.records == nil {
		s.records = make(map[string]memoryRecord)
	}
	s.sweep(now)
	s.revision++
	rec.Revision = s.revision
	s.records[id] = memoryRecord{rec: rec, expires: now.Add(ttl)}
	return rec.Revision, nil
}

// Delete implements [Store].
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, id)
	return nil
}

// live returns id's record if it has not expired, and drops it if it has.
func (s *MemoryStore) live(id string, now time.Time) (memoryRecord, bool) {
	r, ok := s.records[id]
	if ok && !now.Before(r.expires) {
		delete(s.records, id)
		return memoryRecord{}, false
	}
	return r, ok
}

func (s *MemoryStore) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	s.nextSweep = now.Add(memorySweepEvery)
	for id, r := range s.records {
		if !now.Before(r.expires) {
			delete(s.records, id)
		}
	}
}

// guardedStore is the store that an application uses: the [Store] of
// [WithStore] (or of its [Cluster]), each call made through call, so that a
// store that panics fails that call with [ErrPanicked].
type guardedStore struct {
	app *Application
	s   Store
}

func (g guardedStore) Get(ctx context.Context, id string) (_ PageRecord, err error) {
	defer g.app.metrics.stored("get", time.Now(), &err)
	return call(g.app, "Store.Get", func() (PageRecord, error) { return g.s.Get(ctx, id) })
}

func (g guardedStore) Put(ctx context.Context, id string, rec PageRecord, ttl time.Duration) (_ uint64, err error) {
	defer g.app.metrics.stored("put", time.Now(), &err)
	return call(g.app, "Store.Put", func() (uint64, error) { return g.s.Put(ctx, id, rec, ttl) })
}

func (g guardedStore) Delete(ctx context.Context, id string) (err error) {
	defer g.app.metrics.stored("delete", time.Now(), &err)
	return callErr(g.app, "Store.Delete", func() error { return g.s.Delete(ctx, id) })
}

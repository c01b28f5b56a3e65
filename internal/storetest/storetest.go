// Package storetest checks that a livetemplate.Store keeps the contract that
// the application relies on: create-only puts, compare-and-swap on the
// revision, deletes, and expiry by TTL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livetemplate/livetemplate"
)

// Run runs the contract tests on stores made by newStore. ttl is the shortest
// TTL the store honours; the expiry test waits a little over it with
// time.Sleep. With fakeClock, each test runs in a synctest bubble, so that
// a store that reads time.Now expires records without real waiting.
func Run(t *testing.T, newStore func(t *testing.T) livetemplate.Store, ttl time.Duration, fakeClock bool) {
	for name, check := range map[string]func(*testing.T, livetemplate.Store, time.Duration){
		"CreateGet":         createGet,
		"CreateTwice":       createTwice,
		"CompareAndSwap":    compareAndSwap,
		"PutAfterDelete":    putAfterDelete,
		"Expiry":            expiry,
		"ConcurrentWriters": concurrentWriters,
	} {
		t.Run(name, func(t *testing.T) {
			if !fakeClock {
				check(t, newStore(t), ttl)
				return
			}
			synctest.Test(t, func(t *testing.T) { check(t, newStore(t), ttl) })
		})
	}
}

const hour = time.Hour

func put(t *testing.T, s livetemplate.Store, id string, rec livetemplate.PageRecord, ttl time.Duration) uint64 {
	t.Helper()
	rev, err := s.Put(context.Background(), id, rec, ttl)
	if err != nil {
		t.Fatalf("Put(%q, revision %d): %v", id, rec.Revision, err)
	}
	if rev <= rec.Revision {
		t.Fatalf("Put(%q) returned revision %d, not greater than %d", id, rev, rec.Revision)
	}
	return rev
}

func createGet(t *testing.T, s livetemplate.Store, _ time.Duration) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "absent"); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Fatalf("Get of an absent id: got %v, want ErrPageNotFound", err)
	}
	want := livetemplate.PageRecord{Template: "t", Data: "d", Version: 3}
	want.Revision = put(t, s, "a", want, hour)
	got, err := s.Get(ctx, "a")
	if err != nil || got.Template != want.Template || got.Version != want.Version || got.Revision != want.Revision || fmt.Sprint(got.Data) != "d" {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, want)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Fatalf("Get after Delete: got %v", err)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete of an absent id: %v", err)
	}
}

func createTwice(t *testing.T, s livetemplate.Store, _ time.Duration) {
	put(t, s, "a", livetemplate.PageRecord{Template: "t", Version: 1}, hour)
	_, err := s.Put(context.Background(), "a", livetemplate.PageRecord{Template: "other", Version: 1}, hour)
	if !errors.Is(err, livetemplate.ErrVersionConflict) {
		t.Fatalf("second create: got %v, want ErrVersionConflict", err)
	}
}

func compareAndSwap(t *testing.T, s livetemplate.Store, _ time.Duration) {
	r1 := put(t, s, "a", livetemplate.PageRecord{Template: "t", Version: 1}, hour)
	r2 := put(t, s, "a", livetemplate.PageRecord{Template: "t", Version: 2, Revision: r1}, hour)
	_, err := s.Put(context.Background(), "a", livetemplate.PageRecord{Template: "t", Version: 9, Revision: r1}, hour)
	if !errors.Is(err, livetemplate.ErrVersionConflict) {
		t.Fatalf("Put on a stale revision: got %v, want ErrVersionConflict", err)
	}
	got, err := s.Get(context.Background(), "a")
	if err != nil || got.Version != 2 || got.Revision != r2 {
		t.Fatalf("after a refused Put: %+v, %v; want version 2 at revision %d", got, err, r2)
	}
}

func putAfterDelete(t *testing.T, s livetemplate.Store, _ time.Duration) {
	r1 := put(t, s, "a", livetemplate.PageRecord{Template: "t", Version: 1}, hour)
	if err := s.Delete(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(context.Background(), "a", livetemplate.PageRecord{Template: "t", Version: 2, Revision: r1}, hour)
	if !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Fatalf("update of a deleted record: got %v, want ErrPageNotFound (a closed page must not come back)", err)
	}
}

// expiry: a record lives for the TTL of its last put and is gone after it,
// and a put of an expired record fails with ErrPageNotFound. On a real
// clock the reads are timed by the clock: a read that a busy machine made
// too late to tell anything is made again, on a record of its own, up to
// three times.
func expiry(t *testing.T, s livetemplate.Store, ttl time.Duration) {
	put(t, s, "long", livetemplate.PageRecord{Template: "t", Version: 1}, hour)
	for attempt := range 3 {
		id := "short" + strconv.Itoa(attempt)
		renewed, r, ok := renewAndRead(t, s, id, ttl)
		if !ok {
			continue
		}
		expires(t, s, id, r, renewed, ttl)
		if _, err := s.Get(context.Background(), "long"); err != nil {
			t.Fatalf("record with an hour to live: %v", err)
		}
		return
	}
	t.Fatalf("three times, a read came a TTL (%v) after the put it was to see: the machine is too busy to tell", ttl)
}

// renewAndRead puts a record of id with ttl, renews it half a TTL later and
// reads it half a TTL after that: it must be there. It returns when the
// renewal began and the record's revision, or false when the read ended a
// TTL after the renewal began, too late to tell.
func renewAndRead(t *testing.T, s livetemplate.Store, id string, ttl time.Duration) (time.Time, uint64, bool) {
	r := put(t, s, id, livetemplate.PageRecord{Template: "t", Version: 1}, ttl)
	time.Sleep(ttl / 2)
	renewed := time.Now()
	r = put(t, s, id, livetemplate.PageRecord{Template: "t", Version: 1, Revision: r}, ttl)
	time.Sleep(ttl / 2)
	_, err := s.Get(context.Background(), id)
	if time.Since(renewed) >= ttl {
		return renewed, r, false
	}
	if err != nil {
		t.Fatalf("record renewed less than its TTL (%v) ago: %v", ttl, err)
	}
	return renewed, r, true
}

// expires checks that the record of id, at revision r, renewed with ttl at
// renewed, is gone a little after its TTL: a read from a tenth of the TTL
// after it finds nothing, or, on a busy machine, one from at most a TTL
// after it (a store's expiry may run late by the time its timers take).
func expires(t *testing.T, s livetemplate.Store, id string, r uint64, renewed time.Time, ttl time.Duration) {
	ctx := context.Background()
	time.Sleep(time.Until(renewed.Add(ttl + ttl/10)))
	for {
		began := time.Now()
		_, err := s.Get(ctx, id)
		if errors.Is(err, livetemplate.ErrPageNotFound) {
			break
		}
		if began.Sub(renewed) >= 2*ttl {
			t.Fatalf("record %v past its TTL of %v: got %v, want ErrPageNotFound", began.Sub(renewed)-ttl, ttl, err)
		}
		time.Sleep(ttl / 20)
	}
	if _, err := s.Put(ctx, id, livetemplate.PageRecord{Template: "t", Revision: r}, ttl); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Fatalf("update of an expired record: got %v, want ErrPageNotFound", err)
	}
}

// concurrentWriters: of writers that all start from one revision, exactly
// one succeeds.
func concurrentWriters(t *testing.T, s livetemplate.Store, _ time.Duration) {
	r := put(t, s, "a", livetemplate.PageRecord{Template: "t", Version: 1}, hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			_, err := s.Put(context.Background(), "a", livetemplate.PageRecord{Template: "t", Version: uint64(2 + i), Revision: r}, hour)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, livetemplate.ErrVersionConflict):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d writers from one revision succeeded, want 1", won)
	}
}

// Package quota counts the uploads in flight, in files and bytes, against
// limits per browser and for the whole application, so that one browser
// cannot take all the room of the others.
package quota

import (
	"sync"
	"time"
)

// Limits are a quota's limits; a limit of 0 or less is no limit.
type Limits struct {
	KeyFiles int   // files in flight per key (a browser)
	KeyBytes int64 // bytes in flight per key
	Files    int   // files in flight in all
	Bytes    int64 // bytes in flight in all
}

// A File is one upload asking for room.
type File struct {
	ID   string
	Size int64
}

// Refusal says which limit refused a Take.
type Refusal uint8

// The limits a Take can pass.
const (
	None    Refusal = iota
	PerKey          // the key's files or bytes
	Overall         // the application's files or bytes
)

// Quota holds the uploads in flight. Its zero value is not usable: make
// one with New. It is safe for concurrent use; mu guards every field
// below it.
type Quota struct {
	limits Limits
	mu     sync.Mutex
	byID   map[string]entry
	keys   map[string]*use
	all    use
}

type entry struct {
	key   string
	size  int64
	until time.Time
}

type use struct {
	files int
	bytes int64
}

// New returns an empty quota of those limits.
func New(l Limits) *Quota {
	return &Quota{limits: l, byID: make(map[string]entry), keys: make(map[string]*use)}
}

// Take gives the files of key room until the time until, all of them or
// none: it reports which limit they would pass, or None when they have
// room. Files whose time passed before now free theirs first.
func (q *Quota) Take(key string, files []File, until, now time.Time) Refusal {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expireLocked(now)
	var want use
	for _, f := range files {
		want.files++
		want.bytes += f.Size
	}
	have := q.keys[key]
	if have == nil {
		have = new(use)
	}
	if over(q.limits.KeyFiles, q.limits.KeyBytes, *have, want) {
		return PerKey
	}
	if over(q.limits.Files, q.limits.Bytes, q.all, want) {
		return Overall
	}
	q.keys[key] = have
	for _, f := range files {
		q.byID[f.ID] = entry{key: key, size: f.Size, until: until}
	}
	have.files, have.bytes = have.files+want.files, have.bytes+want.bytes
	q.all.files, q.all.bytes = q.all.files+want.files, q.all.bytes+want.bytes
	return None
}

func over(files int, bytes int64, have, want use) bool {
	return (files > 0 && have.files+want.files > files) || (bytes > 0 && have.bytes+want.bytes > bytes)
}

// Release frees the room of the upload id, if it holds some.
func (q *Quota) Release(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.releaseLocked(id)
}

func (q *Quota) releaseLocked(id string) {
	e, ok := q.byID[id]
	if !ok {
		return
	}
	delete(q.byID, id)
	u := q.keys[e.key]
	u.files, u.bytes = u.files-1, u.bytes-e.size
	if u.files == 0 {
		delete(q.keys, e.key)
	}
	q.all.files, q.all.bytes = q.all.files-1, q.all.bytes-e.size
}

// expireLocked frees the room of the files whose time passed. The walk is
// bounded by the limit on files in flight.
func (q *Quota) expireLocked(now time.Time) {
	for id, e := range q.byID {
		if !now.Before(e.until) {
			q.releaseLocked(id)
		}
	}
}

// InFlight returns the files and bytes in flight for key, and in all.
func (q *Quota) InFlight(key string) (keyFiles int, keyBytes int64, files int, bytes int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if u := q.keys[key]; u != nil {
		keyFiles, keyBytes = u.files, u.bytes
	}
	return keyFiles, keyBytes, q.all.files, q.all.bytes
}

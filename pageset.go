package livetemplate

import (
	"fmt"
	"sync"
	"time"
)

// pageSet holds an application's live pages, in three lists ordered by last
// use (most recent first), so that the pages due to expire and the least
// recently used pages are at the lists' tails.
type pageSet struct {
	mu       sync.Mutex
	byID     map[string]*Page
	joined   pageList // fetched by token: expire idleTTL after their last use
	fresh    pageList // neither fetched by token nor rendered: expire idleTTL after their last use
	unjoined pageList // rendered, never fetched by token: expire unjoinedTTL after their last use
	// ended is why the latest pages ended, by id, so that a token of one
	// gets ErrPageExpired, ErrPageClosed or ErrPageEvicted rather than
	// ErrPageNotFound.
	ended  recent[error]
	max    int
	closed bool
}

// pageEntry is a page's place in its application's page set: its list,
// its neighbours there and its last use, and why it ended. The page set's
// mu guards it, and only the page set's code (this file) touches it.
type pageEntry struct {
	used       time.Time
	joined     bool // fetched by token: it stays in the joined list
	list       *pageList
	prev, next *Page
	gone       error // why the page ended; nil while it is live
}

// due reports whether the page's time to live has passed at now.
func (e *pageEntry) due(now time.Time) bool { return !now.Before(e.used.Add(e.list.ttl)) }

// pageList is a doubly linked list threaded through the pages' entries; an
// intrusive list costs a page two pointers and no allocation.
type pageList struct {
	head, tail *Page
	ttl        time.Duration
	n          int
}

func (l *pageList) pushFront(p *Page) {
	p.entry.list, p.entry.prev, p.entry.next = l, nil, l.head
	if l.head != nil {
		l.head.entry.prev = p
	} else {
		l.tail = p
	}
	l.head = p
	l.n++
}

func (l *pageList) remove(p *Page) {
	if p.entry.prev != nil {
		p.entry.prev.entry.next = p.entry.next
	} else {
		l.head = p.entry.next
	}
	if p.entry.next != nil {
		p.entry.next.entry.prev = p.entry.prev
	} else {
		l.tail = p.entry.prev
	}
	p.entry.list, p.entry.prev, p.entry.next = nil, nil, nil
	l.n--
}

// use says how a page is being used.
type use uint8

const (
	useTouch   use = iota // a change or a read: the page stays in its list
	useRender             // rendered: a never-joined page moves to the unjoined list
	useJoin               // fetched by token: the page moves to the joined list for good
	useCreator            // joined by the connection a PageHandler made it for: it stays in its list
)

func newPageSet(cfg *config) *pageSet {
	return &pageSet{
		byID:     make(map[string]*Page),
		joined:   pageList{ttl: cfg.idleTTL},
		fresh:    pageList{ttl: cfg.idleTTL},
		unjoined: pageList{ttl: cfg.unjoinedTTL},
		max:      cfg.maxPages,
	}
}

// add adds p, or returns the live page of p's id if there is one. It returns
// the pages evicted to make room, for the caller to release.
func (s *pageSet) add(p *Page, now time.Time) (live *Page, evicted []*Page, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrApplicationClosed
	}
	if q := s.byID[p.id]; q != nil {
		return q, nil, nil
	}
	p.entry.used = now
	s.byID[p.id] = p
	s.fresh.pushFront(p)
	for len(s.byID) > s.max {
		victim := s.victim(p, now)
		if victim == nil {
			p.entry.list.remove(p)
			delete(s.byID, p.id)
			return nil, evicted, fmt.Errorf("all %d pages of WithMaxPages are shown by connections: %w", s.max, ErrLimitReached)
		}
		s.end(victim, ErrPageEvicted, false)
		evicted = append(evicted, victim)
	}
	return p, evicted, nil
}

// victim returns the page to evict for adding, other than adding itself,
// among those that no connection shows: the least recently used of the
// pages never fetched by token, or, if there is none, the least recently
// used of the others; nil when every other page is shown. So pages that
// users came back to make room only when nothing else can.
func (s *pageSet) victim(adding *Page, now time.Time) *Page {
	if p := s.oldestUnjoined(adding, now); p != nil {
		return p
	}
	for p := s.joined.tail; p != nil; p = p.entry.prev {
		if p != adding && !shown(p, now) {
			return p
		}
	}
	return nil
}

// oldestUnjoined returns the least recently used page that no connection
// shows and nobody fetched by token, other than adding. It walks the fresh
// and unjoined lists from their tails, oldest first, the fresh list's page
// first on a tie in time.
func (s *pageSet) oldestUnjoined(adding *Page, now time.Time) *Page {
	a, b := s.fresh.tail, s.unjoined.tail
	for a != nil || b != nil {
		var p *Page
		if a == nil || (b != nil && b.entry.used.Before(a.entry.used)) {
			p, b = b, b.entry.prev
		} else {
			p, a = a, a.entry.prev
		}
		if p != adding && !shown(p, now) {
			return p
		}
	}
	return nil
}

// use records a use of p at now. It fails with the reason p ended, and ends
// p as expired if its time to live has passed; expired is then true and the
// caller releases p.
func (s *pageSet) use(p *Page, now time.Time, how use) (expired bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.entry.gone != nil {
		return false, p.entry.gone
	}
	if p.entry.due(now) && !shown(p, now) {
		s.end(p, ErrPageExpired, false)
		return true, ErrPageExpired
	}
	list := p.entry.list
	switch {
	case how == useJoin:
		p.entry.joined = true
		list = &s.joined
	case how == useRender && !p.entry.joined:
		list = &s.unjoined
	}
	s.touch(p, now, list)
	return false, nil
}

// keep records a use of p at now, if p is live, without expiring it: its
// last connection just left, so it was in use until now.
func (s *pageSet) keep(p *Page, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.entry.gone == nil {
		s.touch(p, now, p.entry.list)
	}
}

// touch moves p to the front of list, used at now.
func (s *pageSet) touch(p *Page, now time.Time, list *pageList) {
	p.entry.list.remove(p)
	p.entry.used = now
	list.pushFront(p)
}

// lookup returns the live page of id, or why it ended if it ended recently,
// or nil and no error if the set does not know it.
func (s *pageSet) lookup(id string) (*Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.byID[id]; p != nil {
		return p, nil
	}
	if s.closed {
		return nil, ErrApplicationClosed
	}
	reason, _ := s.ended.get(id)
	return nil, reason
}

// reason returns why p ended, or nil while it is live.
func (s *pageSet) reason(p *Page) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.entry.gone
}

// remove ends p for reason. It reports whether p was live.
func (s *pageSet) remove(p *Page, reason error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.entry.gone != nil || s.byID[p.id] != p {
		return false
	}
	s.end(p, reason, true)
	return true
}

// expire ends every page whose time to live has passed at now, and returns
// them for the caller to release; it keeps those that connections show, and
// returns them too, for the caller to keep their records stored.
func (s *pageSet) expire(now time.Time) (expired, kept []*Page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range []*pageList{&s.joined, &s.fresh, &s.unjoined} {
		for p := l.tail; p != nil && p.entry.due(now); p = l.tail {
			if shown(p, now) {
				// Shown by a connection: in use, however long ago
				// it last changed.
				s.touch(p, now, l)
				kept = append(kept, p)
				continue
			}
			s.end(p, ErrPageExpired, false)
			expired = append(expired, p)
		}
	}
	return expired, kept
}

// close ends every page and refuses new ones. It returns the pages it ended.
func (s *pageSet) close() []*Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	ended := make([]*Page, 0, len(s.byID))
	for _, p := range s.byID {
		p.entry.gone = ErrApplicationClosed
		p.entry.list.remove(p)
		ended = append(ended, p)
	}
	s.byID = nil
	s.ended = recent[error]{}
	return ended
}

// end ends p for reason. The reason is remembered for the page's id, except
// when a follower in a cluster drops its copy of a page that goes on (it
// expired or was evicted here), unless always.
func (s *pageSet) end(p *Page, reason error, always bool) {
	p.entry.gone = reason
	p.entry.list.remove(p)
	delete(s.byID, p.id)
	if always || p.role.owns() {
		s.ended.add(p.id, reason, endedRemembered)
	}
}

// shown reports whether connections show p: this application's, or, for a
// page it owns in a cluster, another instance's.
func shown(p *Page, now time.Time) bool {
	return p.live.watchers.Load() > 0 || p.role.shownElsewhere(now)
}

// owned returns the pages that this instance of a cluster owns.
func (s *pageSet) owned() []*Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Page
	for _, p := range s.byID {
		if p.role.owns() {
			out = append(out, p)
		}
	}
	return out
}

// watchedFollowed returns the pages that another instance of a cluster owns
// and connections of this one show.
func (s *pageSet) watchedFollowed() []*Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Page
	for _, p := range s.byID {
		if !p.role.owns() && p.live.watchers.Load() > 0 {
			out = append(out, p)
		}
	}
	return out
}

// endedRemembered is how many ended pages a pageSet remembers.
const endedRemembered = 4096

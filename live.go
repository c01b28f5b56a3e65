package livetemplate

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/livetemplate/livetemplate/internal/engine"
)

// liveState is what a page keeps for its connections: who is joined, and its
// latest diffs for clients that rejoin. Joins and changes hold the page's mu
// and then liveState's own, so that a diff is sent to every joined
// connection in the order of versions and a join sees either all of an
// update or none of it; a page that ends tells its connections under
// liveState's lock alone, so ending a page never waits for a change being
// stored.
type liveState struct {
	mu    sync.Mutex
	ended error // why the page ended, once its connections were told
	subs  []subscriber
	// history holds the page's latest diffs, oldest first, each the
	// encoded message of the change from base to base+1.
	history      []historyEntry
	historyBytes int
	// since is the oldest version whose HTML this process rendered: 1 for
	// a page created here, the version after the loaded one for a page
	// loaded from the store. A client that claims an older version may hold
	// the HTML of another process's template (another deploy), so it gets
	// the whole page.
	since uint64
	// owned marks a page created for a connection by a PageHandler (a page per connection):
	// it closes a grace period after its last connection leaves.
	owned bool
	grace *time.Timer
	// watchers is len(subs), readable without the page's lock, so that the
	// page set does not expire a page that connections are showing.
	watchers atomic.Int32
	// render is the page's latest render message, for as long as a
	// connection's writer holds it, so that the catch-ups of one version of
	// the page share one render; renderTree and renderVersion say which.
	render        weak.Pointer[snapshot]
	renderTree    weak.Pointer[engine.Tree]
	renderVersion uint64
	// sender is the join whose event's handler runs now: its diffs are
	// queued before the other joins' ones, so that the tab that acted
	// paints first.
	sender subscriber
}

// snapshot is a render message: the whole page at one version.
type snapshot struct{ msg []byte }

// subscriber is one join of the page: a connection, and the name by which
// the client called the page there. A quiet one gets no diffs or pushes:
// another join of its connection carries them (a join's quiet).
type subscriber struct {
	c     *conn
	name  string
	quiet bool
}

type historyEntry struct {
	base uint64
	msg  []byte
}

// subscribe joins c to the page under name (how is useJoin, or useCreator
// for a PageHandler's page joined by its connection). It queues the
// catch-up that the client needs to hold the current version, given that it
// holds version have (0 for nothing), and the joined message after it, with
// the join's ref; every later diff follows, unless quiet.
func (p *Page) subscribe(c *conn, name string, have uint64, how use, ref string, quiet bool) error {
	if err := p.visit(c.ctx, how); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	if p.live.ended != nil {
		return p.live.ended
	}
	c.joinCatchUp(name, p, have, ref)
	p.live.subs = append(p.live.subs, subscriber{c, name, quiet})
	p.live.watchers.Add(1)
	if p.live.grace != nil {
		p.live.grace.Stop()
		p.live.grace = nil
	}
	p.app.metrics.joined()
	return nil
}

// catchUpMessages is what a catch-up sends: nothing, the render, or the
// diffs from the history (all shared with other connections), then joined
// once for each join it answers, with that join's ref.
type catchUpMessages struct {
	render  *snapshot
	diffs   [][]byte
	version uint64   // of joined
	refs    []string // of the joins answered
}

// catchUpLocked returns the messages that bring a client holding version
// have to the current version: nothing, the diffs it missed, or a render.
// p.mu and p.live.mu are held.
func (p *Page) catchUpLocked(have uint64) catchUpMessages {
	if have == p.version && have >= p.live.since {
		return catchUpMessages{}
	}
	h := p.live.history
	// More diffs than half a send queue would take the client for a slow
	// one: it gets the page.
	few := p.version-have < uint64(p.app.cfg.sendQueue/2)
	if have >= p.live.since && have < p.version && len(h) > 0 && h[0].base <= have && few {
		diffs := make([][]byte, 0, p.version-have)
		for _, e := range h[have-h[0].base:] {
			diffs = append(diffs, e.msg)
		}
		return catchUpMessages{diffs: diffs}
	}
	return catchUpMessages{render: p.snapshotLocked()}
}

// snapshotLocked returns the render message of the page's current version:
// the one that a connection's writer still holds, if any does, else a new
// one. p.mu and p.live.mu are held.
func (p *Page) snapshotLocked() *snapshot {
	l := &p.live
	if s := l.render.Value(); s != nil && l.renderVersion == p.version && l.renderTree == weak.Make(p.tree) {
		return s
	}
	// The render message of Update.MarshalJSON, made in one buffer: a large
	// page's render is not copied on its way.
	b := make([]byte, 0, len(p.tree.HTML())+64)
	b = append(b, `{"type":"render","v":`...)
	b = strconv.AppendUint(b, p.version, 10)
	b = append(b, `,"tree":`...)
	b = append(p.tree.AppendJSON(b), '}')
	s := &snapshot{msg: p.withToken(b, p.version)}
	l.render, l.renderTree, l.renderVersion = weak.Make(s), weak.Make(p.tree), p.version
	return s
}

// unsubscribe removes c's join of the page under name. When the last
// connection of an owned page leaves, the page's grace period starts.
func (p *Page) unsubscribe(c *conn, name string) {
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	if p.live.ended != nil {
		return
	}
	for i, s := range p.live.subs {
		if s.c == c && s.name == name {
			p.live.subs = append(p.live.subs[:i], p.live.subs[i+1:]...)
			p.live.watchers.Add(-1)
			break
		}
	}
	if len(p.live.subs) > 0 {
		return
	}
	p.live.subs = nil
	p.app.pages.keep(p, time.Now()) // its idle time starts now
	if p.live.owned && p.live.grace == nil {
		p.live.grace = time.AfterFunc(p.app.cfg.grace, p.graceOver)
	}
}

// graceOver closes an owned page that no connection rejoined in time.
func (p *Page) graceOver() {
	p.live.mu.Lock()
	over := p.live.grace != nil && len(p.live.subs) == 0
	p.live.grace = nil
	if over && p.role.shownElsewhere(time.Now()) {
		// Connections of another instance of a cluster show it.
		p.live.grace, over = time.AfterFunc(p.app.cfg.grace, p.graceOver), false
	}
	p.live.mu.Unlock()
	if over {
		p.Close()
	}
}

// publishLocked sends the page's change from base to every joined
// connection and keeps it for clients that rejoin. It returns the change's
// message. p.mu is held.
func (p *Page) publishLocked(u Update) []byte {
	msg, _ := u.MarshalJSON()
	p.fanOutLocked(u.Base, msg)
	return msg
}

// fanOutLocked sends msg, the diff from base, to every joined connection
// and keeps it for clients that rejoin. p.mu is held.
func (p *Page) fanOutLocked(base uint64, msg []byte) {
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	p.rememberLocked(historyEntry{base: base, msg: msg})
	first := p.live.firstLocked()
	if first >= 0 {
		s := p.live.subs[first]
		s.c.sendDiff(s.name, p, base, msg)
	}
	for i, s := range p.live.subs {
		if i != first && !s.quiet {
			s.c.sendDiff(s.name, p, base, msg)
		}
	}
}

// firstLocked returns the index of the join whose diffs go first: the
// sender's, or, when the sender's join is quiet, the join of its
// connection that carries the page (its client hands the sender that
// copy); -1 for none. l.mu is held.
func (l *liveState) firstLocked() int {
	first := -1
	for i, s := range l.subs {
		switch {
		case s.c != l.sender.c || s.quiet:
		case s.name == l.sender.name:
			return i
		case first < 0:
			first = i
		}
	}
	return first
}

// setQuiet sets the quiet of c's join of the page under name, which a
// resync may change: from then on the join gets the page's diffs and
// pushes, or not.
func (p *Page) setQuiet(c *conn, name string, quiet bool) {
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	for i, s := range p.live.subs {
		if s.c == c && s.name == name {
			p.live.subs[i].quiet = quiet
		}
	}
}

// senderKey is the key of the value of an event's context that holds its
// sender, a subscriber.
type senderKey struct{}

// withSender returns ctx, the context of an event that the client joined
// to p as name sent on c.
func withSender(ctx context.Context, c *conn, name string) context.Context {
	return context.WithValue(ctx, senderKey{}, subscriber{c: c, name: name})
}

// setSender makes the sender of the event of ctx, if it has one, the
// join whose diffs go first, until the returned function is called.
func (p *Page) setSender(ctx context.Context) (unset func()) {
	s, ok := ctx.Value(senderKey{}).(subscriber)
	if !ok {
		return func() {}
	}
	p.live.mu.Lock()
	p.live.sender = s
	p.live.mu.Unlock()
	return func() {
		p.live.mu.Lock()
		p.live.sender = subscriber{}
		p.live.mu.Unlock()
	}
}

// lagCatchUp returns what c needs to go from the version that cu says it
// holds to the current one (and joined for each join cu answers), and ends
// cu, so that the page's later diffs are queued again: both under the
// page's locks, so that no diff falls between them. c's writer calls it
// when it reaches cu.
func (p *Page) lagCatchUp(c *conn, cu *catchUp) catchUpMessages {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	have, refs, ok := c.caughtUp(cu)
	if !ok {
		return catchUpMessages{} // a lag that ended: the client left, or got the page
	}
	m := p.catchUpLocked(have)
	m.version, m.refs = p.version, refs
	return m
}

// rememberLocked adds e to the history, and drops the oldest diffs past its
// limits: WithHistory's count, and the size of the page's HTML (plus a
// little), past which the page itself is the smaller catch-up. p.mu and
// p.live.mu are held.
func (p *Page) rememberLocked(e historyEntry) {
	h := append(p.live.history, e)
	p.live.historyBytes += len(e.msg)
	limit := len(p.tree.HTML()) + historySlack
	drop := 0
	for drop < len(h) && (len(h)-drop > p.app.cfg.history || p.live.historyBytes > limit) {
		p.live.historyBytes -= len(h[drop].msg)
		drop++
	}
	p.live.history = append(h[:0], h[drop:]...)
}

// historySlack is how many bytes of diffs the history may hold beyond the
// page's HTML: a render also carries the statics and the JSON around them.
const historySlack = 4 << 10

// resetLiveLocked forgets the history after the page took state it did not
// render itself (from the store): no diff it holds leads there. p.mu is
// held, or p is not shared yet.
func (p *Page) resetLiveLocked() {
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	p.live.history, p.live.historyBytes = nil, 0
	p.live.since = p.version + 1
	p.live.render = weak.Pointer[snapshot]{}
}

// disconnect tells every joined connection that the page ended, and why,
// and refuses later joins.
func (p *Page) disconnect(reason error) {
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	if p.live.ended != nil {
		return
	}
	p.live.ended = reason
	if p.live.grace != nil {
		p.live.grace.Stop()
		p.live.grace = nil
	}
	e := protocolError(reason)
	for _, s := range p.live.subs {
		s.c.pageEnded(s.name, p, e)
	}
	p.live.subs = nil
	p.live.watchers.Store(0)
	p.live.history, p.live.historyBytes = nil, 0
}

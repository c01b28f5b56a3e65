package livetemplate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// A page in a cluster has one owner instance (see [Cluster]). On the other
// instances that hold it, the page follows the owner: its data, HTML and
// version change only by the owner's messages, and its events go to the
// owner. This file holds the page's role in either case.

// member is the role of a page of an application in a cluster: the page's
// owner, or a follower of the instance that owns it. The role changes (own,
// follow) with the page's change lock held. owner, unfollow and remote are
// atomic, read without a lock; mu guards the rest, a leaf of the page's lock
// order.
type member struct {
	p        *Page
	owner    atomic.Pointer[string] // the id of the instance that owns the page; nil when this one does
	unfollow atomic.Pointer[func()] // ends the subscription to the owner's changes
	remote   atomic.Int64           // until when (Unix nanoseconds) another instance's connections show the page

	mu sync.Mutex
	// moved is closed when a follower's version moves.
	moved chan struct{}
	// pending is the id of the event (or follower's change) that runs in
	// the page's turn, with its result once known, and pendingSaved
	// whether a record holding it was written.
	pending      changeID
	pendingRes   result
	pendingSaved bool
}

// memberOf returns the role of p, a page of an application in a cluster.
func memberOf(p *Page) *member { return p.role.(*member) }

func (m *member) cluster() Cluster { return m.p.app.cfg.cluster }

func (m *member) owns() bool { return m.owner.Load() == nil }

// ownerID returns the id of the instance that owns the page, or "" when this
// one does.
func (m *member) ownerID() string {
	if o := m.owner.Load(); o != nil {
		return *o
	}
	return ""
}

func (m *member) update(ctx context.Context, data any) (Update, error) {
	for range 3 {
		u, err := m.p.apply(ctx, data, anyRevision)
		if !errors.Is(err, ErrNotOwner) || m.handling() {
			return u, err
		}
		rctx, cancel := m.p.app.within(ctx, m.p.app.cfg.eventTimeout)
		u, done, err := m.updateRemote(rctx, data, anyRevision)
		cancel()
		if done {
			return u, err
		}
		// This instance took the page over meanwhile: change it here.
	}
	return Update{}, ErrNotOwner
}

// handling reports whether an event handler (or a follower's change) of the
// page runs on this instance.
func (m *member) handling() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending.id != ""
}

func (m *member) modify(ctx context.Context, fn func(data any) (any, error), inHandler bool) (Update, error) {
	for range 3 {
		if inHandler || m.owns() {
			u, fnErr, err := m.p.modifyHere(ctx, fn)
			if fnErr || inHandler || !errors.Is(err, ErrNotOwner) {
				return u, err
			}
			continue // another instance took the page over meanwhile
		}
		rctx, cancel := m.p.app.within(ctx, m.p.app.cfg.eventTimeout)
		u, done, err := m.modifyRemote(rctx, fn)
		cancel()
		if done {
			return u, err
		}
	}
	return Update{}, fmt.Errorf("livetemplate: modify page: %w", ErrNotOwner)
}

func (m *member) handle(ctx context.Context, h EventHandler, e Event) result {
	for {
		if !m.owns() {
			if res, done := m.forward(ctx, e); done {
				return res
			}
		}
		if res, owned := m.p.runEvent(ctx, h, e); owned {
			return res
		}
	}
}

// begin marks the change of that id as the one that runs, so that the
// store records that it writes hold it. An instance without its lease may
// not run it: another may be taking the page over.
func (m *member) begin(c changeID) bool {
	if !m.cluster().Leased() {
		return false
	}
	m.setPending(c, result{})
	return true
}

func (m *member) setPending(c changeID, res result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending, m.pendingRes, m.pendingSaved = c, res, false
}

// settle makes the result of the change that ran durable before it is
// acknowledged: the page's store record holds the ids of its latest
// changes with their results, so that an instance that takes the page over
// does not run them again. A change that this instance could not apply,
// because the page changed owner or revision meanwhile, is not remembered:
// it runs on its resend.
func (m *member) settle(_ changeID, res result, err error) (result, bool) {
	defer m.setPending(changeID{}, result{})
	if errors.Is(err, ErrVersionConflict) || errors.Is(err, ErrNotOwner) || errors.Is(err, errModifyConflict) {
		return failed(unavailableNow), false
	}
	m.mu.Lock()
	saved := m.pendingSaved
	m.pendingRes = res
	m.mu.Unlock()
	if saved && res.err == nil && res.reply == nil {
		return res, true // the change's own write holds it, with success
	}
	p := m.p
	if err := p.changing.enter(p.app.ctx); err != nil {
		return failed(unavailableNow), false
	}
	defer p.changing.leave()
	if serr := p.writeChanging(p.app.ctx, p.recordChanging()); serr != nil {
		if errors.Is(serr, ErrVersionConflict) {
			p.reloadChanging(p.app.ctx, serr)
		}
		return failed(unavailableNow), false
	}
	return res, true
}

// stamp makes the record this instance's, with the page's latest results
// and marks, and the pending change's last.
func (m *member) stamp(rec PageRecord) PageRecord {
	rec.Owner, rec.Events, rec.Marks = m.cluster().Self(), m.p.turns.results(), m.p.turns.markList()
	rec.TopicMark = m.p.turns.topicMarkNow()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending.message {
		rec.TopicMark = max(rec.TopicMark, m.pending.logSeq)
		return rec
	}
	if m.pending.id != "" {
		rec.Events = append(rec.Events, eventResult(m.pending.id, m.pendingRes))
	}
	if m.pending.seq > 0 {
		rec.Marks = withMark(rec.Marks, EventMark{Tab: m.pending.tab, Seq: m.pending.seq})
	}
	return rec
}

func (m *member) wrote() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pendingSaved = m.pending.id != ""
}

func (m *member) adopt(ctx context.Context, f fetched) error { return m.takeRoleChanging(ctx, f) }

func (m *member) changed(u Update, msg []byte, data any) {
	m.tellFollowers(change{kind: busDiff, v: u.Version, base: u.Base, msg: msg}, data)
}

// used tells the page's owner of a use of the page on this instance.
func (m *member) used(how use) {
	if owner := m.ownerID(); owner != "" {
		m.cluster().Send(owner, control{Token: m.p.token, Use: how}.encode(busTouch))
	}
}

// ended reports whether this instance owns the page, which ended; a
// follower stops following the page, after asking its owner to close the
// page everywhere if it was closed here (reason ErrPageClosed).
func (m *member) ended(reason error) bool {
	if owner := m.ownerID(); owner != "" {
		if errors.Is(reason, ErrPageClosed) {
			m.cluster().Send(owner, control{Token: m.p.token}.encode(busClose))
		}
		m.stop()
		return false
	}
	return true
}

// announceEnd tells the followers of a page this instance owns why it
// ended.
func (m *member) announceEnd(reason error) {
	m.cluster().Publish(m.p.id, control{Code: protocolError(reason).Code}.encode(busEnd))
}

// stop ends the subscription to the owner's messages.
func (m *member) stop() {
	if unsubscribe := m.unfollow.Swap(nil); unsubscribe != nil {
		(*unsubscribe)()
	}
}

// watchedElsewhere notes that connections of another instance show the
// page until about t.
func (m *member) watchedElsewhere(t time.Time) { m.remote.Store(t.UnixNano()) }

// shownElsewhere reports whether connections of another instance showed the
// page lately: the owner then keeps it as if its own connections did.
func (m *member) shownElsewhere(now time.Time) bool { return now.UnixNano() < m.remote.Load() }

// takeRoleChanging makes the page, which holds the record f, its owner or a
// follower of the record's owner, and takes it over when that owner has no
// lease any more.
func (m *member) takeRoleChanging(ctx context.Context, f fetched) error {
	for range 3 {
		m.catchUpToChanging(f)
		owner := f.rec.Owner
		if owner == m.cluster().Self() {
			m.own()
			return nil
		}
		alive, err := m.alive(ctx, owner)
		if err != nil {
			return fmt.Errorf("cluster: owner of the page: %w", err)
		}
		if alive {
			return m.followChanging(ctx, owner)
		}
		err = m.claimChanging(ctx, f)
		if !errors.Is(err, ErrVersionConflict) {
			return err
		}
		if f, err = m.p.app.fetch(ctx, m.p.id); err != nil {
			return err
		}
	}
	return fmt.Errorf("cluster: the page changed owner three times while this instance took it: %w", ErrVersionConflict)
}

// alive reports whether owner ("" for none) holds its lease.
func (m *member) alive(ctx context.Context, owner string) (bool, error) {
	if owner == "" {
		return false, nil
	}
	ctx, cancel := m.p.app.storeContext(ctx)
	defer cancel()
	return m.cluster().Alive(ctx, owner)
}

// catchUpToChanging takes the state of f if it is newer than the page's,
// with the results of its events, and sends the page to the joined
// connections. A record at the page's version but at another revision
// holds the same state (a version is written with one state) and newer
// results: the page takes its revision and results. This instance wrote
// it, and its write's ack was lost (a store call that timed out after the
// store took it), or another instance wrote it; writes based on the page's
// revision would be refused for ever, and the event that the lost write
// holds would run again on its resend.
func (m *member) catchUpToChanging(f fetched) {
	p := m.p
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.tree == nil || f.rec.Version > p.version:
	case f.rec.Version == p.version && f.rec.Revision != p.rev:
		p.rev, p.stored = f.rec.Revision, time.Now()
		p.turns.reset(f.rec, p.app.cfg.dedupeWindow)
		return
	default:
		return
	}
	p.setLocked(f)
	p.turns.reset(f.rec, p.app.cfg.dedupeWindow)
	p.renderToSubsLocked()
	m.signalMovedLocked()
}

// own makes this instance the page's owner.
func (m *member) own() {
	m.owner.Store(nil)
	m.stop()
}

// followChanging makes the page follow owner.
func (m *member) followChanging(ctx context.Context, owner string) error {
	m.owner.Store(&owner)
	if m.unfollow.Load() != nil {
		return nil
	}
	unsubscribe, err := m.cluster().Subscribe(m.p.id, m.deliver)
	if err != nil {
		return fmt.Errorf("cluster: follow the page: %w", err)
	}
	m.unfollow.Store(&unsubscribe)
	// A change published before the subscription is in the store: take it.
	m.resyncFromStoreChanging(ctx)
	if m.unfollow.Load() == nil {
		return ErrPageNotFound // the record went meanwhile: the page ended
	}
	return nil
}

// claimChanging takes the page over from an owner without a lease: the
// record, with this instance as its owner, is written on the revision f
// read, so that of instances claiming the page at once one wins.
func (m *member) claimChanging(ctx context.Context, f fetched) error {
	p := m.p
	p.mu.Lock()
	p.rev = f.rec.Revision
	p.mu.Unlock()
	p.turns.reset(f.rec, p.app.cfg.dedupeWindow)
	if err := p.writeChanging(ctx, p.recordChanging()); err != nil {
		return err
	}
	p.app.metrics.takeover()
	p.app.topics.takeOver(p, m.own)
	// Followers that missed the former owner's last changes catch up.
	m.tellFollowers(change{kind: busState, v: p.version}, p.data)
	return nil
}

// reconsider finds the page's owner again after owner did not answer: it
// follows the record's owner, or takes the page over if that owner has no
// lease. It reports whether the owner changed.
func (m *member) reconsider(ctx context.Context, owner string) bool {
	p := m.p
	if p.changing.enter(ctx) != nil {
		return false
	}
	defer p.changing.leave()
	if m.ownerID() != owner {
		return true
	}
	f, err := p.app.fetch(ctx, p.id)
	if err != nil || m.takeRoleChanging(ctx, f) != nil {
		return false
	}
	return m.ownerID() != owner
}

// verifyOwner makes the page follow the instance that took it over, if one
// did while this one, its owner, had no lease.
func (m *member) verifyOwner(ctx context.Context) {
	p := m.p
	if p.changing.enter(ctx) != nil {
		return
	}
	defer p.changing.leave()
	if !m.owns() {
		return
	}
	f, err := p.app.fetch(ctx, p.id)
	switch {
	case errors.Is(err, ErrPageNotFound):
		m.endedElsewhere(ErrPageNotFound)
	case err == nil && f.rec.Owner != m.cluster().Self():
		m.takeRoleChanging(ctx, f)
	}
}

// forward sends e to the page's owner and returns the owner's result, once
// the owner's change has reached this instance's connections. done is false
// when this instance became the page's owner meanwhile: the caller runs e.
// An owner that does not answer is looked up again (and the page taken over
// once its lease has lapsed) until ctx is done.
func (m *member) forward(ctx context.Context, e Event) (res result, done bool) {
	r, done, err := m.toOwner(ctx, eventRequest(m.p.token, e, rawWho(ctx)))
	switch {
	case !done:
		return result{}, false
	case err != nil:
		return failed(unavailableNow), true
	}
	return r.result(), true
}

// toOwner sends req to the page's owner and returns its answer, once the
// owner's change has reached this instance's connections. done is false
// when this instance became the page's owner meanwhile. An owner that does
// not answer is looked up again (and the page taken over once its lease has
// lapsed) until ctx is done: err is then ctx's error.
func (m *member) toOwner(ctx context.Context, req []byte) (r control, done bool, err error) {
	var b backoff
	for {
		owner := m.ownerID()
		if owner == "" {
			return control{}, false, nil
		}
		if r, ok := m.ask(ctx, owner, req); ok {
			m.await(ctx, r.V)
			return r, true, nil
		}
		if ctx.Err() != nil {
			return control{}, true, ctx.Err()
		}
		if m.reconsider(ctx, owner) {
			continue
		}
		if err := b.wait(ctx); err != nil {
			return control{}, true, err
		}
	}
}

// backoff spaces the tries of a request to a page's owner: 10 ms, then
// twice as long each time, up to 250 ms. The zero value is the first try's.
type backoff struct{ next time.Duration }

// wait waits until the next try, or fails with ctx's error.
func (b *backoff) wait(ctx context.Context) error {
	d := max(b.next, 10*time.Millisecond)
	b.next = min(2*d, 250*time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errModifyConflict is the answer to an update conditioned on a revision
// of the page's record that is no longer the latest.
var errModifyConflict = errors.New("the page changed since its record was read")

// updateRemote has the page's owner apply data, if at is not anyRevision
// only while the page's record is at revision at, and returns the owner's
// Update. done is false when this instance became the page's owner
// meanwhile: the caller changes the page itself. The owner answering
// unavailable (it has no lease, or is busy) is asked again until ctx is
// done.
func (m *member) updateRemote(ctx context.Context, data any, at uint64) (_ Update, done bool, _ error) {
	b, err := m.cluster().Encode(m.p.tmpl.name, data)
	if err != nil {
		return Update{}, true, fmt.Errorf("cluster: %w", err)
	}
	req := updateRequest{token: m.p.token, id: newUpdateID(), cond: at != anyRevision, rev: at, data: b}.encode()
	var retry backoff
	for {
		r, done, err := m.toOwner(ctx, req)
		switch {
		case !done:
			return Update{}, false, nil
		case err != nil:
			return Update{}, true, fmt.Errorf("the page's owner did not apply the change: %w", err)
		case r.Conflict:
			return Update{}, true, errModifyConflict
		case r.Code == protocol.CodeUnavailable || r.Code == protocol.CodeServerClosing:
			if err := retry.wait(ctx); err != nil {
				return Update{}, true, fmt.Errorf("the page's owner did not apply the change: %w", err)
			}
			continue
		case r.Code != "":
			return Update{}, true, ownerError(r)
		}
		return Update{Version: r.V, Base: r.Base, Body: r.Body}, true, nil
	}
}

// modifyRemote runs fn on the data of the page's latest record and has the
// owner apply its result if the record is still at that revision; after a
// conflict, it does it again on the newer record until ctx is done. done is
// false when this instance became the page's owner meanwhile.
func (m *member) modifyRemote(ctx context.Context, fn func(data any) (any, error)) (_ Update, done bool, _ error) {
	for {
		rec, err := m.latest(ctx)
		if err != nil {
			return Update{}, true, fmt.Errorf("livetemplate: modify page: store: %w", err)
		}
		data, err := m.p.modifyData(fn, rec.Data)
		if err != nil {
			return Update{}, true, err
		}
		u, done, err := m.updateRemote(ctx, data, rec.Revision)
		if !done || !errors.Is(err, errModifyConflict) {
			if err != nil {
				err = fmt.Errorf("livetemplate: modify page: %w", err)
			}
			return u, done, err
		}
		if ctx.Err() != nil {
			return Update{}, true, fmt.Errorf("livetemplate: modify page: %w: %w", errModifyConflict, ctx.Err())
		}
	}
}

// latest reads the page's store record; once ctx is done, it fails with
// ctx's error.
func (m *member) latest(ctx context.Context) (PageRecord, error) {
	sctx, cancel := m.p.app.storeContext(ctx)
	defer cancel()
	rec, err := m.p.app.store.Get(sctx, m.p.id)
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return rec, err
}

// ownerError is the error of an owner's answer that refused a change.
func ownerError(r control) error {
	if err := errorOf(r.Code); err != nil {
		return fmt.Errorf("the page's owner: %s: %w", r.Msg, err)
	}
	return fmt.Errorf("the page's owner: %s", r.Msg)
}

// newUpdateID is the id of a forwarded update: random, so that it is no
// event's id.
func newUpdateID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return "update-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// forwardAttempt bounds one attempt to have the owner run an event. An owner
// that died while it ran the event never answers: the event is then sent
// again, to the same owner if it still holds its lease (which answers the
// resend once the first run ends, without running it again), else to the
// instance that took the page over.
const forwardAttempt = time.Second

// ask sends an event request to owner and returns its answer; ok is false
// when owner did not answer in time, or does not own the page.
func (m *member) ask(ctx context.Context, owner string, req []byte) (control, bool) {
	ctx, cancel := context.WithTimeout(ctx, forwardAttempt)
	defer cancel()
	answer, err := m.cluster().Request(ctx, owner, req)
	if err != nil {
		return control{}, false
	}
	r, err := decodeControl(answer)
	return r, err == nil && !r.Moved
}

// awaitChange is how long a follower waits for the owner's change of an
// event whose ack came first, before it reads the change from the store.
const awaitChange = time.Second

// await waits until the page holds version v, which the owner reached: the
// event's diff then precedes its ack on every connection of this instance.
func (m *member) await(ctx context.Context, v uint64) {
	t := time.NewTimer(awaitChange)
	defer t.Stop()
	for {
		moved := m.movedBefore(v)
		if moved == nil {
			return
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return
		case <-t.C:
			m.resyncFromStore(ctx)
			return
		}
	}
}

// movedBefore returns a channel closed when the version of the page moves,
// or nil when the page holds version v or this instance owns it.
func (m *member) movedBefore(v uint64) chan struct{} {
	p := m.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.owns() || p.version >= v {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.moved == nil {
		m.moved = make(chan struct{})
	}
	return m.moved
}

// signalMovedLocked wakes the waiters of await.
func (m *member) signalMovedLocked() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.moved != nil {
		close(m.moved)
		m.moved = nil
	}
}

// deliver applies a message that the page's owner published.
func (m *member) deliver(msg []byte) {
	p := m.p
	if len(msg) == 0 || p.changing.enter(p.app.ctx) != nil {
		return
	}
	defer p.changing.leave()
	if m.owns() {
		return // this instance took the page over meanwhile
	}
	switch msg[0] {
	case busDiff, busState:
		if ch, err := decodeChange(msg); err == nil {
			m.applyChangeChanging(ch)
		}
	case busEnd:
		if c, err := decodeControl(msg); err == nil {
			m.endedElsewhere(endReason(c.Code))
		}
	case busPush:
		if c, err := decodeControl(msg); err == nil {
			p.pushChanging(c.Name, c.Data) // a page that ended here has no one to tell
		}
	case busHandoff:
		m.takeOverChanging(p.app.ctx)
	}
}

// endReason is why a page ended, from the code its owner published.
func endReason(code string) error {
	if err := errorOf(code); err != nil {
		return err
	}
	return ErrPageClosed
}

// applyChangeChanging takes the owner's change, if it follows the version
// the page holds; after a gap, the page reads the store.
func (m *member) applyChangeChanging(ch change) {
	p := m.p
	switch {
	case ch.v <= p.version:
		return
	case ch.kind == busDiff && ch.base != p.version:
		m.resyncFromStoreChanging(p.app.ctx)
		return
	}
	data, err := m.cluster().Decode(p.tmpl.name, ch.data)
	if err != nil {
		p.app.logError("livetemplate: cluster: decode a page's data", slog.Any("page", p), slog.Any("error", err))
		return
	}
	tree, err := p.app.render(p.tmpl, p.tree, data)
	if err != nil {
		p.app.logError("livetemplate: cluster: render a page's change", slog.Any("page", p), slog.Any("error", err))
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	base := p.version
	p.data, p.tree, p.version = data, tree, ch.v
	if ch.kind == busDiff {
		p.fanOutLocked(base, ch.msg)
	} else {
		p.resetLiveLocked()
		p.renderToSubsLocked()
	}
	m.signalMovedLocked()
}

// resyncFromStore takes the store's state of the page if it is newer.
func (m *member) resyncFromStore(ctx context.Context) {
	if m.p.changing.enter(ctx) != nil {
		return
	}
	defer m.p.changing.leave()
	m.resyncFromStoreChanging(ctx)
}

func (m *member) resyncFromStoreChanging(ctx context.Context) {
	f, err := m.p.app.fetch(ctx, m.p.id)
	if errors.Is(err, ErrPageNotFound) {
		m.endedElsewhere(ErrPageNotFound)
		return
	}
	if err == nil {
		m.catchUpToChanging(f)
	}
}

// endedElsewhere ends the page that its owner ended.
func (m *member) endedElsewhere(reason error) {
	if m.p.app.pages.remove(m.p, reason) {
		m.p.disconnect(reason)
	}
	m.stop()
}

// renderToSubsLocked sends the whole page to every joined connection, whose
// clients hold an older version that no diff of this instance leads from.
func (p *Page) renderToSubsLocked() {
	if p.tree == nil {
		return
	}
	snap, _ := Update{Version: p.version, Body: p.withToken(p.tree.AppendJSON(nil), p.version)}.MarshalJSON()
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	for _, s := range p.live.subs {
		if !s.quiet {
			s.c.dropLag(s.name)
			s.c.send(s.name, snap)
		}
	}
}

// tellFollowers publishes the page's change (ch.msg the diff from ch.base,
// or none for a busState) to the followers, with the page's data. Followers
// that miss it find the gap and read the store. The change lock is held, so
// that changes go out in the order of versions.
func (m *member) tellFollowers(ch change, data any) {
	b, err := m.cluster().Encode(m.p.tmpl.name, data)
	if err != nil {
		m.p.app.logError("livetemplate: cluster: encode a page's data", slog.Any("page", m.p), slog.Any("error", err))
		return
	}
	ch.data = b
	m.cluster().Publish(m.p.id, ch.encode())
}

// seenFrom is a dedupe memory holding the results of a store record.
func seenFrom(events []EventResult, limit int) recent[result] {
	var r recent[result]
	for _, e := range events[max(0, len(events)-limit):] {
		var res result
		if e.Reply != "" {
			res.reply = json.RawMessage(e.Reply)
		}
		if e.Code != "" {
			res = failed(&protocol.Error{Code: e.Code, Message: e.Message})
		}
		if _, ok := r.get(e.ID); !ok {
			r.add(e.ID, res, limit)
		}
	}
	return r
}

func eventResult(id string, res result) EventResult {
	if res.err == nil {
		return EventResult{ID: id, Reply: string(res.reply)}
	}
	return EventResult{ID: id, Code: res.err.Code, Message: res.err.Message}
}

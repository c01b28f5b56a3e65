package livetemplate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// A page in a cluster has one owner instance (see [Cluster]). On the other
// instances that hold it, the page follows the owner: its data, HTML and
// version change only by the owner's messages, and its events go to the
// owner. This file holds what a page does in either role.

// following reports whether another instance owns the page.
func (p *Page) following() bool { return p.owner.Load() != nil }

// ownerID returns the id of the instance that owns the page, or "" when this
// one does.
func (p *Page) ownerID() string {
	if o := p.owner.Load(); o != nil {
		return *o
	}
	return ""
}

// takeRole makes p, which holds the record f, the page's owner or a follower
// of the record's owner, and takes the page over when that owner has no
// lease any more. p.mu is held, or p is not shared yet.
func (p *Page) takeRole(ctx context.Context, f fetched) error {
	c := p.app.cfg.cluster
	for range 3 {
		p.catchUpTo(f)
		owner := f.rec.Owner
		if owner == c.Self() {
			p.own()
			return nil
		}
		alive := false
		if owner != "" {
			var err error
			if alive, err = c.Alive(ctx, owner); err != nil {
				return fmt.Errorf("cluster: owner of the page: %w", err)
			}
		}
		if alive {
			return p.follow(owner)
		}
		err := p.claim(f)
		if !errors.Is(err, ErrVersionConflict) {
			return err
		}
		if f, err = p.app.fetch(p.id); err != nil {
			return err
		}
	}
	return fmt.Errorf("cluster: the page changed owner three times while this instance took it: %w", ErrVersionConflict)
}

// catchUpTo takes the state of f if it is newer than the page's, and sends
// the page to the joined connections. p.mu is held.
func (p *Page) catchUpTo(f fetched) {
	if p.tree != nil && f.rec.Version <= p.version {
		return
	}
	p.set(f)
	p.renderToSubs()
	p.signalMoved()
}

// own makes this instance the page's owner. p.mu is held.
func (p *Page) own() {
	p.owner.Store(nil)
	p.stopFollowing()
}

// follow makes the page follow owner. p.mu is held.
func (p *Page) follow(owner string) error {
	p.owner.Store(&owner)
	if p.unfollow.Load() != nil {
		return nil
	}
	unsubscribe, err := p.app.cfg.cluster.Subscribe(p.id, p.deliver)
	if err != nil {
		return fmt.Errorf("cluster: follow the page: %w", err)
	}
	p.unfollow.Store(&unsubscribe)
	// A change published before the subscription is in the store: take it.
	p.resyncFromStore()
	if p.unfollow.Load() == nil {
		return ErrPageNotFound // the record went meanwhile: the page ended
	}
	return nil
}

// claim takes the page over from an owner without a lease: the record, with
// this instance as its owner, is written on the revision f read, so that of
// instances claiming the page at once one wins. p.mu is held.
func (p *Page) claim(f fetched) error {
	p.rev = f.rec.Revision
	p.seen = seenFrom(f.rec.Events, p.app.cfg.dedupeWindow)
	if err := p.store(p.record()); err != nil {
		return err
	}
	p.own()
	// Followers that missed the former owner's last changes catch up.
	p.tellFollowers(change{kind: busState, v: p.version})
	return nil
}

// reconsider finds the page's owner again after owner did not answer: it
// follows the record's owner, or takes the page over if that owner has no
// lease. It reports whether the owner changed.
func (p *Page) reconsider(ctx context.Context, owner string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ownerID() != owner {
		return true
	}
	f, err := p.app.fetch(p.id)
	if err != nil {
		return false
	}
	if err := p.takeRole(ctx, f); err != nil {
		return false
	}
	return p.ownerID() != owner
}

// forward sends e to the page's owner and returns the owner's result, once
// the owner's change has reached this instance's connections. done is false
// when this instance became the page's owner meanwhile: the caller runs e.
// An owner that does not answer is looked up again (and the page taken over
// once its lease has lapsed) until ctx is done.
func (p *Page) forward(ctx context.Context, e Event) (res *protocol.Error, done bool) {
	r, done, err := p.toOwner(ctx, eventRequest(p.token, e))
	switch {
	case !done:
		return nil, false
	case err != nil:
		return unavailableNow, true
	}
	return r.result(), true
}

// toOwner sends req to the page's owner and returns its answer, once the
// owner's change has reached this instance's connections. done is false
// when this instance became the page's owner meanwhile. An owner that does
// not answer is looked up again (and the page taken over once its lease has
// lapsed) until ctx is done: err is then ctx's error.
func (p *Page) toOwner(ctx context.Context, req []byte) (r control, done bool, err error) {
	backoff := 10 * time.Millisecond
	for {
		owner := p.ownerID()
		if owner == "" {
			return control{}, false, nil
		}
		if r, ok := p.ask(ctx, owner, req); ok {
			p.await(ctx, r.V)
			return r, true, nil
		}
		if ctx.Err() != nil {
			return control{}, true, ctx.Err()
		}
		if p.reconsider(ctx, owner) {
			continue
		}
		select {
		case <-ctx.Done():
			return control{}, true, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 250*time.Millisecond)
	}
}

// errModifyConflict is the answer to an update conditioned on a revision
// of the page's record that is no longer the latest.
var errModifyConflict = errors.New("the page changed since its record was read")

// updateRemote has the page's owner apply data, if cond only while the
// page's record is at revision rev, and returns the owner's Update. done
// is false when this instance became the page's owner meanwhile: the
// caller changes the page itself. The owner answering unavailable (it has
// no lease, or is busy) is asked again until ctx is done.
func (p *Page) updateRemote(ctx context.Context, data any, cond bool, rev uint64) (_ Update, done bool, _ error) {
	b, err := p.app.cfg.cluster.Encode(p.tmpl.name, data)
	if err != nil {
		return Update{}, true, fmt.Errorf("cluster: %w", err)
	}
	id, err := newUpdateID()
	if err != nil {
		return Update{}, true, err
	}
	req := updateRequest{token: p.token, id: id, cond: cond, rev: rev, data: b}.encode()
	backoff := 10 * time.Millisecond
	for {
		r, done, err := p.toOwner(ctx, req)
		switch {
		case !done:
			return Update{}, false, nil
		case err != nil:
			return Update{}, true, fmt.Errorf("the page's owner did not apply the change: %w", err)
		case r.Conflict:
			return Update{}, true, errModifyConflict
		case r.Code == protocol.CodeUnavailable || r.Code == protocol.CodeServerClosing:
			select {
			case <-ctx.Done():
				return Update{}, true, fmt.Errorf("the page's owner did not apply the change: %w", ctx.Err())
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 250*time.Millisecond)
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
func (p *Page) modifyRemote(ctx context.Context, fn func(data any) (any, error)) (_ Update, done bool, _ error) {
	for {
		rec, err := p.app.store.Get(ctx, p.id)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return Update{}, true, fmt.Errorf("livetemplate: modify page: store: %w", err)
		}
		data, err := fn(rec.Data)
		if err != nil {
			return Update{}, true, err
		}
		u, done, err := p.updateRemote(ctx, data, true, rec.Revision)
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

// ownerError is the error of an owner's answer that refused a change.
func ownerError(r control) error {
	var sentinel error
	switch r.Code {
	case protocol.CodeLimitReached:
		sentinel = ErrLimitReached
	case protocol.CodePageExpired, protocol.CodePageEvicted, protocol.CodePageNotFound, protocol.CodePageClosed:
		sentinel = errorOfCode(r.Code)
	default:
		return fmt.Errorf("the page's owner: %s", r.Msg)
	}
	return fmt.Errorf("the page's owner: %s: %w", r.Msg, sentinel)
}

// newUpdateID is the id of a forwarded update: random, so that it is no
// event's id.
func newUpdateID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("livetemplate: update id: %w", err)
	}
	return "update-" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// verifyOwner makes the page follow the instance that took it over, if one
// did while this one, its owner, had no lease.
func (p *Page) verifyOwner(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.following() {
		return
	}
	f, err := p.app.fetch(p.id)
	switch {
	case errors.Is(err, ErrPageNotFound):
		p.endedElsewhere(ErrPageNotFound)
	case err == nil && f.rec.Owner != p.app.cfg.cluster.Self():
		p.takeRole(ctx, f)
	}
}

// forwardAttempt bounds one attempt to have the owner run an event. An owner
// that died while it ran the event never answers: the event is then sent
// again, to the same owner if it still holds its lease (which answers the
// resend once the first run ends, without running it again), else to the
// instance that took the page over.
const forwardAttempt = time.Second

// ask sends an event request to owner and returns its answer; ok is false
// when owner did not answer in time, or does not own the page.
func (p *Page) ask(ctx context.Context, owner string, req []byte) (control, bool) {
	ctx, cancel := context.WithTimeout(ctx, forwardAttempt)
	defer cancel()
	answer, err := p.app.cfg.cluster.Request(ctx, owner, req)
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
func (p *Page) await(ctx context.Context, v uint64) {
	t := time.NewTimer(awaitChange)
	defer t.Stop()
	for {
		p.mu.Lock()
		if !p.following() || p.version >= v {
			p.mu.Unlock()
			return
		}
		if p.moved == nil {
			p.moved = make(chan struct{})
		}
		moved := p.moved
		p.mu.Unlock()
		select {
		case <-moved:
		case <-ctx.Done():
			return
		case <-t.C:
			p.mu.Lock()
			p.resyncFromStore()
			p.mu.Unlock()
			return
		}
	}
}

// signalMoved wakes the waiters of await. p.mu is held.
func (p *Page) signalMoved() {
	if p.moved != nil {
		close(p.moved)
		p.moved = nil
	}
}

// deliver applies a message that the page's owner published.
func (p *Page) deliver(msg []byte) {
	if len(msg) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.following() {
		return // this instance took the page over meanwhile
	}
	switch msg[0] {
	case busDiff, busState:
		if ch, err := decodeChange(msg); err == nil {
			p.applyChange(ch)
		}
	case busEnd:
		if c, err := decodeControl(msg); err == nil {
			p.endedElsewhere(errorOfCode(c.Code))
		}
	}
}

// applyChange takes the owner's change, if it follows the version the page
// holds; after a gap, the page reads the store. p.mu is held.
func (p *Page) applyChange(ch change) {
	switch {
	case ch.v <= p.version:
		return
	case ch.kind == busDiff && ch.base != p.version:
		p.resyncFromStore()
		return
	}
	data, err := p.app.cfg.cluster.Decode(p.tmpl.name, ch.data)
	if err != nil {
		p.app.logger().Error("livetemplate: cluster: decode a page's data", slog.Any("page", p), slog.Any("error", err))
		return
	}
	tree, err := p.app.render(p.tmpl, p.tree, data)
	if err != nil {
		p.app.logger().Error("livetemplate: cluster: render a page's change", slog.Any("page", p), slog.Any("error", err))
		return
	}
	base := p.version
	p.data, p.tree, p.version = data, tree, ch.v
	if ch.kind == busDiff {
		p.fanOut(base, ch.msg)
	} else {
		p.resetLive()
		p.renderToSubs()
	}
	p.signalMoved()
}

// resyncFromStore takes the store's state of the page if it is newer. p.mu
// is held.
func (p *Page) resyncFromStore() {
	f, err := p.app.fetch(p.id)
	if errors.Is(err, ErrPageNotFound) {
		p.endedElsewhere(ErrPageNotFound)
		return
	}
	if err == nil {
		p.catchUpTo(f)
	}
}

// endedElsewhere ends the page that its owner ended. p.mu is held.
func (p *Page) endedElsewhere(reason error) {
	if p.app.pages.remove(p, reason) {
		p.disconnect(reason)
	}
	p.stopFollowing()
}

// stopFollowing ends the subscription to the owner's messages.
func (p *Page) stopFollowing() {
	if unsubscribe := p.unfollow.Swap(nil); unsubscribe != nil {
		(*unsubscribe)()
	}
}

// renderToSubs sends the whole page to every joined connection, whose
// clients hold an older version that no diff of this instance leads from.
// p.mu is held.
func (p *Page) renderToSubs() {
	if p.tree == nil {
		return
	}
	snap, _ := Update{Version: p.version, Body: p.withToken(p.tree.AppendJSON(nil))}.MarshalJSON()
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	for _, s := range p.live.subs {
		s.c.dropLag(s.name)
		s.c.send(s.name, snap)
	}
}

// tellFollowers publishes the page's change (version p.version; ch.msg the
// diff from ch.base, or none for a busState) to the followers, with the
// page's data. Followers that miss it find the gap and read the store. p.mu
// is held.
func (p *Page) tellFollowers(ch change) {
	c := p.app.cfg.cluster
	if c == nil {
		return
	}
	data, err := c.Encode(p.tmpl.name, p.data)
	if err != nil {
		p.app.logger().Error("livetemplate: cluster: encode a page's data", slog.Any("page", p), slog.Any("error", err))
		return
	}
	ch.data = data
	c.Publish(p.id, ch.encode())
}

// leaveCluster is the cluster's part of a page's end: an owner tells the
// followers why the page ended, a follower stops following it.
func (p *Page) leaveCluster(reason error) {
	c := p.app.cfg.cluster
	if c == nil {
		return
	}
	if p.following() {
		p.stopFollowing()
		return
	}
	c.Publish(p.id, control{Code: protocolError(reason).Code}.encode(busEnd))
}

// touchOwner tells the page's owner of a use of the page on this instance.
func (p *Page) touchOwner(how use) {
	if owner := p.ownerID(); owner != "" {
		p.app.cfg.cluster.Send(owner, control{Token: p.token, Use: how}.encode(busTouch))
	}
}

// watchedElsewhere notes that connections of another instance show the
// page until about t.
func (p *Page) watchedElsewhere(t time.Time) { p.remote.Store(t.UnixNano()) }

// shownElsewhere reports whether connections of another instance showed the
// page lately: the owner then keeps it as if its own connections did.
func (p *Page) shownElsewhere(now time.Time) bool { return now.UnixNano() < p.remote.Load() }

// errorOfCode is the error of a page that ended, from its protocol code.
func errorOfCode(code string) error {
	switch code {
	case protocol.CodePageExpired:
		return ErrPageExpired
	case protocol.CodePageEvicted:
		return ErrPageEvicted
	case protocol.CodePageNotFound:
		return ErrPageNotFound
	}
	return ErrPageClosed
}

// seenFrom is a dedupe memory holding the results of a store record.
func seenFrom(events []EventResult, limit int) recent[*protocol.Error] {
	var r recent[*protocol.Error]
	for _, e := range events[max(0, len(events)-limit):] {
		var res *protocol.Error
		if e.Code != "" {
			res = &protocol.Error{Code: e.Code, Message: e.Message}
		}
		if _, ok := r.get(e.ID); !ok {
			r.add(e.ID, res, limit)
		}
	}
	return r
}

// events is the page's recent event results for its store record, oldest
// first, with the result of the event being handled last. p.mu is held.
func (p *Page) events() []EventResult {
	out := make([]EventResult, 0, len(p.seen.ring)+1)
	p.seen.each(func(id string, res *protocol.Error) {
		out = append(out, eventResult(id, res))
	})
	if p.pending != "" {
		out = append(out, eventResult(p.pending, p.pendingRes))
	}
	return out
}

func eventResult(id string, res *protocol.Error) EventResult {
	if res == nil {
		return EventResult{ID: id}
	}
	return EventResult{ID: id, Code: res.Code, Message: res.Message}
}

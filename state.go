package livetemplate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/livetemplate/livetemplate/internal/engine"
)

// How a page's state changes: each change holds the page's change lock from
// its render to its commit (see the lock order in page.go).

// anyRevision, as the revision a change is conditioned on, applies the
// change whatever the revision of the page's record. (A store never gives a
// record revision 0: a Put of revision 0 creates a record.)
const anyRevision = 0

// apply makes data the page's data on this instance, as Update does, and
// fails with ErrNotOwner on a follower in a cluster. Unless at is
// anyRevision, it applies data only while the page's record is at revision
// at (a follower's Modify read the record there), and fails with
// errModifyConflict otherwise.
func (p *Page) apply(ctx context.Context, data any, at uint64) (Update, error) {
	if err := p.use(useTouch); err != nil {
		return Update{}, err
	}
	if err := p.changing.enter(ctx); err != nil {
		return Update{}, err
	}
	defer p.changing.leave()
	return p.applyChanging(ctx, data, at)
}

// applyChanging is apply, with the change lock held: it renders data, writes
// the store record and commits the change.
func (p *Page) applyChanging(ctx context.Context, data any, at uint64) (Update, error) {
	switch {
	case !p.role.owns():
		return Update{}, ErrNotOwner
	case at != anyRevision && at != p.rev:
		return Update{}, errModifyConflict
	}
	tree, err := p.app.render(p.tmpl, p.tree, data)
	if err != nil {
		return Update{}, err
	}
	diff, changed, err := engine.AppendDiff(nil, p.tree, tree)
	if errors.Is(err, engine.ErrOtherProgram) {
		return p.replaceChanging(ctx, data, tree) // the template was reloaded (devmode.go)
	}
	if err != nil {
		return Update{}, err
	}
	u := Update{Version: p.version, Base: p.version}
	if changed {
		u.Version++
	}
	rec := p.recordChanging()
	rec.Data, rec.Version = data, u.Version
	if err := p.writeChanging(ctx, rec); err != nil {
		if !errors.Is(err, ErrVersionConflict) {
			return Update{}, err
		}
		if rerr := p.reloadChanging(ctx, err); rerr != nil {
			return Update{}, rerr
		}
		return Update{}, fmt.Errorf("%w: the page now holds version %d from the store; retry the change on it", err, p.version)
	}
	if changed {
		u.Body = p.withToken(diff, u.Version)
	}
	p.commitChanging(data, tree, u)
	return u, nil
}

// commitChanging makes data, rendered as tree, the page's state after u,
// which the store holds already, and sends u's diff, if it has one, to the
// page's connections and, in a cluster, to the other instances.
func (p *Page) commitChanging(data any, tree *engine.Tree, u Update) {
	var msg []byte
	p.mu.Lock()
	p.data, p.tree, p.version = data, tree, u.Version
	if u.Changed() {
		msg = p.publishLocked(u)
	}
	p.mu.Unlock()
	if msg != nil {
		p.role.changed(u, msg, data)
	}
}

// recordChanging is the page's store record. The change lock is held, or
// the page is not shared yet.
func (p *Page) recordChanging() PageRecord {
	return p.role.stamp(PageRecord{Template: p.tmpl.name, Data: p.data, Version: p.version, Revision: p.rev})
}

// writeChanging writes rec, based on the revision the page holds, within
// ctx and the store's timeout. The change lock is held, or the page is not
// shared yet.
func (p *Page) writeChanging(ctx context.Context, rec PageRecord) error {
	sctx, cancel := p.app.storeContext(ctx)
	defer cancel()
	rev, err := p.app.store.Put(sctx, p.id, rec, p.storeTTL())
	if err != nil {
		return p.storeError(ctx, err)
	}
	p.mu.Lock()
	p.rev, p.stored = rev, time.Now()
	p.mu.Unlock()
	p.role.wrote()
	return nil
}

// storeError is the error of a store write made for ctx that failed with
// err.
func (p *Page) storeError(ctx context.Context, err error) error {
	if errors.Is(err, ErrPageNotFound) {
		// The page ended (and its record went) while this change was
		// being made: say why it ended.
		if reason := p.app.pages.reason(p); reason != nil {
			return reason
		}
	}
	switch {
	case p.app.ctx.Err() != nil:
		return ErrApplicationClosed
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("store: %w (%w)", err, ctx.Err())
	}
	return fmt.Errorf("store: %w", err)
}

// reloadChanging replaces the page's state with the store's newer record,
// after conflict refused a write based on the older one.
func (p *Page) reloadChanging(ctx context.Context, conflict error) error {
	f, err := p.app.fetch(ctx, p.id)
	if err == nil {
		err = p.role.adopt(ctx, f)
	}
	if err != nil {
		return fmt.Errorf("%w; reloading the page: %w", conflict, err)
	}
	return nil
}

// setLocked makes f the page's state, and forgets the diffs that led to the
// state it replaces.
func (p *Page) setLocked(f fetched) {
	p.data, p.tree, p.version, p.rev, p.stored = f.rec.Data, f.tree, f.rec.Version, f.rec.Revision, time.Now()
	p.resetLiveLocked()
}

// keepStored rewrites the store record when it would otherwise expire before
// the page: a page that is used but not changed for long. If another
// application changed the record meanwhile, the page takes its state instead.
// While a change is being made, keepStored does nothing, so that readers
// never wait for it: the change writes the record, or, if it fails, the next
// use does (a record outlives by far the time after which it is rewritten).
func (p *Page) keepStored(ctx context.Context) error {
	if !p.role.owns() || !p.changing.tryEnter() {
		return nil
	}
	defer p.changing.leave()
	if time.Since(p.stored) < p.app.cfg.longestTTL() {
		return nil
	}
	err := p.writeChanging(ctx, p.recordChanging())
	if errors.Is(err, ErrVersionConflict) {
		return p.reloadChanging(ctx, err)
	}
	return err
}

// storeTTL is the TTL of store records: a record written at t outlives every
// page deadline up to t + the longest TTL, and keepStored rewrites it past
// that.
func (p *Page) storeTTL() time.Duration { return 2 * p.app.cfg.longestTTL() }

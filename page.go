package livetemplate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetemplate/livetemplate/internal/engine"
	"github.com/livetemplate/livetemplate/internal/protocol"
)

// Page is one live instance of a registered template: its data, its version
// and its last rendering, named by a token. All its methods are safe for
// concurrent use; changes are applied one at a time, in the order they take
// the page's lock.
type Page struct {
	app   *Application
	id    string
	token string
	tmpl  *registered

	mu      sync.Mutex
	data    any
	tree    *engine.Tree
	version uint64
	rev     uint64    // the store record's revision
	stored  time.Time // when the store record was last written
	live    liveState // the connections joined to the page and its recent diffs

	// turn is held by the event handler or [Page.Modify] that is changing
	// the page, so that they run one at a time; seen remembers the results
	// of recent events. seen is guarded by mu.
	turn chan struct{}
	seen recent[*protocol.Error]

	// In a cluster (see owner.go): owner is the id of the instance that
	// owns the page, nil when this one does; unfollow ends the subscription
	// to the owner's changes, moved is closed when a follower's version
	// moves; pending is the id of the event whose handler runs, with its
	// result once known, and pendingSaved whether a record holding it was
	// written. remote is the time (Unix nanoseconds) until which another
	// instance's connections show the page. The fields that are not
	// atomic are guarded by mu.
	owner        atomic.Pointer[string]
	unfollow     atomic.Pointer[func()]
	moved        chan struct{}
	pending      string
	pendingRes   *protocol.Error
	pendingSaved bool
	remote       atomic.Int64

	// Guarded by app.pages.mu.
	used       time.Time
	joined     bool
	list       *pageList
	prev, next *Page
	gone       error // why the page ended; nil while it is live
}

// GetToken returns the page's token: the name by which any connection, tab or
// device finds the page with [Application.GetPage], for the page's whole
// life. Treat it as a secret of the page's users: whoever has it sees and
// changes the page.
func (p *Page) GetToken() string { return p.token }

// ID returns the page's id: its key in the [Store]. Unlike the token it is
// not a secret (it opens nothing), so it is what logs and metrics should name
// a page by.
func (p *Page) ID() string { return p.id }

// String names the page by its id, never by its token, so that printing a
// page (fmt's %v, %+v, %#v) cannot leak the token into a log.
func (p *Page) String() string { return "livetemplate.Page(" + p.id + ")" }

// GoString is String: fmt's %#v would otherwise print every field.
func (p *Page) GoString() string { return p.String() }

// LogValue names the page by its id in log/slog records.
func (p *Page) LogValue() slog.Value { return slog.StringValue(p.id) }

// Render returns the page's HTML, for the HTTP response that shows the page:
// exactly what html/template's Execute writes for the page's data, with the
// page's token wherever the template calls PAGE_TOKEN. A page that is
// rendered and then never fetched by its token expires after the shorter
// [WithUnjoinedTTL].
func (p *Page) Render() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.use(useRender); err != nil {
		return "", fmt.Errorf("livetemplate: render page: %w", err)
	}
	if err := p.keepStored(); err != nil {
		return "", fmt.Errorf("livetemplate: render page: %w", err)
	}
	return string(p.withToken(p.tree.HTML())), nil
}

// Data returns the page's current data: the value itself, not a copy.
func (p *Page) Data() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data
}

// Version returns the page's version: 1 when [Application.NewPage] creates
// it (a page of [Application.SharedPage] starts higher), plus one for every
// [Page.Update] that changed its HTML.
func (p *Page) Version() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// Update replaces the page's data, renders it and returns what changed in
// the HTML, ready to send to a client that holds the page's previous version.
// The change is also sent to every connection joined to the page through
// the application's endpoint ([Application.Handler]), computed once for all.
// If the HTML did not change, the version stays and the Update has no diff.
// On error (a template execution error, [ErrLimitReached], a store error,
// [ErrPanicked] for a store, codec or iterator of the data that panicked) the
// page keeps its previous data value, HTML and version, except after
// [ErrVersionConflict]: another application sharing the store changed the
// page, and the page now holds that newer state (see [Page.Snapshot]); retry
// the change on it.
//
// In a cluster ([WithCluster]), the instance that owns the page changes it.
// On another instance, Update sends data (encoded by the cluster's codec) to
// the owner, which applies it in the page's order of changes, between two
// event handlers, and returns once the change has reached this instance's
// connections, within [WithEventTimeout]; the returned Update is then the
// owner's diff, or, if the owner had applied it already (a resend after a
// lost answer), the whole page (Base 0). Called from an event handler of a
// page that another instance took over while the handler ran, Update fails
// with [ErrNotOwner]: the event then runs again on the new owner.
//
// The new data may be the previous value modified in place: the diff compares
// renderings, not data. (A failed Update cannot undo such a modification:
// the page then holds the previous value, modified.) Changes that read the
// data, modify it and call Update from several goroutines (event handlers
// among them) need [Page.Modify], or one may overwrite another.
func (p *Page) Update(data any) (Update, error) {
	for range 3 {
		u, inHandler, err := p.updateHere(data)
		if !errors.Is(err, ErrNotOwner) || inHandler {
			return wrapUpdate(u, err)
		}
		ctx, cancel := context.WithTimeout(p.app.ctx, p.app.cfg.eventTimeout)
		u, done, err := p.updateRemote(ctx, data, false, 0)
		cancel()
		if done {
			return wrapUpdate(u, err)
		}
		// This instance took the page over meanwhile: change it here.
	}
	return Update{}, fmt.Errorf("livetemplate: update page: %w", ErrNotOwner)
}

// updateLocal is Update on this instance only: on a follower it fails with
// ErrNotOwner.
func (p *Page) updateLocal(data any) (Update, error) {
	u, _, err := p.updateHere(data)
	return wrapUpdate(u, err)
}

// updateHere is update under the page's lock. inHandler reports whether an
// event handler of the page runs on this instance (in a cluster).
func (p *Page) updateHere(data any) (u Update, inHandler bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, err = p.update(data)
	return u, p.pending != "", err
}

// locked runs fn with the page's lock held.
func (p *Page) locked(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
}

func wrapUpdate(u Update, err error) (Update, error) {
	if err != nil {
		return Update{}, fmt.Errorf("livetemplate: update page: %w", err)
	}
	return u, nil
}

func (p *Page) update(data any) (Update, error) {
	if err := p.use(useTouch); err != nil {
		return Update{}, err
	}
	if p.following() {
		return Update{}, ErrNotOwner
	}
	tree, err := p.app.render(p.tmpl, data)
	if err != nil {
		return Update{}, err
	}
	diff, changed, err := engine.AppendDiff(nil, p.tree, tree)
	if err != nil {
		return Update{}, err
	}
	version := p.version
	if changed {
		version++
	}
	rec := p.record()
	rec.Data, rec.Version = data, version
	if err := p.store(rec); err != nil {
		if errors.Is(err, ErrVersionConflict) {
			if rerr := p.reload(err); rerr != nil {
				return Update{}, rerr
			}
			return Update{}, fmt.Errorf("%w: the page now holds version %d from the store; retry the change on it", err, p.version)
		}
		return Update{}, err
	}
	u := Update{Version: version, Base: p.version}
	p.data, p.tree, p.version = data, tree, version
	if changed {
		u.Body = p.withToken(diff)
		msg := p.publish(u)
		p.tellFollowers(change{kind: busDiff, v: version, base: u.Base, msg: msg})
	}
	return u, nil
}

// reload replaces the page's state with the store's newer record, after
// conflict refused a write based on the older one. p.mu is held.
func (p *Page) reload(conflict error) error {
	f, err := p.app.fetch(p.id)
	if err != nil {
		return fmt.Errorf("%w; reloading the page: %w", conflict, err)
	}
	if p.app.cfg.cluster == nil {
		p.set(f)
		return nil
	}
	ctx, cancel := p.app.storeContext()
	defer cancel()
	if err := p.takeRole(ctx, f); err != nil {
		return fmt.Errorf("%w; reloading the page: %w", conflict, err)
	}
	return nil
}

// set makes f the page's state. p.mu is held, or p is not shared yet.
func (p *Page) set(f fetched) {
	p.data, p.tree, p.version, p.rev, p.stored = f.rec.Data, f.tree, f.rec.Version, f.rec.Revision, time.Now()
	if p.app.cfg.cluster != nil {
		p.seen = seenFrom(f.rec.Events, p.app.cfg.dedupeWindow)
	}
	p.resetLive()
}

// Snapshot returns the page's whole current rendering as an Update with Base
// 0, for a client that holds nothing yet (the statics and all the values).
func (p *Page) Snapshot() (Update, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.use(useTouch); err != nil {
		return Update{}, fmt.Errorf("livetemplate: snapshot page: %w", err)
	}
	if err := p.keepStored(); err != nil {
		return Update{}, fmt.Errorf("livetemplate: snapshot page: %w", err)
	}
	return Update{Version: p.version, Body: p.withToken(p.tree.AppendJSON(nil))}, nil
}

// Close ends the page: its record is deleted from the store and its token
// stops working in this application ([ErrPageClosed]), and in any other that
// has not loaded the page yet. Close is idempotent; closing a page that
// already ended does nothing.
func (p *Page) Close() error {
	var live bool
	p.locked(func() {
		if live = p.app.pages.remove(p, ErrPageClosed); live {
			p.disconnect(ErrPageClosed)
		}
	})
	if !live {
		return nil
	}
	if owner := p.ownerID(); owner != "" {
		// The owner ends the page for every instance, this one included.
		p.app.cfg.cluster.Send(owner, control{Token: p.token}.encode(busClose))
		p.leaveCluster(ErrPageClosed)
		return nil
	}
	// The record goes before the followers hear of the end: an instance
	// that reads it meanwhile follows the page in time to hear it too.
	ctx, cancel := p.app.storeContext()
	defer cancel()
	err := p.app.store.Delete(ctx, p.id)
	p.leaveCluster(ErrPageClosed)
	if err != nil && !errors.Is(err, ErrPageNotFound) {
		return fmt.Errorf("livetemplate: close page: store: %w", err)
	}
	return nil
}

// use records a use of the page. It fails with why the page ended. p.mu is
// held.
func (p *Page) use(how use) error {
	expired, err := p.app.pages.use(p, time.Now(), how)
	if expired {
		p.app.release([]*Page{p}, ErrPageExpired)
	}
	if err == nil && how != useTouch {
		p.touchOwner(how)
	}
	return err
}

// keepStored rewrites the store record when it would otherwise expire before
// the page: a page that is used but not changed for long. If another
// application changed the record meanwhile, the page takes its state instead.
// p.mu is held.
func (p *Page) keepStored() error {
	if p.following() || time.Since(p.stored) < p.app.cfg.longestTTL() {
		return nil
	}
	err := p.store(p.record())
	if errors.Is(err, ErrVersionConflict) {
		return p.reload(err)
	}
	return err
}

// storeTTL is the TTL of store records: a record written at t outlives every
// page deadline up to t + the longest TTL, and keepStored rewrites it past
// that.
func (p *Page) storeTTL() time.Duration { return 2 * p.app.cfg.longestTTL() }

// store writes rec, based on the revision the page holds. p.mu is held.
func (p *Page) store(rec PageRecord) error {
	ctx, cancel := p.app.storeContext()
	defer cancel()
	rev, err := p.app.store.Put(ctx, p.id, rec, p.storeTTL())
	if errors.Is(err, ErrPageNotFound) {
		// The page ended (and its record went) while this change was
		// being made: say why it ended.
		if reason := p.app.pages.reason(p); reason != nil {
			return reason
		}
	}
	if err != nil && p.app.ctx.Err() != nil {
		return ErrApplicationClosed
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	p.rev, p.stored = rev, time.Now()
	p.pendingSaved = p.pending != ""
	return nil
}

// record is the page's store record. p.mu is held.
func (p *Page) record() PageRecord {
	rec := PageRecord{Template: p.tmpl.name, Data: p.data, Version: p.version, Revision: p.rev}
	if c := p.app.cfg.cluster; c != nil {
		rec.Owner, rec.Events = c.Self(), p.events()
	}
	return rec
}

// withToken replaces the placeholders of PAGE_TOKEN and PAGE_VERSION in b
// with the page's token and version. p.mu is held.
func (p *Page) withToken(b []byte) []byte {
	if p.tmpl.usesToken {
		b = bytes.ReplaceAll(b, []byte(p.app.tokenPlaceholder), []byte(p.token))
	}
	if p.tmpl.usesVersion {
		b = bytes.ReplaceAll(b, []byte(p.app.versionPlaceholder), strconv.AppendUint(nil, p.version, 10))
	}
	return b
}

package livetemplate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/livetemplate/livetemplate/internal/engine"
)

// The locks of a page, in the order they are taken: code that holds one of
// them may take those below it, never one above it.
//
//  1. The turn (turns.turn, events.go). An event handler (with the Modify
//     calls made in its context while it runs), a Modify from elsewhere,
//     and in a cluster the owner's run of a follower's change, each hold it
//     for their whole run, so that they run one at a time.
//  2. The change lock (state.changing). One change of the page's state holds
//     it from its render to its commit, the store write and the messages to
//     a cluster's other instances included: Update, a Modify's result, a
//     rewrite of the store record, a reload from the store, in a cluster a
//     change of owner or a follower's taking of its owner's change. It, not
//     the turn, serialises the changes: Update does not wait for event
//     handlers. A page's store and cluster I/O runs under it, or under no
//     lock of the page; never under a lock below it.
//  3. The state lock (state.mu, p.mu). Short sections that read the state, or
//     commit a change to it; never held across I/O or user code, so that
//     Version, Data, Render, Snapshot and joins never wait for a store.
//  4. live.mu (live.go): the joined connections and the diff history. A
//     commit holds p.mu and then live.mu while it sends its diff, so that
//     every connection gets the diffs in the order of versions, and a join
//     (which holds both) sees all of a change or none of it.
//  5. Leaves, which call out to no other lock: the page set's (pageset.go),
//     a connection's (conn.go; a connection's writer holds none of its own
//     locks when it calls back into a page's), turns.mu and a handler's
//     turn's mu (events.go), and member.mu (owner.go).
//
// A function whose name ends in Locked needs p.mu held (and live.mu when its
// comment says so); one whose name ends in Changing needs the change lock
// held. Pages that end are released (their connections told, their records
// deleted) by code that holds none of their locks.

// Page is one live instance of a registered template: its data, its version
// and its last rendering, named by a token. All its methods are safe for
// concurrent use; changes are applied one at a time, in the order they take
// the page's lock.
type Page struct {
	// The page's parts, one concern each, each with its lock (see the lock
	// order above).
	identity
	state
	live  liveState // the connections joined to it and its recent diffs (live.go)
	turns turns     // the turn of its event handlers and their results (events.go)
	role  role      // its part in a cluster, chosen when it is made (cluster.go, owner.go)
	entry pageEntry // its place in the application's page set (pageset.go)
}

// identity names a page and what it renders. It is set when the page is made
// and never changes: it is read without a lock.
type identity struct {
	app   *Application
	id    string // its store record's key
	token string
	tmpl  *registered
}

// state is the page's current state: its data, the tree of its HTML and its
// version, and the revision and time of its store record. A change holds
// changing from its render to its commit, so that changes apply one at a
// time and each store write is based on the revision of the one before; mu
// guards the fields, held for short sections only. A change writes the
// fields holding both; a reader holds either. A tree is never modified once
// rendered, so a reader may use the tree it read after unlocking.
type state struct {
	changing changeLock
	mu       sync.Mutex
	data     any
	tree     *engine.Tree
	version  uint64
	rev      uint64    // the store record's revision
	stored   time.Time // when the store record was last written
}

// A gate is a lock whose waiters give up when their context ends, and
// take it in the order they came: a page's turn.
type gate chan struct{}

func newGate() gate { return make(gate, 1) }

// enter takes g once it is free, or fails with ctx's error.
func (g gate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) leave() { <-g }

// A changeLock is a lock whose waiters give up when their context ends: a
// page's change lock. It allocates nothing until a change waits for
// another, so that it costs an idle page no more than a mutex; its waiters
// take it in no particular order, as concurrent changes have none. mu
// guards held and free.
type changeLock struct {
	mu   sync.Mutex
	held bool
	free chan struct{} // closed when the lock is left, made when someone waits
}

// enter takes l once it is free, or fails with ctx's error.
func (l *changeLock) enter(ctx context.Context) error {
	for {
		l.mu.Lock()
		if !l.held {
			l.held = true
			l.mu.Unlock()
			return nil
		}
		if l.free == nil {
			l.free = make(chan struct{})
		}
		free := l.free
		l.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryEnter takes l if it is free, and reports whether it did.
func (l *changeLock) tryEnter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return false
	}
	l.held = true
	return true
}

func (l *changeLock) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = false
	if l.free != nil {
		close(l.free)
		l.free = nil
	}
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
// [WithUnjoinedTTL]. Render is RenderContext with the background context.
func (p *Page) Render() (string, error) { return p.RenderContext(context.Background()) }

// RenderContext is [Page.Render] with a context. Rendering may write the
// page's store record, to keep it from expiring when the page has not
// changed for long: ctx bounds that write (as [WithStoreTimeout] does,
// whichever ends first) and its values reach the [Store].
func (p *Page) RenderContext(ctx context.Context) (string, error) {
	if err := p.visit(ctx, useRender); err != nil {
		return "", fmt.Errorf("livetemplate: render page: %w", err)
	}
	tree, v := p.current()
	return string(p.withToken(tree.HTML(), v)), nil
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

// current returns the page's tree and version, which name one HTML of it.
func (p *Page) current() (*engine.Tree, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tree, p.version
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
// the change on it. Update is UpdateContext with the background context.
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
	return p.UpdateContext(context.Background(), data)
}

// UpdateContext is [Page.Update] with a context. ctx bounds the wait for the
// page's change being made, if one is, the store write (as
// [WithStoreTimeout] does, whichever ends first) and, in a cluster, the
// change's trip to the page's owner (as [WithEventTimeout] does); its values
// reach the [Store]. An Update that ctx ended fails with an error wrapping
// ctx's error, and the page keeps its state, as after any error.
func (p *Page) UpdateContext(ctx context.Context, data any) (Update, error) {
	u, err := p.role.update(ctx, data)
	if err != nil {
		return Update{}, fmt.Errorf("livetemplate: update page: %w", err)
	}
	return u, nil
}

// Snapshot returns the page's whole current rendering as an Update with Base
// 0, for a client that holds nothing yet (the statics and all the values).
// Snapshot is SnapshotContext with the background context.
func (p *Page) Snapshot() (Update, error) { return p.SnapshotContext(context.Background()) }

// SnapshotContext is [Page.Snapshot] with a context, which bounds the store
// write that may keep the page's record from expiring, as for
// [Page.RenderContext].
func (p *Page) SnapshotContext(ctx context.Context) (Update, error) {
	if err := p.visit(ctx, useTouch); err != nil {
		return Update{}, fmt.Errorf("livetemplate: snapshot page: %w", err)
	}
	tree, v := p.current()
	return Update{Version: v, Body: p.withToken(tree.AppendJSON(nil), v)}, nil
}

// Close ends the page: its record is deleted from the store and its token
// stops working in this application ([ErrPageClosed]), and in any other that
// has not loaded the page yet. Close is idempotent; closing a page that
// already ended does nothing. Close is CloseContext with the background
// context.
func (p *Page) Close() error { return p.CloseContext(context.Background()) }

// CloseContext is [Page.Close] with a context, which bounds the deletion of
// the page's store record (as [WithStoreTimeout] does, whichever ends
// first) and whose values reach the [Store]. The page has ended for this
// application even if the deletion fails; its record then expires by its
// time to live.
func (p *Page) CloseContext(ctx context.Context) error {
	if !p.app.pages.remove(p, ErrPageClosed) {
		return nil
	}
	if err := p.end(ctx, ErrPageClosed); err != nil {
		return fmt.Errorf("livetemplate: close page: %w", err)
	}
	return nil
}

// end tells the connections of the page, which ended for reason, why, and
// deletes its store record, unless another instance of a cluster owns it. It
// holds none of the page's locks.
func (p *Page) end(ctx context.Context, reason error) error {
	p.disconnect(reason)
	if !p.role.ended(reason) {
		return nil
	}
	ctx, cancel := p.app.storeContext(ctx)
	defer cancel()
	err := p.app.store.Delete(ctx, p.id)
	// The record goes before the followers hear of the end: an instance
	// that reads it meanwhile follows the page in time to hear it too.
	p.role.announceEnd(reason)
	if err != nil && !errors.Is(err, ErrPageNotFound) {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// use records a use of the page with the page set and, on a follower in a
// cluster, with the page's owner. It fails with why the page ended; a page
// whose time to live had passed ends as expired, and is released here: the
// caller holds none of the page's locks.
func (p *Page) use(how use) error {
	expired, err := p.app.pages.use(p, time.Now(), how)
	if expired {
		p.app.release([]*Page{p}, ErrPageExpired)
	}
	if err == nil && how != useTouch {
		p.role.used(how)
	}
	return err
}

// visit is a use of the page that reads it (see use), which keeps the
// page's store record from expiring (see keepStored).
func (p *Page) visit(ctx context.Context, how use) error {
	if err := p.use(how); err != nil {
		return err
	}
	return p.keepStored(ctx)
}

// withToken replaces the placeholders of PAGE_TOKEN and PAGE_VERSION in b,
// the HTML or JSON of the page at version, with the page's token and that
// version.
func (p *Page) withToken(b []byte, version uint64) []byte {
	prog := p.tmpl.program()
	if prog.usesToken {
		b = bytes.ReplaceAll(b, []byte(p.app.tokenPlaceholder), []byte(p.token))
	}
	if prog.usesVersion {
		b = bytes.ReplaceAll(b, []byte(p.app.versionPlaceholder), strconv.AppendUint(nil, version, 10))
	}
	return b
}

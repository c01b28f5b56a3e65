package livetemplate

import (
	"context"
	"errors"
	"time"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// A Cluster lets several instances of an application (processes, usually on
// several machines) serve the same pages: any instance serves any token, and
// every change of a page reaches the connections of every instance.
// Package github.com/livetemplate/livetemplate/cluster implements it on NATS
// (its WithNATS option); this interface is what the application needs of
// such a transport, and an application uses its Cluster alone.
//
// Each page has one owner: the instance whose id is in the page's store
// record ([PageRecord.Owner]). The owner runs the page's event handlers, one
// at a time, writes each change to the store before it acknowledges the
// event or sends the change on, and publishes the change to the page's
// followers: the other instances that hold the page because connections
// showing it are joined to them. A follower sends the events of its
// connections, and its own [Page.Update] and [Page.Modify] changes, to the
// owner, and sends its connections the owner's changes. An
// instance takes a page over when the record's owner no longer holds a live
// lease ([Cluster.Alive]), by writing the record with its own id
// (compare-and-swap on the record's revision), so that a page has one owner
// at a time and the former owner's writes are refused.
//
// A method that panics is an error of that call ([ErrPanicked]), logged with
// its stack; Leased is then false.
type Cluster interface {
	// Store is the store that all instances share. It replaces the store
	// of WithStore.
	Store() Store
	// Self is this instance's id, unique among all instances ever.
	Self() string
	// Encode and Decode turn the data of a page of the named template
	// into bytes and back, for the changes sent to followers.
	Encode(template string, data any) ([]byte, error)
	Decode(template string, b []byte) (any, error)
	// Start is called once by NewApplication. From then until Close
	// returns, the cluster calls serve, in goroutines of its own, with
	// every message that another instance sent to this one by Request or
	// Send, and answers a Request with serve's result; and it calls
	// regained, in a goroutine of its own, whenever the instance holds its
	// lease again after it had lapsed (another instance may have taken
	// some of its pages over meanwhile).
	Start(serve func(ctx context.Context, msg []byte) []byte, regained func()) error
	// Close is called once by Application.Close: it gives up the
	// instance's lease, so that other instances can take its pages over at
	// once, ends every subscription, and returns once no call of serve or
	// of a subscription's deliver runs.
	Close() error
	// Leased reports whether this instance holds its lease now: an
	// instance that does not may not run event handlers, since another
	// may be taking its pages over.
	Leased() bool
	// Alive reports whether the instance holds its lease.
	Alive(ctx context.Context, instance string) (bool, error)
	// Publish sends msg to the followers of the page whose id is page.
	Publish(page string, msg []byte) error
	// Subscribe calls deliver with every message published for the page,
	// in the order they were published, one at a time, until unsubscribe.
	Subscribe(page string, deliver func(msg []byte)) (unsubscribe func(), err error)
	// Request sends msg to the instance and returns its answer. It fails
	// when the instance does not answer before ctx is done, or when no
	// such instance is reachable.
	Request(ctx context.Context, instance string, msg []byte) ([]byte, error)
	// Send sends msg to the instance without waiting for an answer.
	Send(instance string, msg []byte) error
}

// WithCluster makes the application one instance of several that serve the
// same pages through c, and keeps its page records in c's store. Use the
// option of package github.com/livetemplate/livetemplate/cluster
// (cluster.WithNATS) rather than calling it yourself. Default: none, the
// application serves its pages alone.
func WithCluster(c Cluster) Option {
	return func(cfg *config) { cfg.cluster = c }
}

// EventResult is the result of an event whose handler ran, as a page's store
// record keeps it (see [PageRecord.Events]).
type EventResult struct {
	ID      string // the event's id
	Code    string // the protocol's error code; "" when the handler succeeded
	Message string // the error's message
	// Reply is the JSON of the handler's reply ([Reply]), "" for none
	// or when the handler failed.
	Reply string
}

// role is a page's part in a cluster: how its changes and events reach the
// instance that owns it, and what the owner keeps in the store and tells
// the others. It is chosen once, when the page is made (newRole): solo for
// an application alone, a *member (owner.go) in a cluster.
type role interface {
	// update, modify and handle do what Page.UpdateContext, Page.Modify
	// (in the turn that Modify holds: its handler's if inHandler) and
	// Page.handle do, wherever the page's owner is.
	update(ctx context.Context, data any) (Update, error)
	modify(ctx context.Context, fn func(data any) (any, error), inHandler bool) (Update, error)
	handle(ctx context.Context, h EventHandler, e Event) result
	// push does what Page.Push does with name and data, its JSON.
	push(ctx context.Context, name string, data []byte) error

	// owns reports whether this instance owns the page: it changes the
	// page itself and writes its record.
	owns() bool
	// begin and settle bracket the run of a change of that id in the
	// page's turn (see Page.once): begin reports whether it may run now;
	// settle makes its result res durable if need be (err is the change's
	// own error), and reports whether the page remembers it.
	begin(c changeID) bool
	settle(c changeID, res result, err error) (result, bool)

	// With the change lock held: stamp returns rec, a record about to be
	// written, with the role's fields, and wrote follows its write; adopt takes the
	// state of f, a record newer than the page's (or its first), and the
	// role f gives; changed follows the commit of u, whose message is msg,
	// with data.
	stamp(rec PageRecord) PageRecord
	wrote()
	adopt(ctx context.Context, f fetched) error
	changed(u Update, msg []byte, data any)

	// used follows a use of the page; ended follows its end for reason,
	// and reports whether this instance deletes the page's record, after
	// which announceEnd tells the other instances; stop ends the role when
	// the application closes; shownElsewhere reports whether connections of
	// another instance show the page now.
	used(how use)
	ended(reason error) (owned bool)
	announceEnd(reason error)
	stop()
	shownElsewhere(now time.Time) bool
}

// newRole returns the role of p, a page being made.
func (a *Application) newRole(p *Page) role {
	if a.cfg.cluster == nil {
		return solo{p}
	}
	return &member{p: p}
}

// solo is the role of a page of an application alone: it owns the page,
// changes it here and tells nobody.
type solo struct{ p *Page }

func (s solo) update(ctx context.Context, data any) (Update, error) {
	return s.p.apply(ctx, data, anyRevision)
}

func (s solo) modify(ctx context.Context, fn func(data any) (any, error), _ bool) (Update, error) {
	u, _, err := s.p.modifyHere(ctx, fn)
	return u, err
}

func (s solo) handle(ctx context.Context, h EventHandler, e Event) result {
	res, _ := s.p.runEvent(ctx, h, e)
	return res
}

func (solo) owns() bool          { return true }
func (solo) begin(changeID) bool { return true }

func (solo) settle(_ changeID, res result, _ error) (result, bool) {
	return res, true
}

func (solo) stamp(rec PageRecord) PageRecord { return rec }
func (solo) wrote()                          {}

func (s solo) adopt(_ context.Context, f fetched) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.setLocked(f)
	return nil
}

func (solo) changed(Update, []byte, any)   {}
func (solo) used(use)                      {}
func (solo) ended(error) bool              { return true }
func (solo) announceEnd(error)             {}
func (solo) stop()                         {}
func (solo) shownElsewhere(time.Time) bool { return false }

// startCluster starts the application's cluster, if it has one: from then
// on the application calls it through a guardedCluster, and keeps its pages
// in the cluster's store.
func (a *Application) startCluster() error {
	c := a.cfg.cluster
	if c == nil {
		return nil
	}
	g := &guardedCluster{app: a, c: c}
	store, err := call(a, "Cluster.Store", func() (Store, error) { return c.Store(), nil })
	if err != nil {
		return err
	}
	if g.self, err = call(a, "Cluster.Self", func() (string, error) { return c.Self(), nil }); err != nil {
		return err
	}
	a.store, a.cfg.cluster = guardedStore{app: a, s: store}, g
	return g.Start(a.serve, a.regained)
}

// guardedCluster is the cluster that an application uses: the [Cluster] of
// [WithCluster], each call made through call, so that a cluster (or its
// codec) that panics fails that call with [ErrPanicked]: a call whose error
// only gets logged is logged, Leased is false, and Self is the id the
// cluster gave when the application started.
type guardedCluster struct {
	app  *Application
	c    Cluster
	self string
}

func (g *guardedCluster) Store() Store { return g.app.store }
func (g *guardedCluster) Self() string { return g.self }

func (g *guardedCluster) Encode(template string, data any) ([]byte, error) {
	return call(g.app, "Cluster.Encode", func() ([]byte, error) { return g.c.Encode(template, data) })
}

func (g *guardedCluster) Decode(template string, b []byte) (any, error) {
	return call(g.app, "Cluster.Decode", func() (any, error) { return g.c.Decode(template, b) })
}

func (g *guardedCluster) Start(serve func(ctx context.Context, msg []byte) []byte, regained func()) error {
	return callErr(g.app, "Cluster.Start", func() error { return g.c.Start(serve, regained) })
}

func (g *guardedCluster) Close() error {
	return callErr(g.app, "Cluster.Close", g.c.Close)
}

func (g *guardedCluster) Leased() bool {
	leased, _ := call(g.app, "Cluster.Leased", func() (bool, error) { return g.c.Leased(), nil })
	return leased
}

func (g *guardedCluster) Alive(ctx context.Context, instance string) (bool, error) {
	return call(g.app, "Cluster.Alive", func() (bool, error) { return g.c.Alive(ctx, instance) })
}

func (g *guardedCluster) Publish(page string, msg []byte) error {
	return callErr(g.app, "Cluster.Publish", func() error { return g.c.Publish(page, msg) })
}

func (g *guardedCluster) Subscribe(page string, deliver func(msg []byte)) (func(), error) {
	unsubscribe, err := call(g.app, "Cluster.Subscribe", func() (func(), error) { return g.c.Subscribe(page, deliver) })
	if err != nil {
		return nil, err
	}
	return func() {
		callErr(g.app, "Cluster.Subscribe's unsubscribe", func() error { unsubscribe(); return nil })
	}, nil
}

func (g *guardedCluster) Request(ctx context.Context, instance string, msg []byte) ([]byte, error) {
	return call(g.app, "Cluster.Request", func() ([]byte, error) { return g.c.Request(ctx, instance, msg) })
}

func (g *guardedCluster) Send(instance string, msg []byte) error {
	return callErr(g.app, "Cluster.Send", func() error { return g.c.Send(instance, msg) })
}

// regained checks, after this instance's lease had lapsed, that it still
// owns the pages it thinks it owns: those that another instance took over
// meanwhile follow it from now on.
func (a *Application) regained() {
	for _, p := range a.pages.owned() {
		ctx, cancel := a.storeContext(a.ctx)
		memberOf(p).verifyOwner(ctx)
		cancel()
	}
}

// serve answers a message that another instance sent this one. A
// malformed message is dropped: it changes no page.
func (a *Application) serve(ctx context.Context, msg []byte) []byte {
	if len(msg) == 0 {
		return nil
	}
	if msg[0] == busUpdate {
		u, err := decodeUpdate(msg)
		if err != nil {
			return nil
		}
		return a.serveUpdate(u)
	}
	c, err := decodeControl(msg)
	if err != nil {
		return nil
	}
	switch msg[0] {
	case busEvent:
		return a.serveEvent(c)
	case busPush:
		return a.servePush(c)
	case busTouch:
		a.serveTouch(c)
	case busClose:
		if p, err := a.findPage(c.Token); err == nil {
			p.Close()
		}
	}
	return nil
}

// serveEvent runs an event that a follower forwarded, if this instance owns
// its page.
func (a *Application) serveEvent(c control) []byte {
	if c.ID == "" || (c.Seq > 0 && protocol.Tab(c.ID, c.Seq) == "") {
		return nil // malformed
	}
	if a.handoff.stopping() {
		return control{Moved: true}.encode(busReply) // ask the page's next owner
	}
	p, err := a.findPage(c.Token)
	if err != nil {
		return eventReply(failed(protocolError(err)), 0)
	}
	id, err := a.whoOf(c.Who)
	if err != nil {
		return eventReply(failed(&protocol.Error{Code: protocol.CodeBadMessage, Message: err.Error()}), 0)
	}
	// The handler's context is the application's, as for its own
	// connections' events: Close cancels it.
	res, owned := p.handleOwned(withWho(a.events, id), Event{Name: c.Name, ID: c.ID, Data: c.Data, seq: c.Seq})
	if !owned {
		return control{Moved: true}.encode(busReply)
	}
	return eventReply(res, p.Version())
}

// serveUpdate applies the data of a follower's Page.Update or Page.Modify,
// if this instance owns the page: in the page's turn, as an event handler
// would, once per request id, with the result in the page's record before
// the change goes to the followers.
func (a *Application) serveUpdate(req updateRequest) []byte {
	if a.handoff.stopping() {
		return control{Moved: true}.encode(busReply) // ask the page's next owner
	}
	p, err := a.findPage(req.token)
	if err != nil {
		return eventReply(failed(protocolError(err)), 0)
	}
	data, err := a.cfg.cluster.Decode(p.tmpl.name, req.data)
	if err != nil {
		return eventReply(failed(&protocol.Error{Code: protocol.CodeHandlerError, Message: err.Error()}), 0)
	}
	ctx, cancel := context.WithTimeout(a.events, a.cfg.eventTimeout)
	defer cancel()
	var u Update
	var uerr error
	res, how := p.once(ctx, changeID{id: req.id}, func(ctx context.Context) (result, error) {
		if u, uerr = p.apply(ctx, data, req.at()); uerr != nil {
			return failed(handlerError(uerr)), uerr
		}
		return result{}, nil
	})
	switch {
	case how == elsewhere:
		return control{Moved: true}.encode(busReply)
	case how == repeated:
		// Applied already: the follower gets the whole page.
		tree, v := p.current()
		return updateReply(Update{Version: v, Body: p.withToken(tree.AppendJSON(nil), v)}, res.err)
	case errors.Is(uerr, errModifyConflict):
		return control{Conflict: true, V: p.Version()}.encode(busReply)
	}
	return updateReply(u, res.err)
}

// serveTouch records a use of a page that this instance owns by a follower's
// connection.
func (a *Application) serveTouch(c control) {
	p, err := a.findPage(c.Token)
	if err != nil || !p.role.owns() {
		return
	}
	memberOf(p).watchedElsewhere(time.Now().Add(remoteWatch(&a.cfg)))
	if c.Use != useTouch {
		p.visit(a.ctx, c.Use)
	}
}

// remoteWatch is how long a page that another instance's connections show
// counts as shown after that instance said so: it says so at every sweep.
func remoteWatch(c *config) time.Duration { return 3 * sweepInterval(c) }

// touchWatched tells the owners of the pages that this instance follows and
// its connections show that they are still shown, so that the owners do not
// let them expire; a page whose owner lost its lease is taken over, so that
// a page that its clients only watch does not wait for an event.
func (a *Application) touchWatched() {
	if a.cfg.cluster == nil {
		return
	}
	alive := make(map[string]bool) // by owner: one look-up per owner and sweep
	for _, p := range a.pages.watchedFollowed() {
		m := memberOf(p)
		owner := m.ownerID()
		ok, seen := alive[owner]
		if !seen {
			ctx, cancel := a.storeContext(a.ctx)
			ok, _ = a.cfg.cluster.Alive(ctx, owner)
			cancel()
			alive[owner] = ok
		}
		if ok {
			m.used(useTouch)
			continue
		}
		ctx, cancel := a.storeContext(a.ctx)
		m.reconsider(ctx, owner)
		cancel()
	}
}

// unavailableNow is the result of an event that could not run now, and
// whose resend may.
var unavailableNow = &protocol.Error{Code: protocol.CodeUnavailable, Message: "the page's owner could not be reached: resend the event"}

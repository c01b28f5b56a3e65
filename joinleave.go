package livetemplate

import (
	"context"
	"reflect"
	"time"

	"github.com/livetemplate/livetemplate/internal/roster"
)

// DefaultLeaveGrace is how long a viewer whose connection was lost may take
// to come back before it leaves (see [WithLeaveGrace]).
const DefaultLeaveGrace = 5 * time.Second

// A Viewer is one tab (or other client) that shows a page: a join of the
// page on a connection, named so that it outlives the connection when the
// browser's tabs move to a new one.
type Viewer struct {
	// Browser is the id of the browser that shows the page ([BrowserID]),
	// or "" for a client that sent none.
	Browser string
	// Name is the page's name on the connection: for the browser client,
	// the tab's id and a number, the same on every connection the tab's
	// page is joined on.
	Name string

	who *who
}

// WithJoinLeave sets functions that the application calls when a viewer
// joins a page (onJoin) and when it leaves it (onLeave); either may be
// nil. Their ctx carries the viewer's identity ([Identity]) and is bounded
// by [WithEventTimeout].
//
// A viewer joins when a tab joins the page, and leaves when the tab leaves
// it (closes, navigates away, or the page stops), or when its connection
// is lost and it has not joined again within [WithLeaveGrace]. When the tab
// that holds a browser's connection closes or crashes, the next one joins
// the other tabs' pages again on a new connection: their viewers neither
// leave nor join. A viewer that joins again with another identity (after a
// sign-out) leaves, and the new one joins.
//
// The functions run one at a time, in the order of the joins and leaves,
// in a goroutine of the application's: a slow one delays the next ones, not
// the connections. A panic is logged. Nothing is called for a page that
// ended, or once the application is closing. Each instance of a cluster
// tells its own connections' viewers.
//
// Default: none.
func WithJoinLeave(onJoin, onLeave func(ctx context.Context, p *Page, v Viewer)) Option {
	return func(c *config) { c.onJoin, c.onLeave = onJoin, onLeave }
}

// WithLeaveGrace sets how long a viewer whose connection was lost may take
// to join again (the browser's reconnect, or its next leading tab's new
// connection) before it leaves: see [WithJoinLeave]. Default:
// [DefaultLeaveGrace], 5 seconds.
func WithLeaveGrace(d time.Duration) Option {
	return func(c *config) { c.leaveGrace = d }
}

// ViewerIdentity returns the identity of the viewer's connection, as
// [Identity] returns it in the viewer's handlers.
func ViewerIdentity[T any](v Viewer) (T, bool) {
	return Identity[T](withWho(context.Background(), v.who))
}

// Presence returns who views the page: a Viewer for each tab that shows
// it, including the tabs whose connection was lost less than
// [WithLeaveGrace] ago (a leader handing over, a reconnect), in no
// particular order. Count them by identity ([ViewerIdentity]) or by
// browser to show "3 people here": call it from [WithJoinLeave]'s
// functions, which run after each change, and change the page there.
//
// In a cluster it holds the viewers of every instance that shows the
// page: each publishes its own at each change, a moment before the others
// know them. The viewers of an instance that dies are dropped once its
// lease has lapsed (within a second more), and their leaves are told on
// one of the instances that show the page.
func (p *Page) Presence() []Viewer {
	return append(p.app.viewers.Viewers(p), p.app.presence.table.Viewers(p.id)...)
}

// viewerKey names a viewer across connections: by browser id and page
// name, or, for a client without a browser id, by its connection too.
type viewerKey struct {
	browser string
	conn    *conn
	name    string
}

type viewers = roster.Roster[*Page, viewerKey, Viewer]

// newViewers returns the application's roster.
func (a *Application) newViewers() *viewers {
	same := func(x, y Viewer) bool { return reflect.DeepEqual(valueOf(x.who), valueOf(y.who)) }
	var tell func(roster.Change[*Page, Viewer])
	if a.cfg.onJoin != nil || a.cfg.onLeave != nil || a.cfg.cluster != nil {
		tell = a.viewerChanged
	}
	return roster.New[*Page, viewerKey](a.cfg.leaveGrace, same, tell)
}

func valueOf(w *who) any {
	if w == nil {
		return nil
	}
	return w.value
}

// tell calls the application's function for ch.
func (a *Application) tell(ch roster.Change[*Page, Viewer]) {
	fn, what := a.cfg.onJoin, "WithJoinLeave's onJoin"
	if ch.Kind == roster.Left {
		fn, what = a.cfg.onLeave, "WithJoinLeave's onLeave"
	}
	if fn == nil {
		return
	}
	a.presence.telling.Lock() // one at a time: the roster's changes, and the leaves of dead instances
	defer a.presence.telling.Unlock()
	ctx, cancel := context.WithTimeout(withWho(a.events, ch.Viewer.who), a.cfg.eventTimeout)
	defer cancel()
	callErr(a, what, func() error { fn(ctx, ch.Page, ch.Viewer); return nil })
}

func (c *conn) viewerKey(name string) viewerKey {
	if c.browserID != "" {
		return viewerKey{browser: c.browserID, name: name}
	}
	return viewerKey{conn: c, name: name}
}

// joined counts c's join of p under name.
func (c *conn) joined(name string, p *Page) {
	c.app.viewers.Join(p, c.viewerKey(name), Viewer{Browser: c.browserID, Name: name, who: c.who})
}

// left counts the end of c's join of p under name: lost when the
// connection ended rather than the client leaving.
func (c *conn) left(name string, p *Page, lost bool) {
	c.app.viewers.Leave(p, c.viewerKey(name), lost)
}

// ended forgets the viewers of p, which ended.
func (c *conn) ended(p *Page) {
	c.app.viewers.End(p)
}

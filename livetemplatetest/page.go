package livetemplatetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/livetemplate/livetemplate/internal/protocol"
	"github.com/livetemplate/livetemplate/internal/replica"
)

// Page is a page as the client holds it: its HTML at the version it last
// received.
type Page struct {
	c    *Client
	name string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every change of state below
	token   string
	tree    *replica.Tree
	html    string // tree's HTML, when fresh
	fresh   bool
	version uint64
	joined  bool
	ended   error // why the page is not joined, if it is not
	stats   Stats
	pong    int
	replies []Reply // not read yet by NextReply
	pushes  []Push  // not read yet by NextPush
}

// Stats counts what a page received.
type Stats struct {
	Renders int // render messages: the whole page
	Diffs   int // diff messages
	Gaps    int // diffs that did not apply to the version held, which made the client ask for the page again
}

func newPage(c *Client, name, token string, version uint64) *Page {
	return &Page{c: c, name: name, token: token, version: version, tree: new(replica.Tree), changed: make(chan struct{})}
}

// Name returns the name by which the client joined the page on its
// connection ("" for the default page).
func (p *Page) Name() string { return p.name }

// Token returns the page's token.
func (p *Page) Token() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.token
}

// HTML returns the page's HTML at the version the client holds.
func (p *Page) HTML() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.htmlLocked()
}

// htmlLocked returns the tree's HTML, built once per change. p.mu is held.
func (p *Page) htmlLocked() string {
	if !p.fresh {
		p.html, _ = p.tree.HTML() // a tree that applied cleanly has HTML
		p.fresh = true
	}
	return p.html
}

// Version returns the version the client holds (0 for none).
func (p *Page) Version() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// Stats returns what the page has received so far.
func (p *Page) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Err returns why the page is not joined (an [*Error] such as page_expired,
// or [ErrClosed]), or nil while it is.
func (p *Page) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ended
}

// Event sends the event name with data (marshalled to JSON; nil for none)
// and waits for its acknowledgement. A failed ack is returned as an
// [*Error] with the server's code, such as handler_error.
func (p *Page) Event(ctx context.Context, name string, data any) error {
	return p.EventID(ctx, p.c.newEventID(), name, data)
}

// EventID is [Page.Event] with the event's id chosen by the caller: sending
// an id again is how a client resends an event whose ack it did not get.
func (p *Page) EventID(ctx context.Context, id, name string, data any) error {
	return p.c.event(ctx, p.name, id, 0, name, data)
}

// EventSeq is [Page.EventID] for the event numbered seq (from 1) of a tab:
// its id is the tab's id, a dash and seq. The server runs each tab's
// events once and in the order of their numbers, however late a resend
// comes: one that comes before an earlier one of its tab is refused with
// unavailable (see docs/protocol.md).
func (p *Page) EventSeq(ctx context.Context, tab string, seq uint64, name string, data any) error {
	return p.c.event(ctx, p.name, tab+"-"+strconv.FormatUint(seq, 10), seq, name, data)
}

// Leave leaves the page: the server sends nothing more about it.
func (p *Page) Leave(ctx context.Context) error {
	m := map[string]any{"type": protocol.TypeLeave}
	if p.name != "" {
		m["page"] = p.name
	}
	p.c.mu.Lock()
	delete(p.c.pages, p.name)
	p.c.mu.Unlock()
	return p.c.Send(ctx, m)
}

// Wait waits until the page's HTML satisfies ok, or the page ends.
func (p *Page) Wait(ctx context.Context, ok func(html string) bool) error {
	err := p.waitFor(ctx, func() bool { return p.joined && ok(p.htmlLocked()) })
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w; its HTML is %q", err, p.HTML())
	}
	return err
}

// WaitVersion waits until the client holds version v or a later one.
func (p *Page) WaitVersion(ctx context.Context, v uint64) error {
	return p.waitFor(ctx, func() bool { return p.joined && p.version >= v })
}

func (p *Page) waitJoined(ctx context.Context) error {
	return p.waitFor(ctx, func() bool { return p.joined })
}

func (p *Page) pongs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pong
}

func (p *Page) waitPong(ctx context.Context, seen int) error {
	return p.waitFor(ctx, func() bool { return p.pong > seen })
}

// waitFor waits until cond, evaluated under p.mu, holds.
func (p *Page) waitFor(ctx context.Context, cond func() bool) error {
	for {
		p.mu.Lock()
		ok, ended, changed := cond(), p.ended, p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		if ended != nil {
			return ended
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("livetemplatetest: page %q: %w", p.name, ctx.Err())
		}
	}
}

// join sends the join message and waits for the page.
func (p *Page) join(ctx context.Context) error {
	m := map[string]any{"type": protocol.TypeJoin, "token": p.Token()}
	if p.name != "" {
		m["page"] = p.name
	}
	if v := p.Version(); v > 0 {
		m["v"] = v
	}
	if err := p.c.Send(ctx, m); err != nil {
		return err
	}
	return p.waitJoined(ctx)
}

// handOver gives q the tree and version p holds. p.c.mu is held.
func (p *Page) handOver(q *Page) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q.tree, q.version = p.tree, p.version
	p.tree = new(replica.Tree)
}

// takesError reports whether an error message is about p: it ends p's join,
// or p's attempt to join. Other errors (a bad message, an event refused for
// its rate) are the connection's. p may be nil.
func (p *Page) takesError(named bool, code string) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.joined {
		return endsPage(code)
	}
	return named || (code != protocol.CodeBadMessage && code != protocol.CodeRateLimited)
}

// receive applies one message about the page.
func (p *Page) receive(m message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.signal()
	switch m.Type {
	case protocol.TypePageToken:
		p.token = m.Token
	case protocol.TypeRender:
		t := new(replica.Tree)
		if err := t.Apply(m.Tree); err != nil {
			return fmt.Errorf("page %q: render v%d: %w", p.name, m.V, err)
		}
		p.tree, p.fresh, p.version = t, false, m.V
		p.stats.Renders++
	case protocol.TypeDiff:
		return p.applyDiff(m)
	case protocol.TypeJoined:
		if p.version != m.V {
			return fmt.Errorf("page %q: joined at v%d, but the client holds v%d", p.name, m.V, p.version)
		}
		p.joined, p.ended = true, nil
	case protocol.TypeError:
		p.joined, p.ended = false, &Error{Code: m.Code, Message: m.Message}
	case protocol.TypePong:
		p.pong++
	}
	return nil
}

// applyDiff applies a diff, or asks for the page again when it does not
// apply to the version held. p.mu is held.
func (p *Page) applyDiff(m message) error {
	p.stats.Diffs++
	if m.Base != p.version {
		p.stats.Gaps++
		go p.resync()
		return nil
	}
	if err := p.tree.Apply(m.D); err != nil {
		// The tree may be half changed: start again from the whole page.
		p.tree, p.version = new(replica.Tree), 0
		go p.resync()
		return fmt.Errorf("page %q: diff v%d: %w", p.name, m.V, err)
	}
	p.fresh, p.version = false, m.V
	return nil
}

// resync joins the page again under its name with the version held: the
// server answers with what the client lacks.
func (p *Page) resync() {
	m := map[string]any{"type": protocol.TypeJoin, "token": p.Token(), "v": p.Version()}
	if p.name != "" {
		m["page"] = p.name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.c.Send(ctx, m)
}

func (p *Page) connectionEnded() {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.signal()
	p.joined = false
	if p.ended == nil {
		p.ended = ErrClosed
	}
}

// signal wakes the waiters. p.mu is held.
func (p *Page) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

package livetemplate

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// conn is one WebSocket connection of the endpoint. Its own goroutine reads
// it and handles what it reads; a writer goroutine, started when there is
// something to write and ended when there is not, is its only writer. An
// idle connection so costs one goroutine.
type conn struct {
	app     *Application
	ws      *websocket.Conn
	ctx     context.Context // cancelled when the connection ends
	cancel  context.CancelFunc
	browser string
	epoch   uint64
	limit   bucket // read loop only

	mu        sync.Mutex
	queue     []outgoing // messages waiting for the writer
	writing   bool       // the writer goroutine runs
	pingDue   bool       // the writer owes the heartbeat a ping
	pinged    bool       // a ping is unanswered
	closing   bool
	pages     map[string]*Page // joined pages by name
	behind    map[string]*lag  // pages whose diffs wait for a catch-up, by name
	lanes     map[string]*lane // events waiting for their handlers, by page name
	idleSince time.Time        // when the last page was left; zero while some page is joined
	beat      *time.Timer
	wg        sync.WaitGroup // the writer, the event lanes and the closer
}

func newConn(a *Application, ws *websocket.Conn, browser string, epoch uint64) *conn {
	c := &conn{app: a, ws: ws, browser: browser, epoch: epoch, idleSince: time.Now()}
	c.ctx, c.cancel = context.WithCancel(a.ctx)
	c.limit = bucket{rate: a.cfg.eventRate, burst: float64(a.cfg.eventBurst), tokens: float64(a.cfg.eventBurst)}
	return c
}

// start starts the heartbeat.
func (c *conn) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.beat = time.AfterFunc(c.app.cfg.heartbeat, c.heartbeat)
}

// heartbeat runs every heartbeat interval: it closes a connection that did
// not answer the last ping or has joined no page for too long, and has the
// writer send a new ping.
func (c *conn) heartbeat() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closing:
		return
	case c.pinged:
		c.failLocked(protocol.CloseHeartbeat, "no pong to the last ping")
		return
	case len(c.pages) == 0 && time.Since(c.idleSince) >= c.app.cfg.connIdle:
		c.failLocked(protocol.CloseIdle, "no page joined")
		return
	}
	c.pinged, c.pingDue = true, true
	c.kickLocked()
	c.beat.Reset(c.app.cfg.heartbeat)
}

// fail closes the connection with code, once.
func (c *conn) fail(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failLocked(code, reason)
}

func (c *conn) failLocked(code websocket.StatusCode, reason string) {
	c.closeLocked(code, reason, nil)
}

// goAway closes the connection because the application closes: the client
// gets an error server_closing, then close 1001.
func (c *conn) goAway() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(websocket.StatusGoingAway, protocol.CodeServerClosing, serverClosing)
}

// closeLocked closes the connection with code, once, after writing last (if
// not nil) within the write timeout: a client learns why from a message too,
// not only from the close reason. Messages that the writer is writing may
// still come between them. c.mu is held.
func (c *conn) closeLocked(code websocket.StatusCode, reason string, last []byte) {
	if c.closing {
		return
	}
	c.closing = true
	c.queue = nil
	if c.beat != nil {
		c.beat.Stop()
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if last != nil {
			c.writeFrame(last) // the close follows whether or not the client took it
		}
		c.ws.Close(code, reason) // bounded by the library's own close timeouts
		c.cancel()
	}()
}

// finish releases what the connection holds once its reader has stopped.
func (c *conn) finish() {
	c.fail(websocket.StatusNormalClosure, "")
	c.mu.Lock()
	pages := c.pages
	c.pages = nil
	c.mu.Unlock()
	for name, p := range pages {
		p.unsubscribe(c, name)
	}
	c.wg.Wait()
	c.cancel()
}

// readLoop reads and handles the client's messages until the connection
// ends.
func (c *conn) readLoop() {
	for {
		typ, frame, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		allowed := c.limit.allow(time.Now()) // every frame counts, well formed or not
		m, bad := decode(typ, frame)
		switch {
		case bad != nil && !allowed:
			c.send("", protocol.ErrorMessage(rateLimited))
			continue
		case bad != nil:
			c.send("", protocol.ErrorMessage(bad))
			continue
		case !allowed && m.Type != protocol.TypeLeave: // leaving only lightens the load
			c.refuse(m, rateLimited)
			continue
		}
		c.handle(m)
	}
}

var rateLimited = &protocol.Error{Code: protocol.CodeRateLimited, Message: "too many messages: resend later"}

// decode decodes a client's frame.
func decode(typ websocket.MessageType, frame []byte) (protocol.Message, *protocol.Error) {
	if typ != websocket.MessageText {
		return protocol.Message{}, &protocol.Error{Code: protocol.CodeBadMessage, Message: "binary frames are not part of the protocol"}
	}
	m, err := protocol.Decode(frame)
	if err != nil {
		var pe *protocol.Error
		errors.As(err, &pe)
		return m, pe
	}
	return m, nil
}

func (c *conn) handle(m protocol.Message) {
	switch m.Type {
	case protocol.TypeJoin:
		c.join(m.Page, m.Token, m.V, m.Ref)
	case protocol.TypeLeave:
		c.leave(m.Page)
	case protocol.TypeEvent:
		c.event(m)
	case protocol.TypePing:
		c.send("", protocol.WithRef(protocol.Pong(), m.Ref))
	}
}

// refuse answers m with e: an event gets a failed ack, anything else an
// error with the message's ref.
func (c *conn) refuse(m protocol.Message, e *protocol.Error) {
	if m.Type == protocol.TypeEvent {
		c.send(m.Page, protocol.AckError(m.ID, e))
		return
	}
	c.send(m.Page, protocol.WithRef(protocol.ErrorMessage(e), m.Ref))
}

// join joins the page of tok under name, for a client that holds version
// have of it. ref is the join's, for its answers.
func (c *conn) join(name, tok string, have uint64, ref string) {
	p, err := c.app.findPage(tok)
	if err != nil {
		c.send(name, protocol.WithRef(protocol.ErrorMessage(protocolError(err)), ref))
		return
	}
	c.joinPage(name, p, have, ref)
}

func (c *conn) joinPage(name string, p *Page, have uint64, ref string) {
	c.mu.Lock()
	switch {
	case c.pages[name] == p:
		c.mu.Unlock()
		p.resync(c, name, have, ref)
		return
	case c.pages[name] != nil:
		c.mu.Unlock()
		c.send(name, protocol.WithRef(protocol.ErrorMessage(&protocol.Error{Code: protocol.CodeAlreadyJoined, Message: "a page of this name is joined on this connection: leave it first"}), ref))
		return
	case len(c.pages) >= c.app.cfg.maxConnPages:
		c.mu.Unlock()
		c.send(name, protocol.WithRef(protocol.ErrorMessage(&protocol.Error{Code: protocol.CodeTooManyPages, Message: "this connection has joined as many pages as it may"}), ref))
		return
	}
	if c.pages == nil {
		c.pages = make(map[string]*Page)
	}
	c.pages[name] = p // reserve the name: the reader is the only joiner
	c.idleSince = time.Time{}
	c.mu.Unlock()
	if err := p.subscribe(c, name, have, ref); err != nil {
		c.forget(name, p)
		c.send(name, protocol.WithRef(protocol.ErrorMessage(protocolError(err)), ref))
	}
}

// forget removes the page of name from the connection, if it is p.
func (c *conn) forget(name string, p *Page) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages[name] != p {
		return false
	}
	delete(c.pages, name)
	delete(c.behind, name)
	if len(c.pages) == 0 {
		c.idleSince = time.Now()
	}
	return true
}

func (c *conn) leave(name string) {
	p := c.page(name)
	if p == nil {
		return // leaving twice, or a page that ended: nothing to do
	}
	if c.forget(name, p) {
		p.unsubscribe(c, name)
	}
}

func (c *conn) page(name string) *Page {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pages[name]
}

// pageEnded tells the client that the page it joined as name ended. The
// page's lock is held.
func (c *conn) pageEnded(name string, p *Page, e *protocol.Error) {
	if c.forget(name, p) {
		c.send(name, protocol.ErrorMessage(e))
	}
}

// event queues an event for its page's lane: the events of one page name
// run in the order they came, one at a time, and those of different pages
// (different tabs) at the same time, so that one slow handler delays only
// its own page, and the reader goes on reading (pongs among the rest).
func (c *conn) event(m protocol.Message) {
	p := c.page(m.Page)
	if p == nil {
		c.refuse(m, &protocol.Error{Code: protocol.CodeNotJoined, Message: "the event names a page this connection has not joined"})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lanes[m.Page]
	if l == nil {
		if c.lanes == nil {
			c.lanes = make(map[string]*lane)
		}
		l = new(lane)
		c.lanes[m.Page] = l
	}
	if len(l.events) >= c.app.cfg.sendQueue {
		c.sendLocked(m.Page, protocol.AckError(m.ID, busy))
		return
	}
	l.events = append(l.events, laneEvent{p, m})
	if !l.running {
		l.running = true
		c.wg.Add(1)
		go c.runLane(m.Page, l)
	}
}

var busy = &protocol.Error{Code: protocol.CodeUnavailable, Message: "too many events of this page wait: resend later"}

// lane holds the events of one page name waiting for their handler.
type lane struct {
	events  []laneEvent
	running bool // runLane runs
}

type laneEvent struct {
	p *Page
	m protocol.Message
}

// runLane runs the events of l in order until none is left.
func (c *conn) runLane(name string, l *lane) {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(l.events) == 0 {
			l.running = false
			delete(c.lanes, name)
			c.mu.Unlock()
			return
		}
		ev := l.events[0]
		l.events = l.events[1:]
		c.mu.Unlock()
		c.ack(ev.m, ev.p.handle(c.app.events, Event{Name: ev.m.Name, ID: ev.m.ID, Data: ev.m.Data}))
	}
}

// ack acknowledges m with its result. The handler ran to its end even if the
// sender went meanwhile: the result is kept for the sender's resend, which
// must not find a change half made.
func (c *conn) ack(m protocol.Message, res *protocol.Error) {
	if res != nil {
		c.send(m.Page, protocol.AckError(m.ID, res))
		return
	}
	c.send(m.Page, protocol.Ack(m.ID))
}

// bucket is a token bucket: it allows rate messages a second on average, in
// bursts of up to burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

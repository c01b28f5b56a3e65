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
//
// What a client can make the server hold is bounded in bytes: the messages
// waiting for the writer (WithSendQueueBytes; joins and catch-ups wait as
// marks, rendered when written), and the events waiting for their handlers
// (WithEventQueueBytes).
type conn struct {
	app     *Application
	ws      *websocket.Conn
	ctx     context.Context // cancelled when the connection ends
	cancel  context.CancelFunc
	browser string
	epoch   uint64

	mu         sync.Mutex
	limit      limiter       // the client's rate limits
	room       chan struct{} // closed when the queue has room again, the writer pings or the connection closes; nil while the reader does not wait
	queue      []outgoing    // messages waiting for the writer
	queued     int           // bytes of the messages queued or being written
	writing    bool          // the writer goroutine runs
	pingDue    bool          // the writer owes the heartbeat a ping
	pinged     bool          // a ping is unanswered
	pinging    bool          // the writer waits for a pong: the reader must read
	closing    bool
	pages      map[string]*Page // joined pages by name
	behind     []*catchUp       // the catch-ups waiting in the queue in place of their pages' diffs, one per page name at most
	lanes      map[*Page]*lane  // events waiting for their handlers, by page
	eventBytes int              // what the events of lanes count, running ones included
	idleSince  time.Time        // when the last page was left; zero while some page is joined
	beat       *time.Timer
	wg         sync.WaitGroup // the writer, the event lanes and the closer
}

// newConn returns the connection of a handshake. Its ws is set once the
// handshake, which needs the connection for its ping callbacks, is done.
func newConn(a *Application, browser string, epoch uint64) *conn {
	c := &conn{app: a, browser: browser, epoch: epoch, idleSince: time.Now()}
	c.ctx, c.cancel = context.WithCancel(a.ctx)
	c.limit.init(&a.cfg)
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
	c.app.metrics.closed(code)
	c.closing = true
	c.queue, c.behind = nil, nil
	c.wakeReaderLocked()
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
// ends. While the send queue is full it reads nothing: a client that sends
// faster than it reads the answers is slowed down by TCP, and the server
// holds no more of its answers than the queue's limits.
func (c *conn) readLoop() {
	for c.awaitRoom() {
		typ, frame, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		v := c.take(len(frame)) // every frame counts, well formed or not
		if v == abusive {
			c.fail(protocol.CloseTooManyMessages, tooManyReason)
			return
		}
		m, bad := decode(typ, frame)
		switch {
		case bad != nil && v == refused:
			c.app.metrics.refused(rateLimited.Code)
			c.send("", protocol.ErrorMessage(rateLimited))
		case bad != nil:
			c.send("", protocol.ErrorMessage(bad))
		case v == refused && m.Type == protocol.TypeLeave:
			c.handle(m) // leaving only lightens the load
		case v == refused:
			c.refuse(m, rateLimited)
		default:
			c.handle(m)
		}
	}
}

// tooManyReason is the reason of the close of a client that went on sending
// far past its rate limits.
const tooManyReason = "too many messages: the client sent far past its rate limits"

// control counts a WebSocket ping or pong frame of size bytes that the
// client sent against its rate limits, and reports whether it is within
// them: a ping past them gets no pong.
func (c *conn) control(size int) bool {
	switch c.take(size) {
	case allowed:
		return true
	case abusive:
		c.fail(protocol.CloseTooManyMessages, tooManyReason)
	}
	return false
}

// take counts a frame of size bytes against the rate limits.
func (c *conn) take(size int) verdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit.take(&c.app.cfg, time.Now(), size)
}

// awaitRoom waits while the send queue is full, and reports whether the
// connection goes on. It does not wait while the writer waits for a pong,
// which only the reader can read.
func (c *conn) awaitRoom() bool {
	c.mu.Lock()
	for !c.closing && !c.pinging && c.fullLocked(1) {
		if c.room == nil {
			c.room = make(chan struct{})
		}
		room := c.room
		c.mu.Unlock()
		<-room
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	return !c.closing
}

// wakeReaderLocked wakes the reader if it waits for room. c.mu is held.
func (c *conn) wakeReaderLocked() {
	if c.room != nil {
		close(c.room)
		c.room = nil
	}
}

// fullLocked reports whether the queue holds times its limits, in
// messages or bytes. c.mu is held.
func (c *conn) fullLocked(times int) bool {
	return len(c.queue) >= times*c.app.cfg.sendQueue || c.queued >= times*c.app.cfg.sendQueueBytes
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
	c.app.metrics.refused(e.Code)
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
	c.joinPage(name, p, have, useJoin, ref)
}

// joinPage joins p under name; how is useJoin for a join by token,
// useCreator for the page that a PageHandler made for the connection. ref
// is the join's, for its answers.
func (c *conn) joinPage(name string, p *Page, have uint64, how use, ref string) {
	c.mu.Lock()
	switch {
	case c.pages[name] == p:
		c.mu.Unlock()
		c.joinCatchUp(name, p, have, ref) // a resync
		return
	case c.pages[name] != nil:
		c.mu.Unlock()
		c.send(name, protocol.WithRef(protocol.ErrorMessage(&protocol.Error{Code: protocol.CodeAlreadyJoined, Message: "a page of this name is joined on this connection: leave it first"}), ref))
		return
	case len(c.pages) >= c.app.cfg.maxConnPages:
		c.mu.Unlock()
		c.app.metrics.refused(protocol.CodeTooManyPages)
		c.send(name, protocol.WithRef(protocol.ErrorMessage(&protocol.Error{Code: protocol.CodeTooManyPages, Message: "this connection has joined as many pages as it may"}), ref))
		return
	}
	if c.pages == nil {
		c.pages = make(map[string]*Page)
	}
	c.pages[name] = p // reserve the name: the reader is the only joiner
	c.idleSince = time.Time{}
	c.mu.Unlock()
	if err := p.subscribe(c, name, have, how, ref); err != nil {
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
	if cu := c.behindOf(name); cu != nil {
		c.dropCatchUpLocked(cu)
	}
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

// event queues an event for its page's lane: the events of one page run in
// the order they came, one at a time (as the page's handlers do anyway),
// and those of different pages at the same time, so that one slow handler
// delays only its own page, and the reader goes on reading (pongs among the
// rest).
func (c *conn) event(m protocol.Message) {
	p := c.page(m.Page)
	if p == nil {
		c.refuse(m, &protocol.Error{Code: protocol.CodeNotJoined, Message: "the event names a page this connection has not joined"})
		return
	}
	size := eventSize(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	l := c.lanes[p]
	if l == nil {
		if c.lanes == nil {
			c.lanes = make(map[*Page]*lane)
		}
		l = new(lane)
		c.lanes[p] = l
	}
	if len(l.events) >= c.app.cfg.sendQueue || (c.eventBytes > 0 && c.eventBytes+size > c.app.cfg.eventBytes) {
		c.sendLocked(m.Page, protocol.AckError(m.ID, busy))
		return
	}
	c.eventBytes += size
	l.events = append(l.events, laneEvent{m, size})
	if !l.running {
		l.running = true
		c.wg.Add(1)
		go c.runLane(p, l)
	}
}

// eventSize is what WithEventQueueBytes counts for an event: its data's
// memory (its capacity), its strings and the rest.
func eventSize(m protocol.Message) int {
	return cap(m.Data) + len(m.Name) + len(m.ID) + len(m.Page) + eventOverhead
}

// eventOverhead is what an event costs the server besides its strings:
// about its lane's share and its message.
const eventOverhead = 512

var busy = &protocol.Error{Code: protocol.CodeUnavailable, Message: "too many events wait: resend later"}

// lane holds the events of one page waiting for their handler.
type lane struct {
	events  []laneEvent
	running bool // runLane runs
}

type laneEvent struct {
	m    protocol.Message
	size int // eventSize(m)
}

// runLane runs the events of l in order until none is left, or the
// connection closes: the events that wait then are dropped, not run, since
// no ack could reach the client, which resends them on its next connection.
func (c *conn) runLane(p *Page, l *lane) {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if c.closing {
			for _, ev := range l.events {
				c.eventBytes -= ev.size
			}
			l.events = nil
		}
		if len(l.events) == 0 {
			l.running = false
			delete(c.lanes, p)
			c.mu.Unlock()
			return
		}
		ev := l.events[0]
		l.events[0] = laneEvent{} // the backing array keeps no event that ran
		l.events = l.events[1:]
		c.mu.Unlock()
		c.ack(ev.m, p.handle(c.app.events, Event{Name: ev.m.Name, ID: ev.m.ID, Data: ev.m.Data}))
		c.mu.Lock()
		c.eventBytes -= ev.size
		c.mu.Unlock()
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

// limiter holds a connection's rate limits, in frames (WithEventRate) and
// bytes (WithByteRate): the tokens of what the client may send, and,
// counted apart with the same rates and bursts, of what it may send past
// that and have refused before it is closed. Guarded by the conn's mu.
type limiter struct {
	frames, bytes, overFrames, overBytes float64
	last                                 time.Time
}

// init fills the buckets.
func (l *limiter) init(cfg *config) {
	l.frames, l.bytes = float64(cfg.eventBurst), float64(cfg.byteBurst)
	l.overFrames, l.overBytes = l.frames, l.bytes
}

// verdict is what the rate limits say of a frame.
type verdict uint8

const (
	allowed verdict = iota // within the limits: handle it
	refused                // past them: refuse it
	abusive                // far past them: close the connection
)

// take counts a frame of size bytes received at now, by the limits of cfg.
func (l *limiter) take(cfg *config, now time.Time, size int) verdict {
	if !l.last.IsZero() {
		s := now.Sub(l.last).Seconds()
		l.frames = min(float64(cfg.eventBurst), l.frames+s*cfg.eventRate)
		l.overFrames = min(float64(cfg.eventBurst), l.overFrames+s*cfg.eventRate)
		l.bytes = min(float64(cfg.byteBurst), l.bytes+s*cfg.byteRate)
		l.overBytes = min(float64(cfg.byteBurst), l.overBytes+s*cfg.byteRate)
	}
	l.last = now
	n := min(float64(size), float64(cfg.byteBurst))
	switch {
	case l.frames >= 1 && l.bytes >= n:
		l.frames--
		l.bytes -= n
		return allowed
	case l.overFrames >= 1 && l.overBytes >= n:
		l.overFrames--
		l.overBytes -= n
		return refused
	}
	return abusive
}

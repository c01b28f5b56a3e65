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
	dev     bool // development mode shows this client errors (devmode.go)
	who     *who // the identity of WithConnect, nil without; set before start
	// browserID is the browser's public id (BrowserID), for Stats; set
	// before start.
	browserID string

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
	pages      map[string]*Page   // joined pages by name
	behind     []*catchUp         // the catch-ups waiting in the queue in place of their pages' diffs, one per page name at most
	lanes      map[*Page]*lane    // events waiting for their handlers, by page
	held       map[heldKey]uint64 // the number of each tab's earliest refused event, behind which its later ones are refused
	eventBytes int                // what the events of lanes count, running ones included
	idleSince  time.Time          // when the last page was left; zero while some page is joined
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
		c.left(name, p, true)
	}
	c.wg.Wait()
	c.cancel()
}

// readLoop reads and handles the client's messages until the connection
// ends. While the send queue is full it reads nothing: a client that sends
// faster than it reads the answers is slowed down by TCP, and the server
// holds no more of its answers than the queue's limits. A frame a little
// past the rate limits waits for them (see pace) rather than be refused.
func (c *conn) readLoop() {
	for c.awaitRoom() {
		typ, frame, err := c.ws.Read(c.ctx)
		if err != nil || !c.pace(len(frame)) {
			return
		}
		v, retry := c.take(len(frame)) // every frame counts, well formed or not
		if v == abusive {
			c.fail(protocol.CloseTooManyMessages, tooManyReason)
			return
		}
		m, bad := decode(typ, frame)
		switch {
		case bad != nil && v == refused:
			c.app.metrics.refused(protocol.CodeRateLimited)
			c.send("", protocol.ErrorMessage(rateLimited(retry)))
		case bad != nil:
			c.send("", protocol.ErrorMessage(bad))
		case v == refused && m.Type == protocol.TypeLeave:
			c.handle(m) // leaving only lightens the load
		case v == refused:
			c.refuse(m, rateLimited(retry))
		default:
			c.handle(m)
		}
	}
}

// pace waits while a frame of size bytes is a short while past the rate
// limits (see limiter.shortfall), so that a client a little too fast is
// slowed down rather than refused; it reports whether the connection goes on.
func (c *conn) pace(size int) bool {
	c.mu.Lock()
	d := c.limit.shortfall(&c.app.cfg, time.Now(), size)
	c.mu.Unlock()
	if d == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// tooManyReason is the reason of the close of a client that went on sending
// far past its rate limits.
const tooManyReason = "too many messages: the client sent far past its rate limits"

// control counts a WebSocket ping or pong frame of size bytes that the
// client sent against its rate limits, and reports whether it is within
// them: a ping past them gets no pong.
func (c *conn) control(size int) bool {
	switch v, _ := c.take(size); v {
	case allowed:
		return true
	case abusive:
		c.fail(protocol.CloseTooManyMessages, tooManyReason)
	}
	return false
}

// take counts a frame of size bytes against the rate limits; retry is, for
// a refused frame, when the limits would let it through.
func (c *conn) take(size int) (v verdict, retry time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v = c.limit.take(&c.app.cfg, time.Now(), size); v == refused {
		retry = c.limit.until(&c.app.cfg, size)
	}
	return v, retry
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

// rateLimited is the refusal of a frame past the rate limits, which they
// let through after retry.
func rateLimited(retry time.Duration) *protocol.Error {
	ms := (retry + time.Millisecond - 1) / time.Millisecond
	return &protocol.Error{Code: protocol.CodeRateLimited, Message: "too many messages: resend later", RetryAfter: uint64(max(ms, 1))}
}

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
	case protocol.TypeUpload:
		c.upload(m)
	}
}

// refuse answers m with e: an event gets a failed ack (and holds its tab's
// later events back, see holdLocked), anything else an error with the
// message's ref.
func (c *conn) refuse(m protocol.Message, e *protocol.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuseLocked(m, e)
}

func (c *conn) refuseLocked(m protocol.Message, e *protocol.Error) {
	c.app.metrics.refused(e.Code)
	if m.Type == protocol.TypeEvent {
		c.holdLocked(m)
		c.sendLocked(m.Page, protocol.AckError(m.ID, e))
		return
	}
	c.sendLocked(m.Page, protocol.WithRef(protocol.ErrorMessage(e), m.Ref))
}

// heldKey names a tab's events for a page name of the connection.
type heldKey struct{ page, tab string }

// maxHeld bounds the tabs whose events a connection holds back. Past it, a
// page's marks still keep each tab's events in order (see marks), refusing
// those that come early.
const maxHeld = 1024

// holdLocked holds back the later events of the tab of m, a numbered event
// that is refused, until m comes again: they are refused too, so that the
// tab's events run in the order it sent them, whatever else the limits
// let through meanwhile. c.mu is held.
func (c *conn) holdLocked(m protocol.Message) {
	tab := protocol.Tab(m.ID, m.Seq)
	if tab == "" {
		return
	}
	k := heldKey{m.Page, tab}
	if seq, ok := c.held[k]; ok {
		c.held[k] = min(seq, m.Seq)
		return
	}
	if c.held == nil {
		c.held = make(map[heldKey]uint64)
	}
	if len(c.held) < maxHeld {
		c.held[k] = m.Seq
	}
}

// heldBackLocked reports whether m comes after a refused event of its tab
// that did not come again yet; m being that event ends the hold. c.mu is
// held.
func (c *conn) heldBackLocked(m protocol.Message) bool {
	k := heldKey{m.Page, protocol.Tab(m.ID, m.Seq)}
	seq, ok := c.held[k]
	switch {
	case !ok || k.tab == "":
		return false
	case m.Seq > seq:
		return true
	}
	delete(c.held, k)
	return false
}

// join joins the page of tok under name, for a client that holds version
// have of it. ref is the join's, for its answers.
func (c *conn) join(name, tok string, have uint64, ref string) {
	p, err := c.app.findPage(tok)
	if err != nil {
		c.send(name, protocol.WithRef(protocol.ErrorMessage(protocolError(err)), ref))
		return
	}
	if e := c.mayJoin(p); e != nil {
		c.send(name, protocol.WithRef(protocol.ErrorMessage(e), ref))
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
		return
	}
	c.joined(name, p)
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
		c.left(name, p, false)
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
	c.ended(p)
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
	if isUploadEvent(m.Name) { // only an upload server completes uploads
		c.refuse(m, unknownEvent(Event{Name: m.Name}))
		return
	}
	size := eventSize(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closing:
		return
	case c.heldBackLocked(m):
		c.refuseLocked(m, outOfOrder)
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
		c.refuseLocked(m, busy)
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
		c.ack(ev.m, p.handle(withWho(withSender(c.app.events, c, ev.m.Page), c.who), Event{Name: ev.m.Name, ID: ev.m.ID, Data: ev.m.Data, seq: ev.m.Seq}))
		c.mu.Lock()
		c.eventBytes -= ev.size
		c.mu.Unlock()
	}
}

// ack acknowledges m with its result. The handler ran to its end even if the
// sender went meanwhile: the result is kept for the sender's resend, which
// must not find a change half made.
func (c *conn) ack(m protocol.Message, res result) {
	for _, push := range res.pushes {
		c.send(m.Page, push)
	}
	c.send(m.Page, res.ack(m.ID))
}

// limiter holds a connection's rate limits, in frames (WithEventRate) and
// bytes (WithByteRate): the tokens of what the client may send, and,
// counted apart with the same rates and bursts, of what it may send past
// that and have refused before it is closed. Guarded by the conn's mu.
type limiter struct {
	frames, bytes, overFrames, overBytes float64
	waits                                float64 // how long the reader may still wait for tokens, in seconds (see shortfall)
	spent                                bool    // the waits ran out: the reader waits no more until they are whole again
	last                                 time.Time
}

// init fills the buckets.
func (l *limiter) init(cfg *config) {
	l.frames, l.bytes = float64(cfg.eventBurst), float64(cfg.byteBurst)
	l.overFrames, l.overBytes = l.frames, l.bytes
	l.waits = maxWaits.Seconds()
}

// The reader's waits for tokens (see shortfall): a frame waits at most
// maxShortfall, and the reader waits at most maxWaits in all, earning them
// back at waitShare of the time; once they ran out, it waits again only
// when they are whole. So a client a little too fast for a while is slowed
// down, and one that keeps on too fast is refused (and, if it goes on,
// closed) as soon as without the waits.
const (
	maxShortfall = 250 * time.Millisecond
	maxWaits     = 500 * time.Millisecond
	waitShare    = 0.25
)

// refill adds the tokens that the time since the last frame earned.
func (l *limiter) refill(cfg *config, now time.Time) {
	if !l.last.IsZero() {
		s := now.Sub(l.last).Seconds()
		l.frames = min(float64(cfg.eventBurst), l.frames+s*cfg.eventRate)
		l.overFrames = min(float64(cfg.eventBurst), l.overFrames+s*cfg.eventRate)
		l.bytes = min(float64(cfg.byteBurst), l.bytes+s*cfg.byteRate)
		l.overBytes = min(float64(cfg.byteBurst), l.overBytes+s*cfg.byteRate)
		l.waits = min(maxWaits.Seconds(), l.waits+s*waitShare)
	}
	l.last = now
}

// need returns how long until the buckets hold the tokens of a frame of
// size bytes, in seconds: 0 or less when they do.
func (l *limiter) need(cfg *config, size int) float64 {
	n := min(float64(size), float64(cfg.byteBurst))
	return max((1-l.frames)/cfg.eventRate, (n-l.bytes)/cfg.byteRate)
}

// shortfall returns how long the reader should wait, at now, before a frame
// of size bytes is within the limits: 0 when it is already, and when the
// wait would be longer than maxShortfall or than the waits left (the frame
// is then refused).
func (l *limiter) shortfall(cfg *config, now time.Time, size int) time.Duration {
	l.refill(cfg, now)
	if l.spent && l.waits < maxWaits.Seconds() {
		return 0
	}
	l.spent = false
	d := l.need(cfg, size)
	switch {
	case d <= 0 || d > maxShortfall.Seconds():
		return 0
	case d > l.waits:
		l.spent = true
		return 0
	}
	l.waits -= d
	return time.Duration(d * float64(time.Second))
}

// until returns how long until a frame of size bytes is within the limits,
// as of the last frame.
func (l *limiter) until(cfg *config, size int) time.Duration {
	return time.Duration(max(0, l.need(cfg, size)) * float64(time.Second))
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
	l.refill(cfg, now)
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

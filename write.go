package livetemplate

import (
	"context"
	"errors"
	"slices"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// outgoing is a message waiting for the writer, or, with catchUp set, the
// mark of a catch-up that the writer renders when it gets there.
type outgoing struct {
	page    string
	msg     []byte
	catchUp *catchUp
}

// size is what the send queue's byte limit counts for o.
func (o outgoing) size() int {
	if o.catchUp != nil {
		return catchUpSize
	}
	return len(o.msg)
}

// catchUpSize is what a catch-up's mark counts in the send queue: about
// what it holds, not what it will send, which is the page's to hold.
const catchUpSize = 64

// catchUp is a catch-up waiting in a connection's send queue, for a page the
// client holds at version have: the page's diffs since have, or its render,
// then one joined for each of the joins (and resyncs) it answers. While it
// is the conn's behind entry of its page name, the page's diffs are not
// queued for that name (the catch-up takes their place), and a join of the
// name is answered by it rather than by another. A catch-up that answers a
// join is written even if the client left the page meanwhile, as every join
// is answered; one that answers none is dropped then. Its fields are
// guarded by the conn's mu.
type catchUp struct {
	name string
	p    *Page
	have uint64
	refs []string // of the joins it answers, in order
	done bool     // written, or dropped
}

// behindOf returns the behind entry of the page named name, or nil. c.mu
// is held.
func (c *conn) behindOf(name string) *catchUp {
	for _, cu := range c.behind {
		if cu.name == name {
			return cu
		}
	}
	return nil
}

// send queues msg, a message about the page named page, for the writer. A
// client that lets twice the send queue's limits of messages wait is
// closed: it does not read. send never blocks, so pages may call it under
// their lock.
func (c *conn) send(page string, msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendLocked(page, msg)
}

func (c *conn) sendLocked(page string, msg []byte) {
	if c.closing {
		return
	}
	if c.fullLocked(2) {
		c.failLocked(protocol.CloseSlowClient, "send queue full: the client reads too slowly")
		return
	}
	c.enqueueLocked(outgoing{page: page, msg: msg})
}

// enqueueLocked adds o to the queue. c.mu is held.
func (c *conn) enqueueLocked(o outgoing) {
	c.queue = append(c.queue, o)
	c.queued += o.size()
	c.kickLocked()
}

// sendDiff queues p's diff from base for the client that joined p as name.
// When the queue is full, the client has fallen behind: the page's diffs
// stop being queued, and one catch-up from base takes their place, which
// the writer turns into the diffs or the render that the client then needs.
// A broadcast so never waits for a client, and a client that reads slowly
// holds no more than one waiting entry per page.
func (c *conn) sendDiff(name string, p *Page, base uint64, msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closing || c.behindOf(name) != nil:
		return
	case c.fullLocked(1) || c.queued+len(msg) > c.app.cfg.sendQueueBytes:
		c.app.metrics.caughtUp()
		c.addCatchUpLocked(&catchUp{name: name, p: p, have: base})
	default:
		c.app.metrics.diffSent(len(msg))
		c.enqueueLocked(outgoing{page: name, msg: msg})
	}
}

// joinCatchUp queues the answer to a join (or resync) of p as name, by a
// client that holds version have: a catch-up, then joined with the join's
// ref. If a catch-up of the name waits already, it answers this join too,
// in its place in the queue, from the older of the two versions: the client
// gets one catch-up, then a joined for each join.
func (c *conn) joinCatchUp(name string, p *Page, have uint64, ref string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.pages[name] != p {
		return // left, or ended, meanwhile
	}
	if cu := c.behindOf(name); cu != nil && cu.p == p {
		cu.have, cu.refs = min(cu.have, have), append(cu.refs, ref)
		return
	}
	c.addCatchUpLocked(&catchUp{name: name, p: p, have: have, refs: []string{ref}})
}

func (c *conn) addCatchUpLocked(cu *catchUp) {
	c.behind = append(c.behind, cu)
	c.enqueueLocked(outgoing{page: cu.name, catchUp: cu})
}

// dropLag ends the waiting catch-up of the page named name, unless it
// answers a join: the page sends the client its render instead.
func (c *conn) dropLag(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cu := c.behindOf(name); cu != nil && len(cu.refs) == 0 {
		c.dropCatchUpLocked(cu)
	}
}

// dropCatchUpLocked ends cu as a behind entry: the page's diffs are queued
// again, and cu is written only if it answers a join. c.mu is held.
func (c *conn) dropCatchUpLocked(cu *catchUp) {
	i := slices.Index(c.behind, cu)
	c.behind = slices.Delete(c.behind, i, i+1)
	if len(c.behind) == 0 {
		c.behind = nil // an idle connection keeps none
	}
	cu.done = len(cu.refs) == 0
}

// caughtUp ends cu unless it was dropped, and returns the version it is
// from and the refs of the joins it answers.
func (c *conn) caughtUp(cu *catchUp) (have uint64, refs []string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cu.done {
		return 0, nil, false
	}
	if slices.Contains(c.behind, cu) {
		c.dropCatchUpLocked(cu)
	}
	cu.done = true
	return cu.have, cu.refs, true
}

// kickLocked starts the writer if it is not running. c.mu is held.
func (c *conn) kickLocked() {
	if !c.writing {
		c.writing = true
		c.wg.Add(1)
		go c.write()
	}
}

// write writes queued messages, and the heartbeat's ping, until there is
// nothing left to do.
func (c *conn) write() {
	defer c.wg.Done()
	var buf []byte
	for {
		c.mu.Lock()
		batch, ping := c.queue, c.pingDue
		c.queue, c.pingDue = nil, false
		if c.closing || (len(batch) == 0 && !ping) {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for i := range batch {
			err := c.writeOutgoing(&buf, batch[i])
			c.wrote(batch[i].size())
			batch[i] = outgoing{} // written: the batch keeps it no longer
			if err != nil {
				c.failWrite(err)
				return
			}
		}
		if ping {
			c.ping()
		}
	}
}

// failWrite closes the connection after a write failed.
func (c *conn) failWrite(err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		c.fail(protocol.CloseSlowClient, "write timed out: the client reads too slowly")
		return
	}
	c.fail(protocol.CloseSlowClient, "write failed")
}

// wrote takes n bytes written off the queue's count, and wakes the reader
// if it waits for room.
func (c *conn) wrote(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queued -= n
	if !c.fullLocked(1) {
		c.wakeReaderLocked()
	}
}

// writeOutgoing writes o; a catch-up is rendered now, from the page.
func (c *conn) writeOutgoing(buf *[]byte, o outgoing) error {
	if o.catchUp == nil {
		return c.writeMessage(buf, o.page, o.msg)
	}
	m := o.catchUp.p.lagCatchUp(c, o.catchUp)
	if m.render != nil {
		if err := c.writeMessage(buf, o.page, m.render.msg); err != nil {
			return err
		}
	}
	for _, d := range m.diffs {
		if err := c.writeMessage(buf, o.page, d); err != nil {
			return err
		}
	}
	for _, ref := range m.refs {
		if err := c.writeMessage(buf, o.page, protocol.WithRef(protocol.JoinedUploads(m.version, o.catchUp.p.app.uploadsJSON(o.catchUp.p.tmpl.name)), ref)); err != nil {
			return err
		}
	}
	return nil
}

// copyLimit is the largest message that writeMessage copies to name its
// page: a larger one is written in two frames rather than copied, so that
// a connection holds no copy of a page's render.
const copyLimit = 16 << 10

// writeMessage writes msg about the page named page. A message about the
// default page goes as it is, shared with the page's other connections;
// naming a page takes a copy, made in buf, of a small message.
func (c *conn) writeMessage(buf *[]byte, page string, msg []byte) error {
	if page == "" {
		return c.writeFrame(msg)
	}
	if len(msg) <= copyLimit {
		*buf = protocol.AppendPage((*buf)[:0], page, msg)
		return c.writeFrame(*buf)
	}
	// {"page":"name"} then ,"type":... of msg: the page's key first, as in
	// every message of a named page.
	*buf = protocol.AppendPage((*buf)[:0], page, []byte("{}"))
	(*buf)[len(*buf)-1] = ','
	ctx, cancel := context.WithTimeout(c.ctx, c.app.cfg.writeTimeout)
	defer cancel()
	w, err := c.ws.Writer(ctx, websocket.MessageText)
	if err != nil {
		return err
	}
	if _, err := w.Write(*buf); err != nil {
		w.Close()
		return err
	}
	if _, err := w.Write(msg[1:]); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func (c *conn) writeFrame(b []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.app.cfg.writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// ping pings the client and notes the pong. The heartbeat closes the
// connection if the pong has not come by its next beat. The reader reads
// meanwhile, even if the queue is full, since it is what receives the pong.
func (c *conn) ping() {
	c.mu.Lock()
	c.pinging = true
	c.wakeReaderLocked()
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, c.app.cfg.heartbeat)
	defer cancel()
	err := c.ws.Ping(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinging = false
	if err == nil {
		c.pinged = false
	}
}

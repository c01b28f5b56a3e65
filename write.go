package livetemplate

import (
	"context"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// outgoing is a message waiting for the writer, or, with lag set, the
// catch-up of a page whose diffs the queue had no room for.
type outgoing struct {
	page string
	msg  []byte
	lag  *lag
}

// lag marks a page that fell behind on a connection: the client will hold
// version have when the writer reaches the catch-up, and the page's diffs
// after it are not queued until then.
type lag struct {
	p    *Page
	have uint64
}

// send queues msg, a message about the page named page, for the writer. A
// client that lets twice the send queue's length of such messages wait (not
// counting diffs, which wait in no more than one catch-up per page) is
// closed: it sends more than it reads. send never blocks, so pages may call
// it under their lock.
func (c *conn) send(page string, msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendLocked(page, msg)
}

func (c *conn) sendLocked(page string, msg []byte) {
	if c.closing {
		return
	}
	if len(c.queue) >= 2*c.app.cfg.sendQueue {
		c.failLocked(protocol.CloseSlowClient, "send queue full: the client reads too slowly")
		return
	}
	c.queue = append(c.queue, outgoing{page: page, msg: msg})
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
	case c.closing || c.behind[name] != nil:
		return
	case len(c.queue) >= c.app.cfg.sendQueue:
		if c.behind == nil {
			c.behind = make(map[string]*lag)
		}
		l := &lag{p: p, have: base}
		c.behind[name] = l
		c.queue = append(c.queue, outgoing{page: name, lag: l})
	default:
		c.queue = append(c.queue, outgoing{page: name, msg: msg})
	}
	c.kickLocked()
}

// dropLag ends the lag of the page named name, if it has one: the client
// gets another catch-up instead.
func (c *conn) dropLag(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.behind, name)
}

// caughtUp ends l, the lag of the page named name, if it is still the
// page's current lag. It reports whether it was.
func (c *conn) caughtUp(name string, l *lag) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.behind[name] != l {
		return false
	}
	delete(c.behind, name)
	return true
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
		for _, o := range batch {
			msgs := [][]byte{o.msg}
			if o.lag != nil {
				msgs = o.lag.p.lagCatchUp(c, o.page, o.lag)
			}
			for _, msg := range msgs {
				if err := c.writeMessage(&buf, o.page, msg); err != nil {
					c.fail(protocol.CloseSlowClient, "write failed or timed out: the client reads too slowly")
					return
				}
			}
		}
		if ping {
			c.ping()
		}
	}
}

// writeMessage writes msg about the page named page. A message about the
// default page goes as it is, shared with the page's other connections;
// naming a page takes a copy, made in buf.
func (c *conn) writeMessage(buf *[]byte, page string, msg []byte) error {
	if page != "" {
		*buf = protocol.AppendPage((*buf)[:0], page, msg)
		msg = *buf
	}
	return c.writeFrame(msg)
}

func (c *conn) writeFrame(b []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.app.cfg.writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// ping pings the client and notes the pong. The heartbeat closes the
// connection if the pong has not come by its next beat.
func (c *conn) ping() {
	ctx, cancel := context.WithTimeout(c.ctx, c.app.cfg.heartbeat)
	defer cancel()
	if c.ws.Ping(ctx) == nil {
		c.mu.Lock()
		c.pinged = false
		c.mu.Unlock()
	}
}

package livetemplate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// Push sends a push named name, with data as [json.Marshal] encodes it (nil
// for none), to the page's hooks in every browser tab that shows the page,
// on every connection joined to it, on every instance of a cluster: in the
// browser, the callbacks that hooks gave handleEvent(name, ...) get the
// data. It returns once the push is queued for every connection, like the
// diffs of [Page.Update]; it is not kept for clients that join later, nor
// resent to those that reconnect (hooks that need a state should find it in
// the page's HTML, or ask with pushEvent).
//
// Pushes are ordered with the page's changes: a push made after an Update
// (or Modify, or an event handler's change) returned reaches each client
// after that change's diff, and two pushes arrive in the order they were
// made. In a cluster, a push made on an instance that does not own the
// page goes through its owner, as changes do, and ctx bounds the wait for
// it.
//
// Push fails with an error wrapping [ErrLimitReached] when data's JSON has
// more than [WithMaxPushSize] bytes, with the page's end ([ErrPageClosed],
// [ErrPageExpired]...) when it ended, with ctx's error once ctx is done, and
// when name is empty or longer than an event's name may be (128 bytes). A
// client that lets its pushes and other messages wait unread past its send
// queue's limits ([WithSendQueue]) is closed, as for any message.
func (p *Page) Push(ctx context.Context, name string, data any) error {
	b, err := p.pushData(name, data)
	if err != nil {
		return err
	}
	if err := p.role.push(ctx, name, b); err != nil {
		return fmt.Errorf("livetemplate: push %q: %w", name, err)
	}
	return nil
}

// pushData checks a push's name and returns its data's JSON, within
// WithMaxPushSize.
func (p *Page) pushData(name string, data any) ([]byte, error) {
	if name == "" || len(name) > protocol.MaxEventName {
		return nil, fmt.Errorf("livetemplate: push %q: the name must have 1 to %d bytes", name, protocol.MaxEventName)
	}
	var b []byte
	if data != nil {
		var err error
		if b, err = json.Marshal(data); err != nil {
			return nil, fmt.Errorf("livetemplate: push %q: %w", name, err)
		}
	}
	if limit := p.app.cfg.maxPushSize; len(b) > limit {
		return nil, fmt.Errorf("livetemplate: push %q: %d bytes, past the limit of %d: %w", name, len(b), limit, ErrLimitReached)
	}
	return b, nil
}

// pushChanging sends the push of name with data (JSON) to the page's joined
// connections. The change lock is held, so that the push follows the
// changes that came before it; p.mu too while it is queued, as a diff is.
func (p *Page) pushChanging(name string, data []byte) error {
	msg := protocol.Push(name, data)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	if p.live.ended != nil {
		return p.live.ended
	}
	for _, s := range p.live.subs {
		if !s.quiet {
			s.c.send(s.name, msg)
		}
	}
	return nil
}

// push sends a push of an application alone: here.
func (s solo) push(ctx context.Context, name string, data []byte) error {
	if err := s.p.changing.enter(ctx); err != nil {
		return err
	}
	defer s.p.changing.leave()
	return s.p.pushChanging(name, data)
}

// WithMaxPushSize sets the largest data a [Page.Push] may carry, in bytes of
// JSON. Default: [DefaultMaxPushSize], 64 KiB.
func WithMaxPushSize(n int) Option {
	return func(c *config) { c.maxPushSize = n }
}

// push sends a push of a page in a cluster: through its owner, which sends
// it to its own connections and publishes it to the followers, in the
// order of its changes.
func (m *member) push(ctx context.Context, name string, data []byte) error {
	req := control{Token: m.p.token, Name: name, Data: data}.encode(busPush)
	var retry backoff
	for range 3 {
		if m.owns() {
			if owned, err := m.pushOwned(ctx, name, data); owned {
				return err
			}
		}
		r, done, err := m.toOwner(ctx, req)
		switch {
		case !done:
			continue // this instance took the page over meanwhile
		case err != nil:
			return fmt.Errorf("the page's owner did not take the push: %w", err)
		case r.Code == protocol.CodeUnavailable:
			if err := retry.wait(ctx); err != nil {
				return fmt.Errorf("the page's owner did not take the push: %w", err)
			}
			continue
		case r.Code != "":
			return ownerError(r)
		}
		return nil
	}
	return ErrNotOwner
}

// pushOwned sends a push to the page's connections on this instance and to
// its followers, if this instance owns the page; owned reports whether it
// does.
func (m *member) pushOwned(ctx context.Context, name string, data []byte) (owned bool, err error) {
	p := m.p
	if err := p.changing.enter(ctx); err != nil {
		return true, err
	}
	defer p.changing.leave()
	if !m.owns() {
		return false, nil
	}
	if err := p.pushChanging(name, data); err != nil {
		return true, err
	}
	if err := m.cluster().Publish(p.id, control{Name: name, Data: data}.encode(busPush)); err != nil {
		return true, fmt.Errorf("cluster: the push reached this instance's connections, not the others': %w", err)
	}
	return true, nil
}

// servePush sends the push that a follower forwarded, if this instance owns
// its page and does not shut down: a stopping owner sends it to the page's
// next owner, as it does events, so that the push reaches the connections
// that the hand-off moves there.
func (a *Application) servePush(c control) []byte {
	if a.handoff.stopping() {
		return control{Moved: true}.encode(busReply) // ask the page's next owner
	}
	p, err := a.findPage(c.Token)
	if err != nil {
		return eventReply(failed(protocolError(err)), 0)
	}
	ctx, cancel := context.WithTimeout(a.ctx, a.cfg.eventTimeout)
	defer cancel()
	owned, err := memberOf(p).pushOwned(ctx, c.Name, c.Data)
	switch {
	case !owned:
		return control{Moved: true}.encode(busReply)
	case err != nil:
		return eventReply(failed(protocolError(err)), 0)
	}
	return control{}.encode(busReply)
}

// PushToSender sends a push named name, with data as [json.Marshal]
// encodes it (nil for none), to the hooks of the page in the one browser tab
// that sent the event whose handler ctx belongs to: on the sender's
// connection, after the diffs of the handler's changes and before the
// event's ack, in the order of the calls. Use it for what concerns the
// sender alone (a toast, a focus, a sound). It is not kept with the event's
// result: a resent event whose first run's ack was lost gets its reply
// again, not its pushes. It fails as [Page.Push] does for the name and the
// size, and with [ErrNotInHandler] outside a running handler.
func PushToSender(ctx context.Context, name string, data any) error {
	t, _ := ctx.Value(turnKey{}).(*handlerTurn)
	if t == nil {
		return fmt.Errorf("livetemplate: push %q to the sender: %w", name, ErrNotInHandler)
	}
	b, err := t.p.pushData(name, data)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return fmt.Errorf("livetemplate: push %q to the sender: %w", name, ErrNotInHandler)
	}
	t.pushes = append(t.pushes, protocol.Push(name, b))
	return nil
}

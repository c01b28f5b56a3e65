package livetemplatetest

import (
	"context"
	"encoding/json"
	"fmt"
)

// Reply is an event handler's reply (livetemplate.Reply), as the event's
// ack carried it.
type Reply struct {
	ID   string          // the event's id
	Data json.RawMessage // the reply's JSON
}

// Decode decodes the reply into v, as [json.Unmarshal] does.
func (r Reply) Decode(v any) error {
	if err := json.Unmarshal(r.Data, v); err != nil {
		return fmt.Errorf("livetemplatetest: reply to event %q: %w", r.ID, err)
	}
	return nil
}

// Push is a server push to the page's hooks (livetemplate's Page.Push).
type Push struct {
	Name string          // the push's name, which hooks handle with handleEvent
	Data json.RawMessage // its JSON, nil for none
	// Version is the version of the page that the client held when the
	// push arrived: a push made after a change arrives after its diff.
	Version uint64
}

// Decode decodes the push's data into v, as [json.Unmarshal] does. A push
// without data leaves v as it is.
func (p Push) Decode(v any) error {
	if len(p.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(p.Data, v); err != nil {
		return fmt.Errorf("livetemplatetest: push %q: %w", p.Name, err)
	}
	return nil
}

// NextReply returns the oldest reply to the page's events that it has not
// returned yet, waiting for one until ctx is done or the page ends. Events
// whose handler gave no reply add none. Replies are kept in the order
// their acks arrived, every ack of a resent event included.
func (p *Page) NextReply(ctx context.Context) (Reply, error) {
	var r Reply
	err := p.waitFor(ctx, func() bool {
		if len(p.replies) == 0 {
			return false
		}
		r, p.replies = p.replies[0], p.replies[1:]
		return true
	})
	return r, err
}

// NextPush returns the oldest server push to the page that it has not
// returned yet, waiting for one until ctx is done or the page ends. Pushes
// are kept in the order they arrived, with the version the page held then
// (see [Push]).
func (p *Page) NextPush(ctx context.Context) (Push, error) {
	var m Push
	err := p.waitFor(ctx, func() bool {
		if len(p.pushes) == 0 {
			return false
		}
		m, p.pushes = p.pushes[0], p.pushes[1:]
		return true
	})
	return m, err
}

// replied keeps r for NextReply. p may be nil: the page was left.
func (p *Page) replied(r Reply) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.signal()
	p.replies = append(p.replies, r)
}

// pushed keeps m for NextPush. p may be nil: the page was left.
func (p *Page) pushed(m Push) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.signal()
	m.Version = p.version
	p.pushes = append(p.pushes, m)
}

package livetemplate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// ErrNotInHandler: [Reply] was called with a context that is not that of
// an event handler that runs: another context, or the handler's after it
// returned.
var ErrNotInHandler = errors.New("not in a running event handler")

// Reply sets the reply to the event whose handler ctx belongs to: v, as
// [json.Marshal] encodes it, goes to the event's sender in its ack, where
// the browser's pushEvent promise resolves with it. Call it from the
// handler (or a goroutine it waits for) before the handler returns; a later
// call replaces an earlier one. The reply of a handler that fails is not
// sent: the ack carries the error instead.
//
// The reply is kept with the event's id among the page's latest results
// ([WithDedupeWindow]; in a cluster, in the page's store record), so that a
// resent event is acknowledged with the same reply without running again.
// So keep replies small: one whose JSON has more than [WithMaxReplySize]
// bytes fails with an error wrapping [ErrLimitReached]. Reply fails with
// [ErrNotInHandler] outside a running handler, and with v's encoding error
// when v does not encode.
func Reply(ctx context.Context, v any) error {
	t, _ := ctx.Value(turnKey{}).(*handlerTurn)
	if t == nil {
		return fmt.Errorf("livetemplate: reply: %w", ErrNotInHandler)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("livetemplate: reply: %w", err)
	}
	if limit := t.p.app.cfg.maxReplySize; len(b) > limit {
		return fmt.Errorf("livetemplate: reply: %d bytes, past the limit of %d: %w", len(b), limit, ErrLimitReached)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return fmt.Errorf("livetemplate: reply: %w", ErrNotInHandler)
	}
	t.reply = b
	return nil
}

// result is an event's result: err, the error that its ack reports, or nil
// when it succeeded, with reply then the handler's reply (JSON, nil for
// none); and pushes, the handler's pushes to the sender (each a push
// message), which go before the ack.
type result struct {
	err    *protocol.Error
	reply  json.RawMessage
	pushes []json.RawMessage
}

// failed is the result of an event that failed with e.
func failed(e *protocol.Error) result { return result{err: e} }

// ack encodes the acknowledgement of the event id with r (without its
// pushes).
func (r result) ack(id string) []byte {
	if r.err != nil {
		return protocol.AckError(id, r.err)
	}
	return protocol.AckReply(id, r.reply)
}

// WithMaxReplySize sets the largest reply ([Reply]) an event handler may
// give, in bytes of JSON. Each page keeps the replies of its latest events
// ([WithDedupeWindow]), so this bounds their memory. Default:
// [DefaultMaxReplySize], 4 KiB.
func WithMaxReplySize(n int) Option {
	return func(c *config) { c.maxReplySize = n }
}

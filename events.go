package livetemplate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// Event is a message from a browser to a page: the user clicked, typed or
// submitted something.
type Event struct {
	// Name is the event's name, as the client sent it (for example the
	// value of an lvt-click attribute).
	Name string
	// ID is the event's id, unique per browser tab. A client resends an
	// event until it is acknowledged; the page runs each id's handler once.
	ID string
	// Data is the event's payload as the client sent it: JSON, or nil when
	// it sent none.
	Data json.RawMessage
}

// Decode decodes the event's data into v, as [json.Unmarshal] does. An event
// without data leaves v as it is.
func (e Event) Decode(v any) error {
	if len(e.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("livetemplate: event %q: data: %w", e.Name, err)
	}
	return nil
}

// An EventHandler handles an event sent to a page: typically it reads the
// page's data, changes it and calls [Page.Update], whose diff then reaches
// every connection joined to the page. The handlers of one page run one at a
// time, in the order their events arrive, and never at the same time as a
// [Page.Modify] of the page. ctx is cancelled when the handler runs past
// [WithEventTimeout] or the application closes, not when the sender's
// connection closes: the event's result is kept for the sender's resend.
//
// An error is reported to the sender only, in the event's acknowledgement,
// with the error's text as the message: return errors whose text the user
// may see. Its code is handler_error, or, for an error that wraps one of this
// package's (a change past [WithMaxPageSize] fails with [ErrLimitReached]),
// that error's code (limit_reached): see docs/protocol.md. A panic is recovered, logged with its stack,
// and reported as handler_panic without its value.
type EventHandler func(ctx context.Context, p *Page, e Event) error

// HandleEvent registers h to handle the events named eventName on the pages
// of the template registered as templateName. It fails with
// [ErrUnknownTemplate] if there is no such template, and if a handler of that
// event is already registered. It is safe to call while pages are live; an
// event with no handler is refused with the code unknown_event.
func (a *Application) HandleEvent(templateName, eventName string, h EventHandler) error {
	switch {
	case eventName == "" || len(eventName) > protocol.MaxEventName:
		return fmt.Errorf("livetemplate: handle event %q: the name must have 1 to %d bytes", eventName, protocol.MaxEventName)
	case h == nil:
		return fmt.Errorf("livetemplate: handle event %q: nil handler", eventName)
	}
	a.tmu.Lock()
	defer a.tmu.Unlock()
	if a.templates[templateName] == nil {
		return fmt.Errorf("livetemplate: handle event %q: template %q: %w", eventName, templateName, ErrUnknownTemplate)
	}
	key := handlerKey{templateName, eventName}
	if a.handlers[key] != nil {
		return fmt.Errorf("livetemplate: handle event %q: template %q already has a handler for it", eventName, templateName)
	}
	a.handlers[key] = h
	return nil
}

type handlerKey struct{ template, event string }

func (a *Application) handler(templateName, eventName string) EventHandler {
	a.tmu.RLock()
	defer a.tmu.RUnlock()
	return a.handlers[handlerKey{templateName, eventName}]
}

// turnKey marks a context in which the page it holds has the turn, so that
// Modify called from that page's handler does not wait for itself.
type turnKey struct{}

// Modify changes the page's data with fn and updates the page with what fn
// returns, as [Page.Update] does, while no event handler or other Modify of
// the page runs: use it for changes made outside event handlers (a ticker,
// another user's action) that read the data they change. Called with the ctx
// of one of the page's own event handlers, it runs at once. It waits for its
// turn until ctx is done. If fn fails, the page is not updated and fn's error
// is returned; if fn panics, the page is not updated either, and Modify fails
// with an error wrapping [ErrPanicked].
//
// In a cluster ([WithCluster]), on an instance that does not own the page,
// fn runs on the data of the page's latest store record, and the owner
// applies fn's result only if the record has not changed since (no event
// handler, Update or other Modify came between); otherwise fn runs again on
// the newer record, until ctx is done or [WithEventTimeout] has passed. So
// on a follower fn may run more than once, and must do nothing but compute
// the new data: no effects outside the page. The data fn gets is its own
// copy, decoded from the record.
func (p *Page) Modify(ctx context.Context, fn func(data any) (any, error)) (Update, error) {
	inHandler := ctx.Value(turnKey{}) == p
	if !inHandler {
		if err := p.takeTurn(ctx); err != nil {
			return Update{}, fmt.Errorf("livetemplate: modify page: %w", err)
		}
		defer p.endTurn()
	}
	for range 3 {
		if inHandler || !p.following() {
			data, err := p.modifyData(fn, p.Data())
			if err != nil {
				return Update{}, err
			}
			u, err := p.updateLocal(data)
			if inHandler || !errors.Is(err, ErrNotOwner) {
				return u, err
			}
			continue // another instance took the page over meanwhile
		}
		rctx, cancel := context.WithTimeout(ctx, p.app.cfg.eventTimeout)
		u, done, err := p.modifyRemote(rctx, fn)
		cancel()
		if done {
			return u, err
		}
	}
	return Update{}, fmt.Errorf("livetemplate: modify page: %w", ErrNotOwner)
}

// modifyData returns fn's result for data: fn is a function given to
// Modify, whose error is returned as it is, and whose panic is an error of
// Modify wrapping ErrPanicked.
func (p *Page) modifyData(fn func(data any) (any, error), data any) (any, error) {
	returned := false
	v, err := call(p.app, "Page.Modify's function", func() (any, error) {
		v, err := fn(data)
		returned = true
		return v, err
	})
	if !returned {
		return nil, fmt.Errorf("livetemplate: modify page: %w", err)
	}
	return v, err
}

func (p *Page) takeTurn(ctx context.Context) error {
	select {
	case p.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Page) endTurn() { <-p.turn }

// handle runs the handler of e once per event id, and returns the event's
// result: nil, or the error to acknowledge it with. In a cluster, the
// handler runs on the page's owner: a follower forwards e to it.
func (p *Page) handle(ctx context.Context, e Event) *protocol.Error {
	h := p.app.handler(p.tmpl.name, e.Name)
	if h == nil {
		return unknownEvent(e)
	}
	ctx, cancel := context.WithTimeout(ctx, p.app.cfg.eventTimeout)
	defer cancel()
	for {
		if p.following() {
			if res, done := p.forward(ctx, e); done {
				return res
			}
		}
		if res, owned := p.runOnce(ctx, h, e); owned {
			return res
		}
	}
}

// handleOwned runs the handler of e, which another instance forwarded, if
// this instance owns the page; owned reports whether it does.
func (p *Page) handleOwned(ctx context.Context, e Event) (res *protocol.Error, owned bool) {
	h := p.app.handler(p.tmpl.name, e.Name)
	if h == nil {
		return unknownEvent(e), true
	}
	ctx, cancel := context.WithTimeout(ctx, p.app.cfg.eventTimeout)
	defer cancel()
	return p.runOnce(ctx, h, e)
}

func unknownEvent(e Event) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeUnknownEvent, Message: fmt.Sprintf("no handler for event %q on this page", e.Name)}
}

// runOnce runs h for e in the page's turn, unless an event of e's id ran
// already, and returns the event's result. owned is false when another
// instance of the cluster owns the page.
func (p *Page) runOnce(ctx context.Context, h EventHandler, e Event) (res *protocol.Error, owned bool) {
	if err := p.takeTurn(ctx); err != nil {
		return &protocol.Error{Code: protocol.CodeUnavailable, Message: "the page is busy: resend the event"}, true
	}
	defer p.endTurn()
	if p.following() {
		return nil, false
	}
	if res, ok := p.result(e.ID); ok {
		return res, true
	}
	if c := p.app.cfg.cluster; c != nil && !c.Leased() {
		return unavailableNow, true // another instance may be taking the page over
	}
	p.begin(e.ID)
	res, err := p.run(context.WithValue(ctx, turnKey{}, p), h, e)
	return p.finish(e.ID, res, err), true
}

// finish settles the result of the event (or forwarded update) of that id
// whose handler ran, and remembers it unless it must not be: see settle.
func (p *Page) finish(id string, res *protocol.Error, err error) *protocol.Error {
	res, keep := p.settle(id, res, err)
	if keep {
		p.locked(func() { p.seen.add(id, res, p.app.cfg.dedupeWindow) })
	}
	return res
}

// result returns the result of the event of that id, if it ran.
func (p *Page) result(id string) (*protocol.Error, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen.get(id)
}

// begin marks the event of that id as the one whose handler runs, so that
// the store records that the handler's changes write hold it (in a cluster).
func (p *Page) begin(id string) {
	if p.app.cfg.cluster == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending, p.pendingRes, p.pendingSaved = id, nil, false
}

// settle makes the result of the event whose handler ran (err is the
// handler's own error) durable before the event is acknowledged: in a
// cluster, the page's store record holds the ids of its latest events with
// their results, so that an instance that takes the page over does not run
// them again. keep is false for a result that must not be remembered: the
// event may run on its resend.
func (p *Page) settle(id string, res *protocol.Error, err error) (_ *protocol.Error, keep bool) {
	if p.app.cfg.cluster == nil {
		return res, true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() { p.pending, p.pendingRes, p.pendingSaved = "", nil, false }()
	if errors.Is(err, ErrVersionConflict) || errors.Is(err, ErrNotOwner) {
		// The page changed owner while the handler ran, and none of
		// its changes was applied: the new owner runs the resend.
		return unavailableNow, false
	}
	if p.pendingSaved && res == nil {
		return res, true // the handler's change wrote the record, with success
	}
	p.pendingRes = res
	if serr := p.store(p.record()); serr != nil {
		if errors.Is(serr, ErrVersionConflict) {
			p.reload(serr)
		}
		return unavailableNow, false
	}
	return res, true
}

// run calls h, turning its error or panic into the event's result; err is
// the handler's error.
func (p *Page) run(ctx context.Context, h EventHandler, e Event) (res *protocol.Error, err error) {
	defer func() {
		if v := recover(); v != nil {
			p.app.logError("livetemplate: event handler panicked",
				slog.Any("page", p), slog.String("event", e.Name), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			res = &protocol.Error{Code: protocol.CodeHandlerPanic, Message: fmt.Sprintf("the handler of event %q failed", e.Name)}
		}
	}()
	if err := h(ctx, p, e); err != nil {
		return handlerError(err), err
	}
	return nil, nil
}

// handlerError is the event's result for a handler's error: the code of an
// error of the pages layer that it wraps (a change past WithMaxPageSize is
// limit_reached, a change of a page that ended says why), else
// handler_error; the message is the error's text either way.
func handlerError(err error) *protocol.Error {
	if e := knownError(err); e != nil {
		return e
	}
	return &protocol.Error{Code: protocol.CodeHandlerError, Message: err.Error()}
}

// protocolError is the protocol's error for err, an error of the pages
// layer. Errors that are not the client's to know (a store's) are reported
// as unavailable without their text.
func protocolError(err error) *protocol.Error {
	if e := knownError(err); e != nil {
		return e
	}
	return &protocol.Error{Code: protocol.CodeUnavailable, Message: "the server could not serve the page now: retry"}
}

// knownError is the protocol's error for an error that wraps one of the
// pages layer's sentinels, or nil.
func knownError(err error) *protocol.Error {
	for _, c := range []struct {
		err  error
		code string
	}{
		{ErrInvalidToken, protocol.CodeInvalidToken},
		{ErrPageExpired, protocol.CodePageExpired},
		{ErrPageClosed, protocol.CodePageClosed},
		{ErrPageEvicted, protocol.CodePageEvicted},
		{ErrPageNotFound, protocol.CodePageNotFound},
		{ErrLimitReached, protocol.CodeLimitReached},
		{ErrApplicationClosed, protocol.CodeServerClosing},
		{ErrUnknownTemplate, protocol.CodePageNotFound},
	} {
		if errors.Is(err, c.err) {
			return &protocol.Error{Code: c.code, Message: err.Error()}
		}
	}
	return nil
}

func (a *Application) logger() *slog.Logger {
	if a.cfg.logger != nil {
		return a.cfg.logger
	}
	return slog.Default()
}

package livetemplate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

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

	seq uint64 // its number among its tab's events (see docs/protocol.md), 0 for none
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
	case isUploadEvent(eventName):
		return fmt.Errorf("livetemplate: handle event %q: names starting %q are uploads'", eventName, uploadEventPrefix)
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
	if name, ok := strings.CutPrefix(eventName, uploadEventPrefix); ok {
		return a.uploadEventLocked(templateName, name)
	}
	return a.handlers[handlerKey{templateName, eventName}]
}

// turns is the part of a page that orders its event handlers: the turn,
// which one event handler, Modify or (in a cluster) run of a follower's
// change holds at a time, the results of the latest events, so that each
// event id runs once, and the marks of the tabs that number their events,
// so that each of them runs once and in order however late it comes. mu
// guards seen and marks; the turn is a gate of its own.
type turns struct {
	turn  gate
	mu    sync.Mutex
	seen  recent[result]
	marks marks
}

// result returns the result of the change c if it ran (ran), or the refusal
// of a numbered event that comes before its tab's earlier ones; neither
// when c may run.
func (t *turns) result(c changeID) (res result, ran bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if res, ok := t.seen.get(c.id); ok {
		return res, true
	}
	refused, ran := t.orderLocked(c)
	if refused != nil {
		return failed(refused), ran
	}
	return result{}, ran
}

// remember keeps res as the result of the change c, among the limit
// latest, and c's number as its tab's mark.
func (t *turns) remember(c changeID, res result, limit int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen.add(c.id, res, limit)
	if c.seq > 0 {
		t.marks.set(c.tab, c.seq, limit)
	}
}

// reset replaces the results and marks with those of a store record.
func (t *turns) reset(rec PageRecord, limit int) {
	seen, marks := seenFrom(rec.Events, limit), marksFrom(rec.Marks, limit)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen, t.marks = seen, marks
}

// markList returns the marks for a store record, with room for one more.
func (t *turns) markList() []EventMark {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.marks.list()
}

// results returns the results for a store record, oldest first, with room
// for one more.
func (t *turns) results() []EventResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]EventResult, 0, len(t.seen.ring)+1)
	t.seen.each(func(id string, res result) {
		out = append(out, eventResult(id, res))
	})
	return out
}

// turnKey is the key of the value of an event handler's context that holds
// the handler's turn, a *handlerTurn.
type turnKey struct{}

// A handlerTurn is the page's turn as an event handler holds it, in the
// handler's context, so that Modify called with that context (by the
// handler, or by a goroutine it started) runs in the handler's turn rather
// than wait for it. It ends when the handler returns: a Modify called later,
// even with the handler's context, waits for the page's turn like any other,
// and one running then keeps the turn until it returns. mu guards ended,
// reply, the handler's reply (see Reply), and pushes, its pushes to the
// sender (see PushToSender).
type handlerTurn struct {
	p      *Page
	mu     sync.Mutex
	ended  bool
	reply  json.RawMessage
	pushes []json.RawMessage
	runs   sync.WaitGroup // the Modify calls running in the turn
}

// join starts a Modify of p in the turn, if it is p's and has not ended.
func (t *handlerTurn) join(p *Page) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p != p || t.ended {
		return false
	}
	t.runs.Add(1)
	return true
}

// end ends the turn once no Modify runs in it.
func (t *handlerTurn) end() {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	t.runs.Wait()
}

// Modify changes the page's data with fn and updates the page with what fn
// returns, as [Page.Update] does, while no event handler or other Modify of
// the page runs: use it for changes made outside event handlers (a ticker,
// another user's action) that read the data they change. Called with the ctx
// of one of the page's own event handlers while the handler runs, it runs at
// once, in the handler's turn; once the handler has returned, a Modify with
// its ctx (from a goroutine the handler started) waits for its turn like any
// other. It waits for its turn until ctx is done, and ctx bounds the store
// write as it does for [Page.UpdateContext]. If fn fails, the page is not
// updated and fn's error is returned; if fn panics, the page is not updated
// either, and Modify fails with an error wrapping [ErrPanicked].
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
	handler, err := p.takeTurn(ctx)
	if err != nil {
		return Update{}, fmt.Errorf("livetemplate: modify page: %w", err)
	}
	defer p.endTurn(handler)
	return p.role.modify(ctx, fn, handler != nil)
}

// takeTurn gives Modify the page's turn: the turn of the event handler of
// the page whose context ctx is, while the handler runs (handler is then
// that turn), else the page's own, once it is free or until ctx is done.
func (p *Page) takeTurn(ctx context.Context) (handler *handlerTurn, err error) {
	if t, _ := ctx.Value(turnKey{}).(*handlerTurn); t != nil && t.join(p) {
		return t, nil
	}
	return nil, p.turns.turn.enter(ctx)
}

// endTurn gives back the turn that takeTurn gave.
func (p *Page) endTurn(handler *handlerTurn) {
	if handler != nil {
		handler.runs.Done()
		return
	}
	p.turns.turn.leave()
}

// modifyHere applies fn's result for the page's data on this instance, in
// the turn that Modify holds. fnErr reports that err is fn's own error,
// returned as it is.
func (p *Page) modifyHere(ctx context.Context, fn func(data any) (any, error)) (u Update, fnErr bool, err error) {
	data, err := p.modifyData(fn, p.Data())
	if err != nil {
		return Update{}, true, err
	}
	if u, err = p.apply(ctx, data, anyRevision); err != nil {
		return Update{}, false, fmt.Errorf("livetemplate: modify page: %w", err)
	}
	return u, false, nil
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

// handle runs the handler of e once per event id, and returns the event's
// result: nil, or the error to acknowledge it with. In a cluster, the
// handler runs on the page's owner: a follower forwards e to it.
func (p *Page) handle(ctx context.Context, e Event) (res result) {
	defer p.app.metrics.event(time.Now(), &res.err)
	// A numbered event without a handler runs all the same, to be refused
	// by run: the refusal counts as its run, so that its tab's later events
	// run after it, and it does not run when a handler comes later.
	h := p.app.handler(p.tmpl.name, e.Name)
	if h == nil && e.seq == 0 {
		return failed(unknownEvent(e))
	}
	ctx, cancel := context.WithTimeout(ctx, p.app.cfg.eventTimeout)
	defer cancel()
	return p.role.handle(ctx, h, e)
}

// handleOwned runs the handler of e, which another instance forwarded, if
// this instance owns the page; owned reports whether it does.
func (p *Page) handleOwned(ctx context.Context, e Event) (res result, owned bool) {
	h := p.app.handler(p.tmpl.name, e.Name)
	if h == nil && e.seq == 0 {
		return failed(unknownEvent(e)), true
	}
	ctx, cancel := context.WithTimeout(ctx, p.app.cfg.eventTimeout)
	defer cancel()
	return p.runEvent(ctx, h, e)
}

func unknownEvent(e Event) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeUnknownEvent, Message: fmt.Sprintf("no handler for event %q on this page", e.Name)}
}

// runEvent runs h for e on this instance, once per event id (see once),
// and returns the event's result. owned is false when another instance of
// the cluster owns the page.
func (p *Page) runEvent(ctx context.Context, h EventHandler, e Event) (res result, owned bool) {
	res, how := p.once(ctx, eventChange(e), func(ctx context.Context) (result, error) {
		t := &handlerTurn{p: p}
		unsetSender := p.setSender(ctx)
		res, err := p.run(context.WithValue(ctx, turnKey{}, t), h, e)
		t.end()
		unsetSender()
		if res == nil {
			return result{reply: t.reply, pushes: t.pushes}, nil
		}
		return result{err: res, pushes: t.pushes}, err
	})
	return res, how != elsewhere
}

// outcome says how once went.
type outcome uint8

const (
	answered  outcome = iota // the change ran, or could not run now: the result says
	repeated                 // a change of that id had run: the result is its
	elsewhere                // another instance owns the page
)

// once runs fn in the page's turn, as the change c (an event's handler, or
// a follower's change applied by the owner), unless a change of c's id ran
// already, or c is a numbered event at or below its tab's mark, and returns
// the change's result; err, fn's own error, goes to the page's role, which
// decides whether the result is remembered (see role.settle). A change that
// cannot run now, or a numbered event that comes before its tab's earlier
// ones, gets an unavailable result, which its sender's resend may not.
func (p *Page) once(ctx context.Context, c changeID, fn func(context.Context) (result, error)) (result, outcome) {
	if err := p.turns.turn.enter(ctx); err != nil {
		return failed(pageBusy), answered
	}
	defer p.turns.turn.leave()
	if !p.app.handoff.enter(ctx) {
		return failed(unavailableNow), answered
	}
	defer p.app.handoff.leave()
	if !p.role.owns() {
		return result{}, elsewhere
	}
	if res, ran := p.turns.result(c); ran {
		return res, repeated
	} else if res.err != nil {
		return res, answered
	}
	if !p.role.begin(c) {
		return failed(unavailableNow), answered
	}
	res, err := fn(ctx)
	pushes := res.pushes
	res, keep := p.role.settle(c, result{err: res.err, reply: res.reply}, err)
	if keep {
		// Without the pushes: a resend gets none. A change not kept runs
		// again on its resend, which pushes again.
		p.turns.remember(c, res, p.app.cfg.dedupeWindow)
		res.pushes = pushes
	}
	return res, answered
}

var pageBusy = &protocol.Error{Code: protocol.CodeUnavailable, Message: "the page is busy: resend the event"}

// run calls h, turning its error or panic into the event's result; err is
// the handler's error. A nil h refuses the event as unknown_event.
func (p *Page) run(ctx context.Context, h EventHandler, e Event) (res *protocol.Error, err error) {
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			p.app.logError("livetemplate: event handler panicked",
				slog.Any("page", p), slog.String("event", e.Name), slog.Any("panic", v), slog.String("stack", string(stack)))
			res = &protocol.Error{Code: protocol.CodeHandlerPanic, Message: fmt.Sprintf("the handler of event %q failed", e.Name)}
			p.devEventFailed(e.Name, nil, v, stack)
		}
	}()
	if h == nil {
		return unknownEvent(e), nil
	}
	if err := h(ctx, p, e); err != nil {
		p.devEventFailed(e.Name, err, nil, nil)
		return handlerError(err), err
	}
	return nil, nil
}

// handlerError is the event's result for a handler's error: the code of an
// error of the pages layer that it wraps (a change past WithMaxPageSize is
// limit_reached, a change of a page that ended says why), else
// handler_error; the message is the error's text either way.
func handlerError(err error) *protocol.Error {
	if r := redirectResult(err); r != nil {
		return r // a success that sends the sender elsewhere (navigate.go)
	}
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
	if code := codeOf(err); code != "" {
		return &protocol.Error{Code: code, Message: err.Error()}
	}
	return nil
}

func (a *Application) logger() *slog.Logger {
	if a.cfg.logger != nil {
		return a.cfg.logger
	}
	return slog.Default()
}

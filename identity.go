package livetemplate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// This file carries who a connection belongs to, as the application's
// WithConnect decides it from the handshake request, to the code that runs
// for the connection: its event handlers (on this instance, or on the
// page's owner in a cluster), the join check and a PageHandler's newData.

// WithConnect sets connect, which decides who a WebSocket connection
// belongs to from its handshake request: the request as the application's
// own middleware in front of [Application.Handler] or
// [Application.PageHandler] left it (its cookies, the values that
// middleware put in its context, its query). What connect returns is the
// connection's identity, which [Identity] reads, typed, from the context of
// every event handler of the connection's events, of the join check
// ([WithJoinCheck]), and of the request that a PageHandler's newData gets.
//
// All the tabs of a browser share one connection and one cookie jar: the
// identity is the connection's, decided once per handshake. When a session
// ends or changes, call [Application.Reconnect] so that no connection keeps
// the old identity.
//
// An error refuses the handshake with HTTP 403 (code not_allowed), and the
// client retries later: return a zero or anonymous T for a visitor without
// a session, and an error only for a request that may not connect at all.
// A panic is an error. In a cluster ([WithCluster]) an event runs on its
// page's owner, which may be another instance: the identity goes there as
// JSON, so T must survive [json.Marshal] and [json.Unmarshal].
//
// Default: no identity ([Identity] reports none). A nil connect restores
// the default.
func WithConnect[T any](connect func(*http.Request) (T, error)) Option {
	return func(c *config) {
		if connect == nil {
			c.connect = nil
			return
		}
		c.connect = &connector{
			connect: func(r *http.Request) (any, error) { return connect(r) },
			decode: func(b []byte) (any, error) {
				var v T
				err := json.Unmarshal(b, &v)
				return v, err
			},
		}
	}
}

// Identity returns the identity of the connection that ctx belongs to, as
// the function of [WithConnect] returned it, and whether there is one of
// type T: ctx is an event handler's, a join check's, or the request's
// context in a PageHandler's newData. Calls made for no connection (a
// [Page.Modify] from a ticker) have none.
func Identity[T any](ctx context.Context) (T, bool) {
	w, _ := ctx.Value(whoKey{}).(*who)
	if w == nil {
		var zero T
		return zero, false
	}
	v, ok := w.value.(T)
	return v, ok
}

// connector is what WithConnect configures: connect, and decode, which
// turns an identity's JSON back into a value of connect's type.
type connector struct {
	connect func(*http.Request) (any, error)
	decode  func([]byte) (any, error)
}

// who is a connection's identity: the value that connect returned, and in
// a cluster its JSON, for the events that go to another instance.
type who struct {
	value any
	raw   json.RawMessage
}

type whoKey struct{}

// withWho returns ctx carrying w, or ctx itself when w is nil.
func withWho(ctx context.Context, w *who) context.Context {
	if w == nil {
		return ctx
	}
	return context.WithValue(ctx, whoKey{}, w)
}

// rawWho returns the JSON of the identity that ctx carries, or nil.
func rawWho(ctx context.Context) json.RawMessage {
	if w, _ := ctx.Value(whoKey{}).(*who); w != nil {
		return w.raw
	}
	return nil
}

// identify runs the application's connect for the handshake r and returns
// the connection's identity (nil without WithConnect) and r carrying it, or
// writes why the handshake is refused.
func (a *Application) identify(w http.ResponseWriter, r *http.Request) (*who, *http.Request, bool) {
	cn := a.cfg.connect
	if cn == nil {
		return nil, r, true
	}
	v, err := call(a, "WithConnect's function", func() (any, error) { return cn.connect(r) })
	if err != nil {
		http.Error(w, protocol.CodeNotAllowed+": "+err.Error(), http.StatusForbidden)
		return nil, r, false
	}
	id := &who{value: v}
	if a.cfg.cluster != nil {
		if id.raw, err = json.Marshal(v); err != nil {
			a.logError("livetemplate: the identity of a connection cannot go to the cluster as JSON", slog.Any("error", err))
			http.Error(w, "the server could not identify the connection", http.StatusInternalServerError)
			return nil, r, false
		}
	}
	return id, r.WithContext(withWho(r.Context(), id)), true
}

// whoOf decodes the identity of an event that another instance forwarded:
// nil when it carries none, or this application has no WithConnect.
func (a *Application) whoOf(raw json.RawMessage) (*who, error) {
	cn := a.cfg.connect
	if cn == nil || len(raw) == 0 {
		return nil, nil
	}
	v, err := call(a, "WithConnect's identity decoding", func() (any, error) { return cn.decode(raw) })
	if err != nil {
		return nil, fmt.Errorf("livetemplate: the identity of a forwarded event: %w", err)
	}
	return &who{value: v, raw: raw}, nil
}

// Reconnect closes every connection of this instance whose identity match
// accepts, with close code 4010: its client connects again at once (within
// its first backoff step) and joins its pages again, and the new handshake
// runs [WithConnect]'s function on the request of now, with the browser's
// cookies of now, and the join check on every page. Call it when a session
// ends or changes (a sign-out, a sign-in as someone else, a change of
// roles), after the old session stops being valid (deleted from the
// session store, or its cookie cleared in a response the browser has
// read), so that no connection keeps the old identity. match gets a
// context carrying the connection's identity, read with [Identity], and
// the connection's browser id ([BrowserID], "" for a client without one);
// it runs without any lock held, and a panic in it matches nothing.
//
// In a cluster it closes the connections of this instance only: call it
// on every instance (for example from a message every instance receives).
// It returns how many connections it closed.
func (a *Application) Reconnect(match func(ctx context.Context, browser string) bool) int {
	n := 0
	for _, c := range a.conns.list() {
		ok, _ := call(a, "Reconnect's match", func() (bool, error) { return match(withWho(c.ctx, c.who), c.browserID), nil })
		if ok {
			c.fail(websocket.StatusCode(protocol.CloseReconnect), "the identity changed: connect again")
			n++
		}
	}
	return n
}

// list returns the open connections.
func (s *connSet) list() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.all))
	for c := range s.all {
		out = append(out, c)
	}
	return out
}

package livetemplate

import (
	"context"
	"errors"
	"log/slog"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// ErrNotAllowed: the connection's identity may not do what it asked. A
// join check ([WithJoinCheck]) that refuses a join, and an event handler
// that refuses an event, return an error wrapping it; the client gets the
// code not_allowed with the error's text.
var ErrNotAllowed = errors.New("not allowed")

// WithJoinCheck sets check, which decides whether a connection may join a
// page: it runs for every join by token (on connect, by a join message,
// and again for every page on each reconnect), with a context carrying the
// connection's identity ([Identity], set by [WithConnect]) and bounded by
// [WithEventTimeout], and the page ([Page.Template] says which template
// it shows, [Page.Data] what it holds). An error refuses the join: the
// client gets an error not_allowed with the error's text (so return errors
// whose text the user may see, typically wrapping [ErrNotAllowed]), and
// stops the page, announcing it (an error event, fatal) rather than joining
// again. A panic refuses the join too, without its text. The page that a
// [Application.PageHandler] makes for a connection is that connection's
// own: its first join is not checked.
//
// The check runs on the instance that the connection reached, so that a
// cluster needs nothing more. It runs in the connection's reader, before
// the connection's next message: keep it fast (a lookup, not a network
// round trip per join where a cache will do).
//
// Default: every connection may join every page whose token it holds.
func WithJoinCheck(check func(ctx context.Context, p *Page) error) Option {
	return func(c *config) { c.joinCheck = check }
}

// Template returns the name of the template that the page shows, as it was
// registered.
func (p *Page) Template() string { return p.tmpl.name }

// mayJoin runs the application's join check for c and p, and returns why
// c may not join p, or nil.
func (c *conn) mayJoin(p *Page) *protocol.Error {
	check := c.app.cfg.joinCheck
	if check == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(withWho(c.ctx, c.who), c.app.cfg.eventTimeout)
	defer cancel()
	err := callErr(c.app, "WithJoinCheck's function", func() error { return check(ctx, p) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrPanicked):
		return &protocol.Error{Code: protocol.CodeNotAllowed, Message: "the page may not be joined"}
	case ctx.Err() != nil:
		// Not a refusal: the client joins again later, quietly.
		c.app.logError("livetemplate: join check ran past WithEventTimeout", slog.Any("page", p), slog.Any("error", err))
		return &protocol.Error{Code: protocol.CodeUnavailable, Message: "the join could not be checked now: retry"}
	}
	return &protocol.Error{Code: protocol.CodeNotAllowed, Message: err.Error()}
}

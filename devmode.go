package livetemplate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
	"weak"

	"github.com/livetemplate/livetemplate/internal/bundle"
	"github.com/livetemplate/livetemplate/internal/engine"
)

// WithDevMode turns on development mode, for the edit-and-reload loop on a
// developer's machine. Default: off. In development mode:
//
//   - The files of the templates registered with
//     [Application.RegisterTemplateFromFile] and
//     [Application.RegisterTemplateFS] are watched (polled a few times a
//     second). When one is saved, the template is parsed again and every
//     open page of it is rendered again with the new template at once: the
//     pages keep their data, and their browsers get the whole page, which
//     the client patches in place (focus, caret and typed values stay).
//     Templates given to [Application.RegisterTemplate] and files in an
//     embed.FS do not change while the program runs.
//   - A template that no longer parses, escapes or executes leaves the
//     pages with the last template that worked, and the error is shown in
//     the browser, over the page. So is an event handler's error or panic
//     (with its stack).
//
// The errors, and the script that shows them, go only to browsers on the
// machine itself (connections from a loopback address): error texts and
// stacks never leave it. Other browsers see the pages reload, nothing more.
// NewApplication logs a warning that development mode is on, and fails if
// [WithCluster] is set too: it is for one process on one machine, never for
// production.
func WithDevMode() Option {
	return func(c *config) { c.dev = true }
}

// startDev logs that development mode is on and starts watching the
// templates' files; Close stops it.
func (a *Application) startDev() {
	if !a.cfg.dev {
		return
	}
	a.logger().Warn("livetemplate: DEVELOPMENT MODE is on: template files are watched, and errors with their stacks are shown in the browsers of this machine; never use WithDevMode in production")
	a.sweeper.Add(1)
	go a.watch()
}

// reload parses and compiles reg again, and renders every page of it with
// the new program. A template that fails keeps its program, and the pages
// of it show the error.
func (a *Application) reload(reg *registered) {
	t, err := reg.src.parse()
	var next *program
	if err == nil {
		next, err = a.compile(t)
	}
	pages := a.pages.ofTemplate(reg)
	if err != nil {
		a.logger().Warn("livetemplate: development mode: template kept", slog.String("template", reg.name), slog.Any("error", err))
		for _, p := range pages {
			p.devReport(devMessage{Kind: devTemplate, Template: reg.name, Message: err.Error()})
		}
		return
	}
	// A page may show the old program's tree until it renders again: it
	// replaces the placeholders that either program may write.
	old := reg.program()
	next.usesToken = next.usesToken || old.usesToken
	next.usesVersion = next.usesVersion || old.usesVersion
	reg.cur.Store(next)
	for _, p := range pages {
		p.rerender(a.ctx)
	}
}

// rerender renders the page again with its template's current program. Its
// browsers are told if that fails; replaceChanging tells them if it works.
func (p *Page) rerender(ctx context.Context) {
	ctx, cancel := p.app.storeContext(ctx)
	defer cancel()
	err := p.changing.enter(ctx)
	if err == nil {
		_, err = p.applyChanging(ctx, p.data, anyRevision)
		p.changing.leave()
	}
	if err != nil {
		p.devReport(devMessage{Kind: devRender, Template: p.tmpl.name, Message: err.Error()})
	}
}

// replaceChanging makes data, rendered as tree by another program than the
// page's tree (a reload's), the page's state: no diff leads from one to the
// other, so the version goes up by one and every joined client is sent the
// whole page, then, in development mode, the reloaded message. The change
// lock is held.
func (p *Page) replaceChanging(ctx context.Context, data any, tree *engine.Tree) (Update, error) {
	u := Update{Version: p.version + 1}
	rec := p.recordChanging()
	rec.Data, rec.Version = data, u.Version
	if err := p.writeChanging(ctx, rec); err != nil {
		return Update{}, err
	}
	u.Body = p.withToken(tree.AppendJSON(nil), u.Version)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.data, p.tree, p.version = data, tree, u.Version
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	// No diff of the history leads to the new version: a client that
	// holds an older one gets the whole page.
	p.live.history, p.live.historyBytes = nil, 0
	p.live.since = u.Version
	p.live.render = weak.Pointer[snapshot]{}
	reloaded := p.devFrame(devMessage{Kind: devReloaded, Template: p.tmpl.name})
	for _, s := range p.live.subs {
		if !s.quiet {
			s.c.catchUpFrom(s.name, p, u.Version-1)
		}
		if reloaded != nil && s.c.dev {
			s.c.send(s.name, reloaded)
		}
	}
	return u, nil
}

// catchUpFrom queues a catch-up of p, joined as name, for a client that
// holds version have: the writer sends what it then needs. A catch-up that
// waits already does it. p.mu and p.live.mu are held.
func (c *conn) catchUpFrom(name string, p *Page, have uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.pages[name] != p || c.behindOf(name) != nil {
		return
	}
	c.addCatchUpLocked(&catchUp{name: name, p: p, have: have})
}

// ofTemplate returns the live pages of reg.
func (s *pageSet) ofTemplate(reg *registered) []*Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Page
	for _, p := range s.byID {
		if p.tmpl == reg {
			out = append(out, p)
		}
	}
	return out
}

// The kinds of dev messages (docs/protocol.md).
const (
	devTemplate = "template" // the template's files do not parse or escape
	devRender   = "render"   // the new template does not execute with the page's data
	devReloaded = "reloaded" // the page shows the new template: earlier errors are gone
	devHandler  = "handler"  // an event handler returned an error
	devPanic    = "panic"    // an event handler panicked
)

// devMessage is the dev message: development mode only.
type devMessage struct {
	Kind     string `json:"kind"`
	Template string `json:"template,omitempty"`
	Event    string `json:"event,omitempty"`
	Message  string `json:"message,omitempty"`
}

// devFrame returns the dev message of m in development mode, else nil.
func (p *Page) devFrame(m devMessage) []byte {
	if !p.app.cfg.dev {
		return nil
	}
	msg, _ := json.Marshal(struct { // strings only: it cannot fail
		Type string `json:"type"`
		devMessage
	}{"dev", m})
	return msg
}

// devReport sends m to the page's connections from this machine, in
// development mode.
func (p *Page) devReport(m devMessage) {
	msg := p.devFrame(m)
	if msg == nil {
		return
	}
	p.live.mu.Lock()
	defer p.live.mu.Unlock()
	for _, s := range p.live.subs {
		if s.c.dev {
			s.c.send(s.name, msg)
		}
	}
}

// devEventFailed shows an event handler's error (a panic's value and stack)
// in the browsers of the page, in development mode.
func (p *Page) devEventFailed(event string, err error, panicked any, stack []byte) {
	if panicked != nil {
		p.devReport(devMessage{Kind: devPanic, Template: p.tmpl.name, Event: event, Message: fmt.Sprintf("%v\n\n%s", panicked, stack)})
		return
	}
	p.devReport(devMessage{Kind: devHandler, Template: p.tmpl.name, Event: event, Message: err.Error()})
}

// devClient reports whether the handshake r comes from this machine, in
// development mode: its connection is sent dev messages.
func (a *Application) devClient(r *http.Request) bool {
	if !a.cfg.dev {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// devScriptQuery is the query by which the endpoint serves the script that
// shows dev messages: /live?livetemplate=dev.js.
const devScriptQuery = "dev.js"

// serveDevScript serves the dev script for a request of it, in development
// mode, and reports whether it did.
func (a *Application) serveDevScript(w http.ResponseWriter, r *http.Request) bool {
	if !a.cfg.dev || r.URL.Query().Get("livetemplate") != devScriptQuery {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(bundle.Dev))
	return true
}

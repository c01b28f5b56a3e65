package livetemplate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// TokenHeader is the request header that may carry the token of the page
// that a connection joins on connect, for clients that can set headers
// (browsers cannot: they use the token query parameter or a join message).
const TokenHeader = "LiveTemplate-Token"

// Handler returns the application's WebSocket endpoint, to mount on any path
// of any mux:
//
//	mux.Handle("/live", app.Handler())
//
// A client joins pages by token over it, any number of pages on one
// connection and any number of connections on one page (docs/protocol.md).
// The page of a token given on connect, in the query (?token=...&v=3) or in
// the [TokenHeader] header, is joined at once as the connection's default
// page. The endpoint refuses handshakes from other origins than its own host
// (see [WithOriginPatterns]), for hosts that [WithAllowedHosts] does not
// allow, and past [WithMaxClientConnections].
func (a *Application) Handler() http.Handler {
	return &endpoint{app: a}
}

// PageHandler returns a WebSocket endpoint that gives every connection a
// page of its own (a page per connection): it creates a page of the
// template registered as templateName with the data that newData returns for
// the handshake request, sends the page's token in a page_token message, and
// joins the page as the connection's default page. A client that reconnects
// with the token (as [Handler] accepts it) resumes the page instead of
// getting a new one. Such a page is closed [WithDisconnectGrace] after its
// last connection leaves. newData may be nil for pages whose data starts nil.
// The connection is otherwise the same as [Handler]'s: it may join other
// pages too.
func (a *Application) PageHandler(templateName string, newData func(*http.Request) (any, error)) http.Handler {
	return &endpoint{app: a, template: templateName, newData: newData}
}

type endpoint struct {
	app      *Application
	template string // for a PageHandler: the template of a connection's page
	newData  func(*http.Request) (any, error)
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.app.serveDevScript(w, r) {
		return
	}
	h, err := handshakeOf(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a := e.app
	client, ok := a.admitClient(w, r)
	if !ok {
		return
	}
	who, r, ok := a.identify(w, r)
	if !ok {
		a.clients.release(client)
		return
	}
	c := newConn(a, h.fence, h.epoch) // conn.browser holds the fencing key
	c.dev = a.devClient(r)
	c.who, c.browserID = who, h.id
	ws, err := websocket.Accept(w, r, a.acceptOptions(c))
	if err != nil {
		c.cancel()
		a.clients.release(client)
		return // Accept has written the response: not a WebSocket handshake
	}
	ws.SetReadLimit(int64(a.cfg.maxMessageSize))
	c.ws = ws
	admitted, closed := a.conns.add(c)
	if closed {
		a.clients.release(client)
		c.cancel()
		ctx, cancel := context.WithTimeout(r.Context(), a.cfg.writeTimeout)
		defer cancel()
		ws.Write(ctx, websocket.MessageText, serverClosing) // the close follows whether or not the client took it
		ws.Close(websocket.StatusGoingAway, protocol.CodeServerClosing)
		return
	}
	c.start()
	switch {
	case !admitted:
		// Fenced: a newer connection of its browser is open. It is being
		// closed; it joins and creates nothing meanwhile.
	case h.token != "":
		c.join("", h.token, h.have, "", false)
	case e.template != "":
		e.newPage(c, r)
	}
	// The connection lives on in a goroutine of its own, which the
	// application's Close waits for: returning lets net/http free the
	// handshake's request and its goroutine's grown stack, a third of an
	// idle connection's memory.
	go func() {
		defer a.conns.remove(c)
		defer a.clients.release(client)
		c.readLoop()
		c.finish()
	}()
}

// admitClient checks a handshake's Host and Origin and counts its client's
// connection, or writes why the handshake is refused. It returns the
// client's key, for the caller to release when the connection ends.
func (a *Application) admitClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	if err := hostAllowed(r.Host, a.cfg.hosts); err != nil {
		http.Error(w, protocol.CodeForbiddenHost+": "+err.Error(), http.StatusForbidden)
		return "", false
	}
	client := remoteOf(r, a.cfg.trusted)
	if err := originAllowed(r, client.secure, a.cfg.origins); err != nil {
		http.Error(w, protocol.CodeForbidden+": "+err.Error(), http.StatusForbidden)
		return "", false
	}
	if !a.clients.acquire(client.key, a.cfg.maxClientConns) {
		msg := fmt.Sprintf("%s: this client holds %d connections, as many as it may (see WithMaxClientConnections)", protocol.CodeTooManyConnections, a.cfg.maxClientConns)
		http.Error(w, msg, http.StatusTooManyRequests)
		return "", false
	}
	return client.key, true
}

// handshake is what a handshake request says besides the WebSocket upgrade:
// the default page to join, and the fencing credential's key (scoped as the
// client scopes it: one per browser and endpoint) and leader epoch.
type handshake struct {
	token string
	have  uint64
	fence string
	epoch uint64
	id    string // the browser's public id (BrowserID)
}

func handshakeOf(r *http.Request) (handshake, error) {
	q := r.URL.Query()
	h := handshake{token: q.Get("token")}
	if h.token == "" {
		h.token = r.Header.Get(TokenHeader)
	}
	// Clients before the credential sent browser and epoch in the query.
	// They are checked as before but fence nothing: a URL ends up in logs,
	// and whoever read it could close the browser's connection.
	if err := legacyBrowserOf(q.Get("browser"), q.Get("epoch")); err != nil {
		return h, err
	}
	cred, err := credentialOf(r)
	if err != nil {
		return h, err
	}
	h.fence, h.epoch, h.id = cred.key, cred.epoch, cred.browser
	h.have, err = versionOf(q.Get("v"))
	return h, err
}

// originAllowed reports why a handshake's Origin is not allowed: it is
// neither the request's own host, as secure as the endpoint (secure: the
// client reached it over TLS), nor matched by a pattern of
// WithOriginPatterns. A request without Origin does not come from a browser
// page, so no other site can have made it: it is allowed.
func originAllowed(r *http.Request, secure bool, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("the Origin %q is not a URL with a host", origin)
	}
	if strings.EqualFold(u.Host, r.Host) && (!secure || strings.EqualFold(u.Scheme, "https")) {
		return nil
	}
	for _, pat := range patterns {
		subject := u.Host
		if strings.Contains(pat, "://") {
			subject = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(subject)); ok { // patterns were checked by NewApplication
			return nil
		}
	}
	if strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("the Origin %q is less secure than the endpoint, which the client reached over TLS (see WithOriginPatterns)", origin)
	}
	return fmt.Errorf("the Origin %q may not connect to %q (see WithOriginPatterns)", origin, r.Host)
}

// acceptOptions are the options of c's handshake. Every WebSocket ping and
// pong frame counts against c's rate limits; a ping past them gets no pong.
func (a *Application) acceptOptions(c *conn) *websocket.AcceptOptions {
	// The origin is checked before, with the endpoint's own error.
	o := &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		Subprotocols:       []string{subprotocol},
		OnPingReceived:     func(_ context.Context, b []byte) bool { return c.control(len(b)) },
		OnPongReceived:     func(_ context.Context, b []byte) { c.control(len(b)) },
	}
	if a.cfg.compression {
		o.CompressionMode = websocket.CompressionNoContextTakeover
	}
	return o
}

// newPage creates the page of a PageHandler's connection and joins it.
func (e *endpoint) newPage(c *conn, r *http.Request) {
	var data any
	if e.newData != nil {
		d, err := call(e.app, "PageHandler's newData", func() (any, error) { return e.newData(r) })
		if err != nil {
			c.send("", protocol.ErrorMessage(&protocol.Error{Code: protocol.CodeUnavailable, Message: "the page could not be created"}))
			e.app.logError("livetemplate: page handler: new page data", slog.String("template", e.template), slog.Any("error", err))
			return
		}
		data = d
	}
	p, err := e.app.NewPage(e.template, data)
	if err != nil {
		c.send("", protocol.ErrorMessage(protocolError(err)))
		return
	}
	p.live.mu.Lock()
	p.live.owned = true
	p.live.mu.Unlock()
	c.send("", protocol.PageToken(p.token))
	c.joinPage("", p, 0, useCreator, "", false)
}

// legacyBrowserOf checks the browser and epoch query parameters of older
// clients.
func legacyBrowserOf(id, epoch string) error {
	if id == "" && epoch == "" {
		return nil
	}
	if id == "" || len(id) > protocol.MaxPageName {
		return fmt.Errorf("livetemplate: the browser parameter must have 1 to %d bytes", protocol.MaxPageName)
	}
	if _, err := strconv.ParseUint(epoch, 10, 64); err != nil {
		return errors.New("livetemplate: the epoch parameter must be a decimal number")
	}
	return nil
}

func versionOf(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("livetemplate: the v parameter must be a decimal number")
	}
	return v, nil
}

// connSet holds an application's open connections, and for each fencing
// key the newest one (the connection of the browser's leading tab).
type connSet struct {
	mu       sync.Mutex
	all      map[*conn]struct{}
	browsers map[string]*conn // by fencing key
	closed   bool
	wg       sync.WaitGroup
}

// add registers c. A connection of a fencing key replaces one of the same
// key and an epoch no higher, which is closed; a connection of an older
// epoch is not admitted: it is registered (until remove) but being closed,
// told the open one's epoch, so that a tab that still leads can come back
// above it. closed reports an application that is closing, which registers
// nothing.
func (s *connSet) add(c *conn) (admitted, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, true
	}
	if s.all == nil {
		s.all, s.browsers = make(map[*conn]struct{}), make(map[string]*conn)
	}
	s.all[c] = struct{}{}
	s.wg.Add(1)
	if c.browser == "" {
		return true, false
	}
	old := s.browsers[c.browser]
	switch {
	case old == nil:
		s.browsers[c.browser] = c
	case c.epoch >= old.epoch:
		s.browsers[c.browser] = c
		old.fail(protocol.CloseReplaced, "replaced by a newer connection of this browser")
	default:
		c.fail(protocol.CloseReplaced, fmt.Sprintf("a newer connection of this browser is open (epoch %d)", old.epoch))
		return false, false
	}
	return true, false
}

func (s *connSet) remove(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.all, c)
	if s.browsers[c.browser] == c {
		delete(s.browsers, c.browser)
	}
	s.wg.Done()
}

// serverClosing is the message a connection gets before close 1001 when the
// application closes.
var serverClosing = protocol.ErrorMessage(&protocol.Error{Code: protocol.CodeServerClosing, Message: "the server is shutting down: reconnect later"})

// close closes every connection with an error server_closing and status
// 1001, and waits for them to end.
func (s *connSet) close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.all {
		c.goAway()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

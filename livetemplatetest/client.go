// Package livetemplatetest is a Go client of LiveTemplate's WebSocket
// endpoint, for testing live pages without a browser. It speaks the real
// protocol (docs/protocol.md) over a real socket: [Dial] an endpoint, join
// pages by token, send events and read each page's HTML, which the client
// builds from the render and diffs it receives exactly as a browser does.
//
//	srv := httptest.NewServer(app.Handler())
//	c, err := livetemplatetest.Dial(ctx, srv.URL)
//	p, err := c.Join(ctx, page.GetToken())
//	err = p.Event(ctx, "increment", nil)
//	html := p.HTML()
//
// A page's elements can be found by CSS selector and used as a user does
// ([Page.Click], [Page.Submit], [Page.Input], ...): the client sends what
// the browser client would send for their lvt-* attributes.
//
// Every method that waits takes a context; a Client is safe for concurrent
// use.
package livetemplatetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// Error is an error the server reported: its code (docs/protocol.md lists
// them all) and message.
type Error struct {
	Code    string
	Message string
	// RetryAfter is when the server says to send a refused message again
	// (rate_limited), or 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return "livetemplate server: " + e.Code + ": " + e.Message }

// ErrClosed is returned by the methods of a client whose connection ended.
var ErrClosed = errors.New("livetemplatetest: connection closed")

// An Option configures [Dial].
type Option func(*options)

type options struct {
	header  http.Header
	browser string
	epoch   uint64
	token   string
	version uint64
}

// WithHeader adds headers to the handshake request (for example Origin, or
// the endpoint's token header).
func WithHeader(h http.Header) Option {
	return func(o *options) { o.header = h }
}

// WithBrowser connects as the leading tab of browser id with the given
// epoch, with the fencing credential that the browser client offers
// (docs/protocol.md): the server closes any older connection of the same
// browser. The credential's secret key is derived from id, so that clients
// of one id fence each other as the tabs of one browser do; a browser's
// own key is random and known to it alone.
func WithBrowser(id string, epoch uint64) Option {
	return func(o *options) { o.browser, o.epoch = id, epoch }
}

// WithToken joins the page of token on connect, as the connection's default
// page (see [Client.Default]), by the token query parameter.
func WithToken(token string) Option {
	return func(o *options) { o.token = token }
}

// Client is one connection to an endpoint.
type Client struct {
	ws   *websocket.Conn
	done chan struct{} // closed when the reader stops
	err  error         // why; set before done is closed

	mu      sync.Mutex
	pages   map[string]*Page
	acks    map[ackKey]chan *Error
	errs    []*Error      // connection errors not about a joined page
	errCh   chan struct{} // signalled when errs grows
	nextRef int
	nextID  int
	idSpace string // makes the client's event ids unique among all clients'
}

type ackKey struct{ page, id string }

// Dial connects to the endpoint at rawURL (http, https, ws or wss).
func Dial(ctx context.Context, rawURL string, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	u, err := endpointURL(rawURL, o)
	if err != nil {
		return nil, err
	}
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: o.header, Subprotocols: o.subprotocols()})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("livetemplatetest: dial: HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("livetemplatetest: dial: %w", err)
	}
	ws.SetReadLimit(-1)
	c := &Client{ws: ws, done: make(chan struct{}), pages: make(map[string]*Page), acks: make(map[ackKey]chan *Error), errCh: make(chan struct{}, 1), idSpace: rand.Text()[:12]}
	c.pages[""] = newPage(c, "", o.token, o.version)
	go c.read()
	return c, nil
}

func endpointURL(rawURL string, o options) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("livetemplatetest: dial: %w", err)
	}
	q := u.Query()
	if o.token != "" {
		q.Set("token", o.token)
		if o.version > 0 {
			q.Set("v", strconv.FormatUint(o.version, 10))
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// subprotocols returns the handshake's subprotocols: the browser's fencing
// credential, if any.
func (o options) subprotocols() []string {
	if o.browser == "" {
		return nil
	}
	sum := sha256.Sum256([]byte("livetemplatetest browser " + o.browser))
	key := hex.EncodeToString(sum[:16])
	return []string{"livetemplate", "livetemplate.fence." + o.browser + "." + key + "." + strconv.FormatUint(o.epoch, 10)}
}

// Close closes the connection normally. The server keeps the pages; a page
// made for the connection by a PageHandler outlives it by the grace period.
func (c *Client) Close() error {
	c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
	return nil
}

// Drop ends the connection at once, without a close handshake, as a lost
// network does.
func (c *Client) Drop() {
	c.ws.CloseNow()
	<-c.done
}

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, once Done is closed: its close
// status is available with [websocket.CloseStatus] (for example 4008 for a
// client that read too slowly).
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// CloseStatus returns the status code with which the server closed the
// connection, or -1 if it has not or closed it without one.
func (c *Client) CloseStatus() websocket.StatusCode {
	return websocket.CloseStatus(c.Err())
}

// Default returns the connection's default page, the page of [WithToken] or
// the one a PageHandler made for the connection, once it is joined.
func (c *Client) Default(ctx context.Context) (*Page, error) {
	p := c.page("")
	if err := p.waitJoined(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Join joins the page of token, under a name of the client's choosing, and
// returns it once the server has sent its HTML.
func (c *Client) Join(ctx context.Context, token string) (*Page, error) {
	c.mu.Lock()
	c.nextRef++
	name := "p" + strconv.Itoa(c.nextRef)
	p := newPage(c, name, token, 0)
	c.pages[name] = p
	c.mu.Unlock()
	return p, p.join(ctx)
}

// Resume joins the page that old showed, with the version and HTML old held,
// as a client does after a reconnect: the server sends only the diffs old
// missed if it still has them, else the whole page. old must not be used
// afterwards.
func (c *Client) Resume(ctx context.Context, old *Page) (*Page, error) {
	c.mu.Lock()
	c.nextRef++
	name := "p" + strconv.Itoa(c.nextRef)
	p := newPage(c, name, old.Token(), 0)
	old.handOver(p)
	c.pages[name] = p
	c.mu.Unlock()
	return p, p.join(ctx)
}

// Send sends msg as it is (marshalled to JSON), for tests of the protocol
// itself.
func (c *Client) Send(ctx context.Context, msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("livetemplatetest: send: %w", err)
	}
	return c.write(ctx, b)
}

// SendRaw sends one text frame as it is.
func (c *Client) SendRaw(ctx context.Context, frame []byte) error {
	return c.write(ctx, frame)
}

func (c *Client) write(ctx context.Context, b []byte) error {
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("livetemplatetest: send: %w", err)
	}
	return nil
}

// NextError returns the next error the server reported that is not about a
// page this client is joining or has joined (for example bad_message), in
// order.
func (c *Client) NextError(ctx context.Context) (*Error, error) {
	for {
		c.mu.Lock()
		if len(c.errs) > 0 {
			e := c.errs[0]
			c.errs = c.errs[1:]
			c.mu.Unlock()
			return e, nil
		}
		c.mu.Unlock()
		select {
		case <-c.errCh:
		case <-c.done:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Ping sends the protocol's ping and waits for its pong.
func (c *Client) Ping(ctx context.Context) error {
	p := c.page("")
	seen := p.pongs()
	if err := c.write(ctx, []byte(`{"type":"ping"}`)); err != nil {
		return err
	}
	return p.waitPong(ctx, seen)
}

func (c *Client) page(name string) *Page {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pages[name]
}

// event sends an event and waits for its ack.
func (c *Client) event(ctx context.Context, page, id string, seq uint64, name string, data any) error {
	m := map[string]any{"type": protocol.TypeEvent, "id": id, "name": name}
	if seq > 0 {
		m["seq"] = seq
	}
	if page != "" {
		m["page"] = page
	}
	if data != nil {
		m["data"] = data
	}
	ch := make(chan *Error, 1)
	key := ackKey{page, id}
	c.mu.Lock()
	c.acks[key] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.acks, key)
		c.mu.Unlock()
	}()
	if err := c.Send(ctx, m); err != nil {
		return err
	}
	select {
	case e := <-ch:
		if e != nil {
			return e
		}
		return nil
	case <-c.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) newEventID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return c.idSpace + "-" + strconv.Itoa(c.nextID)
}

// read reads and applies messages until the connection ends.
func (c *Client) read() {
	defer close(c.done)
	for {
		_, b, err := c.ws.Read(context.Background())
		if err != nil {
			c.err = err
			c.mu.Lock()
			for _, p := range c.pages {
				p.connectionEnded()
			}
			c.mu.Unlock()
			return
		}
		c.dispatch(b)
	}
}

// message is any message from the server.
type message struct {
	Type    string          `json:"type"`
	Page    *string         `json:"page"`
	Token   string          `json:"token"`
	V       uint64          `json:"v"`
	Base    uint64          `json:"base"`
	Tree    json.RawMessage `json:"tree"`
	D       json.RawMessage `json:"d"`
	ID      string          `json:"id"`
	OK      bool            `json:"ok"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Retry   uint64          `json:"retry_after"`
	Reply   json.RawMessage `json:"reply"`
	Name    string          `json:"name"`
	Data    json.RawMessage `json:"data"`
}

func (c *Client) dispatch(b []byte) {
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		c.connError(&Error{Code: "client", Message: "undecodable server message: " + err.Error()})
		return
	}
	name := ""
	if m.Page != nil {
		name = *m.Page
	}
	if m.Type == protocol.TypeAck {
		c.ack(name, m)
		return
	}
	p := c.page(name)
	if m.Type == protocol.TypePush {
		p.pushed(Push{Name: m.Name, Data: m.Data}) // p may be nil: a page left a moment ago
		return
	}
	if m.Type == protocol.TypeError && !p.takesError(m.Page != nil, m.Code) {
		c.connError(&Error{Code: m.Code, Message: m.Message})
		return
	}
	if p == nil {
		return // a page left a moment ago
	}
	if err := p.receive(m); err != nil {
		c.connError(&Error{Code: "client", Message: err.Error()})
	}
}

func (c *Client) ack(page string, m message) {
	c.mu.Lock()
	ch := c.acks[ackKey{page, m.ID}]
	c.mu.Unlock()
	if m.OK && len(m.Reply) > 0 {
		c.page(page).replied(Reply{ID: m.ID, Data: m.Reply})
	}
	if ch == nil {
		return // an ack of an event the client stopped waiting for
	}
	if m.OK {
		ch <- nil
	} else {
		ch <- &Error{Code: m.Code, Message: m.Message, RetryAfter: time.Duration(m.Retry) * time.Millisecond}
	}
}

func (c *Client) connError(e *Error) {
	c.mu.Lock()
	c.errs = append(c.errs, e)
	c.mu.Unlock()
	select {
	case c.errCh <- struct{}{}:
	default:
	}
}

// endsPage reports whether an error of code means that a joined page is no
// longer joined.
func endsPage(code string) bool {
	return strings.HasPrefix(code, "page_") || code == protocol.CodeServerClosing
}

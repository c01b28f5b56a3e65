package chat

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"sync"

	"github.com/livetemplate/livetemplate"
)

// Connections counts the open connections of a live endpoint by browser:
// the id that the client's handshake gives ([livetemplate.BrowserID], the
// same for all the tabs that share one connection). Its zero value is ready
// to use.
type Connections struct {
	mu   sync.Mutex
	open map[string]int
}

// Count wraps a live endpoint, such as app.Handler(), so that each of its
// connections counts for its browser from the WebSocket handshake until the
// connection closes. (The endpoint returns from ServeHTTP once the
// connection is set up, so the count follows the hijacked network
// connection, not the request.)
func (c *Connections) Count(live http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		browser := livetemplate.BrowserID(r)
		if browser != "" {
			w = &countingWriter{ResponseWriter: w, count: c, browser: browser}
		}
		live.ServeHTTP(w, r)
	})
}

// Of returns how many connections of browser are open.
func (c *Connections) Of(browser string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open[browser]
}

// ServeHTTP answers GET ?browser=ID with the count of that browser's open
// connections, as JSON: {"browser":"ID","connections":1}.
func (c *Connections) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	browser := r.URL.Query().Get("browser")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		Browser     string `json:"browser"`
		Connections int    `json:"connections"`
	}{browser, c.Of(browser)})
}

func (c *Connections) add(browser string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open = make(map[string]int)
	}
	c.open[browser] += n
	if c.open[browser] == 0 {
		delete(c.open, browser)
	}
}

// countingWriter is a handshake's response: the WebSocket library hijacks
// its network connection, which counts from then until it is closed.
type countingWriter struct {
	http.ResponseWriter
	count   *Connections
	browser string
}

// Hijack hijacks the connection and counts it until its Close.
func (w *countingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.count.add(w.browser, 1)
	return &countedConn{Conn: conn, done: func() { w.count.add(w.browser, -1) }}, rw, nil
}

// Unwrap gives http.ResponseController the response underneath.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countedConn is a hijacked connection that calls done on its first Close.
type countedConn struct {
	net.Conn
	once sync.Once
	done func()
}

// Close closes the connection; the first Close ends its count.
func (c *countedConn) Close() error {
	c.once.Do(c.done)
	return c.Conn.Close()
}

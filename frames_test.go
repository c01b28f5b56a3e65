package livetemplate_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
)

// rawConn is a client of the endpoint that sends frames as they are and
// reads the server's messages one by one, over a real socket.
type rawConn struct {
	t   *testing.T
	ctx context.Context
	ws  *websocket.Conn
}

func rawDial(t *testing.T, url string, h http.Header) *rawConn {
	t.Helper()
	ctx := testContext(t)
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(-1)
	return &rawConn{t: t, ctx: ctx, ws: ws}
}

func (c *rawConn) send(frame string) {
	c.t.Helper()
	if err := c.ws.Write(c.ctx, websocket.MessageText, []byte(frame)); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next message, decoded.
func (c *rawConn) next() map[string]any {
	c.t.Helper()
	_, b, err := c.ws.Read(c.ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%s: %v", b, err)
	}
	return m
}

// expect reads the next message and checks that it has the given keys and
// values, and, when exact, no others.
func (c *rawConn) expect(exact bool, want map[string]any) map[string]any {
	c.t.Helper()
	m := c.next()
	for k, v := range want {
		if m[k] != v {
			c.t.Fatalf("got %v; want %v", m, want)
		}
	}
	if exact && len(m) != len(want) {
		c.t.Fatalf("got %v; want exactly %v", m, want)
	}
	return m
}

// joined joins the page of tok as the default page and reads its render and
// joined.
func (c *rawConn) joined(tok string) {
	c.t.Helper()
	c.send(`{"type":"join","token":"` + tok + `"}`)
	c.expect(false, map[string]any{"type": "render"})
	c.expect(false, map[string]any{"type": "joined"})
}

// quiet checks that the server has nothing more to say.
func (c *rawConn) quiet() {
	c.t.Helper()
	c.send(`{"type":"ping"}`)
	c.expect(true, map[string]any{"type": "pong"})
}

// TestInvalidUTF8EventIDs: event ids "\xff" and "\xfe" are two different ids
// that encoding/json would both have made U+FFFD: the second event would
// have been taken for a resend of the first and never run, and both acks
// would have named an id the client never sent. Each frame is refused.
func TestInvalidUTF8EventIDs(t *testing.T) {
	_, url, page := liveCounter(t)
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	for _, id := range []string{"\xff", "\xfe", `\ud800`, `\udfff`} {
		c.send(`{"type":"event","id":"` + id + `","name":"add"}`)
		m := c.expect(false, map[string]any{"type": "error", "code": "bad_message"})
		if _, ok := m["page"]; ok {
			t.Fatalf("%s: a bad_message names a page", m)
		}
	}
	c.quiet()
	if n := page.Data().(counter).Count; n != 0 {
		t.Fatalf("count %d: an event with an id that is not UTF-8 ran", n)
	}
	c.send(`{"type":"event","id":"é-1","name":"add"}`)
	c.expect(false, map[string]any{"type": "diff"})
	c.expect(true, map[string]any{"type": "ack", "id": "é-1", "ok": true})
	// Data is the application's: a browser's JSON.stringify writes a lone
	// surrogate of a string as an escape, and the event runs.
	c.send(`{"type":"event","id":"é-2","name":"add","data":{"n":2,"note":"\ud800"}}`)
	c.expect(false, map[string]any{"type": "diff"})
	c.expect(true, map[string]any{"type": "ack", "id": "é-2", "ok": true})
	if n := page.Data().(counter).Count; n != 3 {
		t.Fatalf("count %d; want 3", n)
	}
}

// TestStrictKeys: keys are exact, known and once; anything else is
// bad_message, not a message of another meaning.
func TestStrictKeys(t *testing.T) {
	_, url, page := liveCounter(t)
	c := rawDial(t, url, nil)
	for _, frame := range []string{
		`{"TYPE":"ping"}`,
		`{"Type":"ping"}`,
		`{"type":"ping","later":true}`,
		`{"type":"ping","type":"ping"}`,
		`{"type":"join","token":"` + page.GetToken() + `","Page":"p1"}`,
		`{"type":"join","token":"` + page.GetToken() + `","id":"e1"}`,
	} {
		c.send(frame)
		c.expect(false, map[string]any{"type": "error", "code": "bad_message"})
	}
	c.quiet()
	c.joined(page.GetToken())
}

// TestRequestRefs: a join or a ping may carry a ref, which the answers to it
// carry back: joined, pong, and every error that refuses it. Without a ref,
// the answers have none.
func TestRequestRefs(t *testing.T) {
	app, url, page := liveCounter(t, livetemplate.WithEventRate(0.001, 8))
	other := newPage(t, app, "counter", counter{})
	c := rawDial(t, url, nil)
	c.send(`{"type":"join","token":"` + page.GetToken() + `","ref":"j1"}`)
	c.expect(false, map[string]any{"type": "render"})
	c.expect(true, map[string]any{"type": "joined", "v": 1.0, "ref": "j1"})
	c.send(`{"type":"join","token":"` + page.GetToken() + `","v":1,"ref":"j2"}`) // a resync
	c.expect(true, map[string]any{"type": "joined", "v": 1.0, "ref": "j2"})
	c.send(`{"type":"ping","ref":"p1"}`)
	c.expect(true, map[string]any{"type": "pong", "ref": "p1"})
	c.send(`{"type":"join","token":"` + other.GetToken() + `","ref":"j3"}`)
	c.expect(false, map[string]any{"type": "error", "code": "already_joined", "ref": "j3"})
	c.send(`{"type":"join","page":"p2","token":"nope","ref":"j4"}`)
	c.expect(false, map[string]any{"type": "error", "code": "invalid_token", "page": "p2", "ref": "j4"})
	c.send(`{"type":"join","page":"p3","token":"nope"}`)
	if m := c.expect(false, map[string]any{"type": "error", "code": "invalid_token"}); m["ref"] != nil {
		t.Fatalf("%v: a ref the client did not send", m)
	}
	c.quiet()
	// The burst of 8 is spent by now: the next ping or join is refused.
	for i := range 8 {
		ref := "r" + strconv.Itoa(i)
		c.send(`{"type":"ping","ref":"` + ref + `"}`)
		if m := c.next(); m["type"] == "error" {
			if m["code"] != "rate_limited" || m["ref"] != ref {
				t.Fatalf("%v: want rate_limited with ref %s", m, ref)
			}
			return
		}
	}
	t.Fatal("no ping was refused")
}

// TestServerClosingSaysWhy: when the application closes, each connection
// gets an error server_closing before close 1001, as does one that comes
// while it closes.
func TestServerClosingSaysWhy(t *testing.T) {
	app, url, page := liveCounter(t)
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		app.Close()
	}()
	c.expect(false, map[string]any{"type": "error", "code": "server_closing"})
	if _, _, err := c.ws.Read(c.ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("after server_closing: %v; want close 1001", err)
	}
	<-closed
	late := rawDial(t, url, nil)
	m := late.expect(false, map[string]any{"type": "error", "code": "server_closing"})
	if _, ok := m["page"]; ok || !strings.Contains(m["message"].(string), "shutting down") {
		t.Fatalf("%v: want an error about the connection saying why", m)
	}
	if _, _, err := late.ws.Read(late.ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("a connection during shutdown: %v; want close 1001", err)
	}
}

// TestHeaderTokenWithVersion: the v parameter goes with a token in the
// header as with one in the query: a client that holds the page's version
// gets no render.
func TestHeaderTokenWithVersion(t *testing.T) {
	_, url, page := liveCounter(t)
	if _, err := page.Update(counter{Count: 1}); err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, url+"?v=2", http.Header{livetemplate.TokenHeader: {page.GetToken()}})
	c.expect(true, map[string]any{"type": "joined", "v": 2.0})
}

// TestMessageTooBigSaysLimit: the server cannot say which frame was too big
// (it stops reading it), but the reason of close 1009 gives the limit plus
// one, from which a client finds the frame it sent that passed it.
func TestMessageTooBigSaysLimit(t *testing.T) {
	_, url, _ := liveCounter(t, livetemplate.WithMaxMessageSize(256))
	c := rawDial(t, url, nil)
	c.send(`{"type":"ping","page":"` + strings.Repeat("p", 300) + `"}`)
	_, _, err := c.ws.Read(c.ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusMessageTooBig || ce.Reason != "read limited at 257 bytes" {
		t.Fatalf("%v; want close 1009 with the reason %q", err, "read limited at 257 bytes")
	}
}

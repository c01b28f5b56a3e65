package livetemplate_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// The fencing credential of a browser: its public id, its secret key and
// the leader's epoch, as the browser client offers them in the handshake's
// Sec-WebSocket-Protocol (docs/protocol.md).
func credential(browser, key, epoch string) []string {
	return []string{"livetemplate", "livetemplate.fence." + browser + "." + key + "." + epoch}
}

const victimKey = "k0123456789abcdefghijklmn"

// fencedConn is a connection opened with the subprotocols given; a goroutine
// reads it, so that pings get their pongs and the close is seen.
type fencedConn struct {
	ws   *websocket.Conn
	done chan struct{}
	err  error // why the reads ended, once done is closed
}

// fencedDial opens a connection with the subprotocols and query given, and
// returns it with the subprotocol that the server chose.
func fencedDial(t *testing.T, url string, protocols []string) (*fencedConn, string) {
	t.Helper()
	ws, resp, err := websocket.Dial(testContext(t), url, &websocket.DialOptions{Subprotocols: protocols})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s %v: HTTP %d: %v", url, protocols, status, err)
	}
	c := &fencedConn{ws: ws, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				c.err = err
				return
			}
		}
	}()
	t.Cleanup(func() {
		ws.CloseNow()
		<-c.done
	})
	return c, ws.Subprotocol()
}

// alive fails the test unless c is still open: a ping frame gets its pong.
func alive(t *testing.T, c *fencedConn, who string) {
	t.Helper()
	if err := c.ws.Ping(testContext(t)); err != nil {
		t.Fatalf("%s: %v; want it open", who, err)
	}
}

// closedWith waits until the server closes c, fails the test unless the
// status is 4009, and returns the close frame's reason.
func closedWith(t *testing.T, c *fencedConn) string {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection is still open; want it closed with 4009")
	}
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) || ce.Code != 4009 {
		t.Fatalf("closed with %v; want 4009", c.err)
	}
	return ce.Reason
}

// TestFencingUnforgeable: a third party that learned a browser's public id
// (from a URL in a log, or the page's own script) can neither close the
// browser's connection nor refuse its next one, whatever epoch it claims:
// fencing goes by the browser's secret key, which no URL carries.
func TestFencingUnforgeable(t *testing.T) {
	_, url, _ := liveCounter(t)
	ws := strings.Replace(url, "http://", "ws://", 1)
	victim, proto := fencedDial(t, ws, credential("b1", victimKey, "3"))
	if proto != "livetemplate" {
		t.Fatalf("the server chose the subprotocol %q, want livetemplate", proto)
	}
	const huge = "18446744073709551615"
	// The id in the query, as clients before the credential sent it.
	fencedDial(t, ws+"?browser=b1&epoch="+huge, nil)
	// The id in a credential with another key, and the highest epoch.
	fencedDial(t, ws, credential("b1", "another-key-0123456789", "9007199254740991"))
	alive(t, victim, "the victim's connection after the attacks")
	// The victim's next leader connects: it replaces the victim's own
	// connection, and nothing of the attacker's refuses it.
	next, _ := fencedDial(t, ws, credential("b1", victimKey, "4"))
	closedWith(t, victim)
	alive(t, next, "the victim's next connection")
}

// TestFencingEpochs: a stale leader is refused with the epoch of the open
// connection in the reason, so that a tab that still leads can come back
// above it; an equal epoch replaces (the same leader reconnecting); an
// epoch beyond what a browser's number can hold is refused at once.
func TestFencingEpochs(t *testing.T) {
	_, url, _ := liveCounter(t)
	ws := strings.Replace(url, "http://", "ws://", 1)
	open, _ := fencedDial(t, ws, credential("b1", victimKey, "7"))
	// The handshake's response comes before the server registers the
	// connection; a pong comes from its read loop, which runs after.
	// Without it, the stale connection may be registered first and be
	// the one replaced.
	alive(t, open, "the open connection")
	stale, _ := fencedDial(t, ws, credential("b1", victimKey, "6"))
	if reason := closedWith(t, stale); reason != "a newer connection of this browser is open (epoch 7)" {
		t.Errorf("the stale connection's reason %q", reason)
	}
	alive(t, open, "the open connection after a stale one")
	again, _ := fencedDial(t, ws, credential("b1", victimKey, "7"))
	if reason := closedWith(t, open); reason != "replaced by a newer connection of this browser" {
		t.Errorf("the replaced connection's reason %q", reason)
	}
	alive(t, again, "the same epoch again")
	for _, bad := range [][]string{
		credential("b1", victimKey, "9007199254740992"), // 2^53: a browser cannot count past 2^53-1
		credential("b1", "short", "1"),
		credential("", victimKey, "1"),
		credential("b1", victimKey, "x"),
		append(credential("b1", victimKey, "1"), "livetemplate.fence.b2."+victimKey+".1"),
	} {
		_, resp, err := websocket.Dial(testContext(t), ws, &websocket.DialOptions{Subprotocols: bad})
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("credential %v: %v; want HTTP 400", bad, err)
		}
	}
}

// TestFencingTwoMounts: one application's endpoint mounted at two paths
// (an auth-wrapped admin copy, say): a browser's tabs on each hold one
// connection each, under a key of each endpoint, and neither fences the
// other.
func TestFencingTwoMounts(t *testing.T) {
	app := counterApp(t)
	base := strings.Replace(serve(t, app), "http://", "ws://", 1)
	live, _ := fencedDial(t, base+"/live", credential("b1", victimKey, "1"))
	admin, _ := fencedDial(t, base+"/counter", credential("b1", "admin-key-0123456789ab", "1"))
	alive(t, live, "the first mount's connection")
	alive(t, admin, "the second mount's connection")
}

// TestBrowserID: the public id of a handshake's credential, for counting
// connections by browser; none without one.
func TestBrowserID(t *testing.T) {
	for _, tc := range []struct {
		protocols string
		want      string
	}{
		{"livetemplate, livetemplate.fence.b1." + victimKey + ".3", "b1"},
		{"livetemplate", ""},
		{"livetemplate, livetemplate.fence.b1.short.3", ""},
		{"", ""},
	} {
		r, _ := http.NewRequest("GET", "http://example.com/live?browser=q", nil)
		if tc.protocols != "" {
			r.Header.Set("Sec-WebSocket-Protocol", tc.protocols)
		}
		if got := livetemplate.BrowserID(r); got != tc.want {
			t.Errorf("BrowserID(%q) = %q, want %q", tc.protocols, got, tc.want)
		}
	}
}

// TestWithBrowserFences: the test client's browser ids fence as a
// browser's do, by a key of their own.
func TestWithBrowserFences(t *testing.T) {
	_, url, _ := liveCounter(t)
	first := dial(t, url, livetemplatetest.WithBrowser("b7", 1))
	dial(t, url, livetemplatetest.WithBrowser("b7", 2))
	waitClosed(t, first, 4009)
}

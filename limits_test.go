package livetemplate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/internal/replica"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// wantCode fails the test unless err is a server error of code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *livetemplatetest.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v; want a server error %s", err, code)
	}
}

// waitClosed waits for the server to close c and checks the status.
func waitClosed(t testing.TB, c *livetemplatetest.Client, status websocket.StatusCode) {
	t.Helper()
	select {
	case <-c.Done():
	case <-testContext(t).Done():
		t.Fatalf("the server did not close the connection; want status %d", status)
	}
	if got := c.CloseStatus(); got != status {
		t.Fatalf("closed with status %d (%v); want %d", got, c.Err(), status)
	}
}

// stillWorks checks that a client of the page is not affected by what
// another did.
func stillWorks(t testing.TB, url string, page *livetemplate.Page) {
	t.Helper()
	p := join(t, dial(t, url), page.GetToken())
	if err := p.Event(testContext(t), "add", nil); err != nil {
		t.Fatalf("another client after the limit: %v", err)
	}
	waitHTML(t, p, counterSrc, page.Data())
}

func TestOrigin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []livetemplate.Option
		origin   string
		accepted bool
	}{
		{"same host", nil, "", true},
		{"other origin", nil, "http://evil.example", false},
		{"allowed origin", []livetemplate.Option{livetemplate.WithOriginPatterns("*.example")}, "http://app.example", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := counterApp(t, tc.opts...)
			url := serve(t, app) + "/live"
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, err := livetemplatetest.Dial(testContext(t), url, livetemplatetest.WithHeader(h))
			if tc.accepted {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
				t.Fatalf("handshake from %s: %v; want HTTP 403", tc.origin, err)
			}
		})
	}
}

func TestOriginForbiddenBody(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(string(body), "forbidden_origin: ") {
		t.Fatalf("forbidden origin: %d %q; want 403 and the code", resp.StatusCode, body)
	}
	if _, err := livetemplate.NewApplication(livetemplate.WithOriginPatterns("[")); err == nil {
		t.Fatal("an invalid origin pattern: no error")
	}
}

func TestMaxMessageSize(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithMaxMessageSize(256))
	c := dial(t, url)
	p := join(t, c, page.GetToken())
	if err := p.Event(testContext(t), "add", map[string]string{"pad": strings.Repeat("x", 100)}); err != nil {
		t.Fatalf("an event under the limit: %v", err)
	}
	p.Event(testContext(t), "add", map[string]string{"pad": strings.Repeat("x", 300)})
	waitClosed(t, c, websocket.StatusMessageTooBig)
	stillWorks(t, url, page)
}

func TestEventRate(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithEventRate(0.1, 3))
	p := join(t, dial(t, url), page.GetToken()) // the join takes one of the burst
	ctx := testContext(t)
	for range 2 {
		if err := p.Event(ctx, "add", nil); err != nil {
			t.Fatalf("event within the burst: %v", err)
		}
	}
	wantCode(t, p.Event(ctx, "add", nil), "rate_limited")
	if got := page.Data().(counter).Count; got != 2 {
		t.Fatalf("count %d: the refused event was applied", got)
	}
	stillWorks(t, url, page)
}

func TestMaxConnectionPages(t *testing.T) {
	app := counterApp(t, livetemplate.WithMaxConnectionPages(2))
	url := serve(t, app) + "/live"
	c := dial(t, url)
	var pages []*livetemplate.Page
	for range 3 {
		pages = append(pages, newPage(t, app, "counter", counter{}))
	}
	join(t, c, pages[0].GetToken())
	p := join(t, c, pages[1].GetToken())
	_, err := c.Join(testContext(t), pages[2].GetToken())
	wantCode(t, err, "too_many_pages")
	if err := p.Leave(testContext(t)); err != nil {
		t.Fatal(err)
	}
	join(t, c, pages[2].GetToken()) // leaving made room
}

// burst joins a client that does not read yet to page, through a small
// socket receive buffer, and makes 150 changes of 64 KB, more than the
// server's socket buffer (4 MB at most here) and a send queue of 16 hold,
// while a second client keeps up with each.
func burst(t *testing.T, url string, page *livetemplate.Page) *websocket.Conn {
	t.Helper()
	paused, _, err := websocket.Dial(testContext(t), url, &websocket.DialOptions{HTTPClient: smallReadBuffer()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { paused.CloseNow() })
	paused.SetReadLimit(-1)
	if err := paused.Write(testContext(t), websocket.MessageText, []byte(`{"type":"join","token":"`+page.GetToken()+`"}`)); err != nil {
		t.Fatal(err)
	}
	fastConn := dial(t, url)
	fast := join(t, fastConn, page.GetToken())
	big := strings.Repeat("x", 64<<10)
	for i := range 150 {
		u, err := page.Update(counter{Count: i, Log: []string{big + string(rune('a'+i%26))}})
		if err != nil {
			t.Fatal(err)
		}
		if err := fast.WaitVersion(testContext(t), u.Version); err != nil {
			t.Fatalf("the client that keeps up: %v (the connection: %v)", err, fastConn.Err())
		}
	}
	return paused
}

// TestClientThatDoesNotRead: a client that takes nothing for the write
// timeout is dropped, and the page's other clients get every change
// meanwhile.
func TestClientThatDoesNotRead(t *testing.T) {
	// The write timeout holds for the client that keeps up too: one whose
	// reading goroutine waits longer for a CPU is dropped as well (the
	// library then ends the socket mid-message). On a loaded machine under
	// -race that wait reached 300 ms.
	const timeout = 2 * time.Second
	_, url, page := liveCounter(t, livetemplate.WithSendQueue(16), livetemplate.WithWriteTimeout(timeout))
	stuck := burst(t, url, page)
	time.Sleep(timeout + time.Second) // past the write timeout, however fast the burst went
	ctx := testContext(t)
	for {
		if _, _, err := stuck.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the client that did not read was not dropped")
			}
			if status := websocket.CloseStatus(err); status != -1 && status != 4008 {
				t.Fatalf("the client that did not read was closed with %d; want 4008 or a dropped connection", status)
			}
			break
		}
	}
}

// TestLaggingClientCatchesUp: a client that falls behind, past its send
// queue, is not dropped: when it reads again it gets one catch-up (the
// missed diffs or the page) in place of the diffs that had no room, with no
// gap, and then every diff as before.
func TestLaggingClientCatchesUp(t *testing.T) {
	// The lagging client takes nothing until the burst ends, which may
	// take over a minute on a loaded machine under -race (see
	// TestSendQueueBytes): no write timeout, and no heartbeat, whose ping
	// would wait behind the stuck write and count as unanswered.
	_, url, page := liveCounter(t, livetemplate.WithSendQueue(16), livetemplate.WithWriteTimeout(time.Hour), livetemplate.WithHeartbeat(time.Hour))
	lagging := burst(t, url, page)
	var held replica.Tree
	var version uint64
	var diffs int
	readUntil := func(v uint64) {
		for version < v {
			_, msg, err := lagging.Read(testContext(t))
			if err != nil {
				t.Fatalf("the lagging client at version %d: %v", version, err)
			}
			var m struct {
				Type    string
				V, Base uint64
				Tree, D json.RawMessage
			}
			json.Unmarshal(msg, &m)
			switch {
			case m.Type == "render":
				held = replica.Tree{}
				if err := held.Apply(m.Tree); err != nil {
					t.Fatal(err)
				}
			case m.Type == "diff" && m.Base != version:
				t.Fatalf("a diff from version %d reached a client at version %d", m.Base, version)
			case m.Type == "diff":
				diffs++
				if err := held.Apply(m.D); err != nil {
					t.Fatal(err)
				}
			default:
				continue
			}
			version = m.V
		}
	}
	readUntil(page.Version())
	if diffs >= 150 {
		t.Fatalf("%d diffs: the client never fell behind, the test proves nothing", diffs)
	}
	if _, err := page.Update(counter{Count: -1}); err != nil {
		t.Fatal(err)
	}
	readUntil(page.Version())
	html, err := held.HTML()
	if want := execute(t, counterSrc, counter{Count: -1}, page.GetToken()); err != nil || html != want {
		t.Fatalf("after catching up: %.200q, %v; want %.200q", html, err, want)
	}
}

// smallReadBuffer is an HTTP client whose connections have a small socket
// receive buffer, so that a client that does not read is soon seen as slow.
func smallReadBuffer() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return err
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestHeartbeat: a client that answers pings stays; one that does not is
// closed with 4000.
func TestHeartbeat(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithHeartbeat(250*time.Millisecond))
	alive := dial(t, url, livetemplatetest.WithToken(page.GetToken()))
	deaf, _, err := websocket.Dial(testContext(t), url+"?token="+page.GetToken(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer deaf.CloseNow()
	time.Sleep(1500 * time.Millisecond) // several heartbeats, none answered by deaf: it does not read
	for {
		_, _, err := deaf.Read(testContext(t)) // reading now answers the pings, too late
		if err != nil {
			if s := websocket.CloseStatus(err); s != 4000 {
				t.Fatalf("the client that did not answer pings: %v; want status 4000", err)
			}
			break
		}
	}
	if err := alive.Ping(testContext(t)); err != nil {
		t.Fatalf("the client that answers pings: %v", err)
	}
}

func TestConnectionIdle(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithConnectionIdle(300*time.Millisecond), livetemplate.WithHeartbeat(200*time.Millisecond))
	busy := dial(t, url)
	join(t, busy, page.GetToken())
	idle := dial(t, url)
	waitClosed(t, idle, 4001)
	if err := busy.Ping(testContext(t)); err != nil {
		t.Fatalf("a connection with a page: %v", err)
	}
}

// TestFencing: a newer connection of a browser id (a new leading tab) closes
// the older one; an older epoch is refused.
func TestFencing(t *testing.T) {
	_, url, page := liveCounter(t)
	first := dial(t, url, livetemplatetest.WithBrowser("b1", 1))
	join(t, first, page.GetToken())
	second := dial(t, url, livetemplatetest.WithBrowser("b1", 2))
	waitClosed(t, first, 4009)
	stale := dial(t, url, livetemplatetest.WithBrowser("b1", 1))
	waitClosed(t, stale, 4009)
	stalePattern1 := dial(t, strings.TrimSuffix(url, "/live")+"/counter", livetemplatetest.WithBrowser("b1", 1))
	waitClosed(t, stalePattern1, 4009)
	if p, err := stalePattern1.Default(testContext(t)); err == nil || p != nil {
		t.Fatalf("a fenced PageHandler connection got a page: %v", err)
	}
	other := dial(t, url, livetemplatetest.WithBrowser("b2", 1))
	for _, c := range []*livetemplatetest.Client{second, other} {
		if err := c.Ping(testContext(t)); err != nil {
			t.Fatalf("the newest connection of its browser: %v", err)
		}
	}
}

func TestBadHandshake(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	for _, q := range []string{"?browser=b1", "?browser=b1&epoch=x", "?v=-1", "?browser=" + strings.Repeat("b", 65) + "&epoch=1"} {
		_, err := livetemplatetest.Dial(testContext(t), url+q)
		if err == nil || !strings.Contains(err.Error(), "HTTP 400") {
			t.Errorf("handshake %s: %v; want HTTP 400", q, err)
		}
	}
}

func TestServerClosing(t *testing.T) {
	app, url, page := liveCounter(t)
	c := dial(t, url)
	join(t, c, page.GetToken())
	app.Close()
	waitClosed(t, c, websocket.StatusGoingAway)
}

// TestBadMessages: each malformed frame gets bad_message, and the
// connection goes on.
func TestBadMessages(t *testing.T) {
	_, url, page := liveCounter(t)
	c := dial(t, url)
	for _, frame := range []string{
		`not json`, `[]`, `{}`, `{"type":"dance"}`, `{"type":"join"}`, `{"type":"event","name":"add"}`,
		`{"type":"event","id":"1"}`, `{"type":"join","token":7}`, `{"type":"join","token":"x","v":-1}`,
		`{"type":"leave","page":"` + strings.Repeat("p", 65) + `"}`,
	} {
		if err := c.SendRaw(testContext(t), []byte(frame)); err != nil {
			t.Fatal(err)
		}
		e, err := c.NextError(testContext(t))
		if err != nil || e.Code != "bad_message" || e.Message == "" {
			t.Fatalf("frame %s: %v, %v; want bad_message", frame, e, err)
		}
	}
	p := join(t, c, page.GetToken())
	if err := p.Event(testContext(t), "add", nil); err != nil {
		t.Fatalf("after the bad frames: %v", err)
	}
}

func TestBinaryFrame(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	ws, _, err := websocket.Dial(testContext(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(testContext(t), websocket.MessageBinary, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	_, msg, err := ws.Read(testContext(t))
	if err != nil || !bytes.Contains(msg, []byte(`"code":"bad_message"`)) {
		t.Fatalf("binary frame: %s, %v; want a bad_message error", msg, err)
	}
}

// TestJoinErrors: each reason a join fails has its code.
func TestJoinErrors(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	app := counterApp(t, livetemplate.WithSigningKeys(key), livetemplate.WithUnjoinedTTL(50*time.Millisecond))
	url := serve(t, app) + "/live"
	c := dial(t, url)
	ctx := testContext(t)

	_, err := c.Join(ctx, "not-a-token")
	wantCode(t, err, "invalid_token")

	elsewhere := newPage(t, counterApp(t, livetemplate.WithSigningKeys(key)), "counter", counter{})
	_, err = c.Join(ctx, elsewhere.GetToken())
	wantCode(t, err, "page_not_found")

	closed := newPage(t, app, "counter", counter{})
	closed.Close()
	_, err = c.Join(ctx, closed.GetToken())
	wantCode(t, err, "page_closed")

	expired := newPage(t, app, "counter", counter{})
	expired.Render() // rendered and never joined: the short unjoined TTL
	time.Sleep(100 * time.Millisecond)
	_, err = c.Join(ctx, expired.GetToken())
	wantCode(t, err, "page_expired")

	live := newPage(t, app, "counter", counter{})
	p := join(t, c, live.GetToken())
	other := newPage(t, app, "counter", counter{})
	err = c.Send(ctx, map[string]any{"type": "join", "page": p.Name(), "token": other.GetToken()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.NextError(ctx)
	if err != nil || e.Code != "already_joined" {
		t.Fatalf("joining another page under a joined name: %v, %v; want already_joined", e, err)
	}
}

// TestPageEndsWhileJoined: a page that is closed tells its connections why.
func TestPageEndsWhileJoined(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	c := dial(t, url)
	page := newPage(t, app, "counter", counter{})
	p := join(t, c, page.GetToken())
	page.Close()
	ctx := testContext(t)
	wantCode(t, p.Wait(ctx, func(string) bool { return false }), "page_closed")
	wantCode(t, p.Event(ctx, "add", nil), "not_joined")
}

// TestEvictionSparesJoinedPages: the page limit evicts the least recently
// used page that no connection shows; when every page is shown, the new page
// is refused instead, and the shown ones go on.
func TestEvictionSparesJoinedPages(t *testing.T) {
	app := counterApp(t, livetemplate.WithMaxPages(2))
	url := serve(t, app) + "/live"
	c := dial(t, url)
	shown := newPage(t, app, "counter", counter{})
	p := join(t, c, shown.GetToken())
	unshown := newPage(t, app, "counter", counter{})
	shown.Render()
	unshown.Render()                      // the shown page is the least recently used
	newPage(t, app, "counter", counter{}) // the limit: evicts the unshown page all the same
	_, err := c.Join(testContext(t), unshown.GetToken())
	wantCode(t, err, "page_evicted")
	if err := p.Event(testContext(t), "add", nil); err != nil {
		t.Fatalf("the shown page: %v", err)
	}

	crowded := counterApp(t, livetemplate.WithMaxPages(1))
	cc := dial(t, serve(t, crowded)+"/live")
	only := newPage(t, crowded, "counter", counter{})
	join(t, cc, only.GetToken())
	if _, err := crowded.NewPage("counter", counter{}); !errors.Is(err, livetemplate.ErrLimitReached) || errors.Is(err, livetemplate.ErrPageEvicted) {
		t.Fatalf("a new page when every page is shown: %v; want ErrLimitReached", err)
	}
	if _, err := only.Render(); err != nil {
		t.Fatalf("the shown page after the refused one: %v", err)
	}
}

// TestJoinedPageDoesNotExpire: a page that a connection shows is in use,
// however long since it changed; once left, it expires.
func TestJoinedPageDoesNotExpire(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithIdleTTL(100*time.Millisecond))
	p := join(t, dial(t, url), page.GetToken())
	time.Sleep(400 * time.Millisecond)
	if err := p.Event(testContext(t), "add", nil); err != nil {
		t.Fatalf("a joined page after 4 idle TTLs: %v", err)
	}
	p.Leave(testContext(t))
	time.Sleep(400 * time.Millisecond)
	if _, err := page.Render(); !errors.Is(err, livetemplate.ErrPageExpired) {
		t.Fatalf("a left page after 4 idle TTLs: %v; want ErrPageExpired", err)
	}
}

func TestLeave(t *testing.T) {
	_, url, page := liveCounter(t)
	c := dial(t, url)
	left := join(t, c, page.GetToken())
	stays := join(t, c, page.GetToken()) // one page joined twice, as two tabs do
	if err := left.Leave(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := page.Update(counter{Count: 1}); err != nil {
		t.Fatal(err)
	}
	waitHTML(t, stays, counterSrc, counter{Count: 1})
	if s := left.Stats(); s.Diffs != 0 {
		t.Fatalf("a left page received %d diffs", s.Diffs)
	}
}

func TestEventTimeout(t *testing.T) {
	app := counterApp(t, livetemplate.WithEventTimeout(50*time.Millisecond))
	handle(t, app, "counter", "wait", func(ctx context.Context, _ *livetemplate.Page, _ livetemplate.Event) error {
		<-ctx.Done()
		return ctx.Err()
	})
	url := serve(t, app) + "/live"
	p := join(t, dial(t, url), newPage(t, app, "counter", counter{}).GetToken())
	err := p.Event(testContext(t), "wait", nil)
	wantCode(t, err, "handler_error")
	if !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("got %v; want the handler's context deadline error", err)
	}
}

// TestDedupeWindow: an id is remembered while it is among the window's
// latest ids, and applied again once it has left the window.
func TestDedupeWindow(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithDedupeWindow(2))
	p := join(t, dial(t, url), page.GetToken())
	ctx := testContext(t)
	for _, id := range []string{"a", "b", "b", "c", "c", "a"} {
		if err := p.EventID(ctx, id, "add", nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := page.Data().(counter).Count; got != 4 { // a, b, c, and a again: it left the window
		t.Fatalf("count %d; want 4", got)
	}
}

func TestLoggerGetsPanics(t *testing.T) {
	var logs bytes.Buffer
	app, url, page := liveCounter(t, livetemplate.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	p := join(t, dial(t, url), page.GetToken())
	wantCode(t, p.Event(testContext(t), "panic", nil), "handler_panic")
	app.Close()
	if out := logs.String(); !strings.Contains(out, "panic=boom") || !strings.Contains(out, page.ID()) || strings.Contains(out, page.GetToken()) {
		t.Fatalf("log %q: want the panic and the page id, never the token", out)
	}
}

// TestModifyWaitsForHandlers: Modify from another goroutine takes its turn
// with the page's event handlers, so no change is lost.
func TestModifyWaitsForHandlers(t *testing.T) {
	// 101 frames (a join, 100 events) go faster than the default rate's
	// burst of 100 allows when the race detector is off; the rate is not
	// what this test is about.
	_, url, page := liveCounter(t, livetemplate.WithEventRate(10000, 1000))
	p := join(t, dial(t, url), page.GetToken())
	ctx := testContext(t)
	var pushes atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			if err := add(ctx, page, 1000, "push"); err != nil {
				t.Error(err)
				return
			}
			pushes.Add(1)
		}
	}()
	for range 100 {
		if err := p.Event(ctx, "add", nil); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if got := page.Data().(counter).Count; got != 100*1000+100 {
		t.Fatalf("count %d; want %d: a change was lost", got, 100*1000+100)
	}
	waitHTML(t, p, counterSrc, page.Data())
}

func TestHandleEventErrors(t *testing.T) {
	app := counterApp(t)
	noop := func(context.Context, *livetemplate.Page, livetemplate.Event) error { return nil }
	if err := app.HandleEvent("nope", "x", noop); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
	if err := app.HandleEvent("counter", "add", noop); err == nil {
		t.Error("a second handler of one event: no error")
	}
	if err := app.HandleEvent("counter", "", noop); err == nil {
		t.Error("an empty event name: no error")
	}
	if err := app.HandleEvent("counter", "x", nil); err == nil {
		t.Error("a nil handler: no error")
	}
}

func TestCompression(t *testing.T) {
	for _, on := range []bool{false, true} {
		var opts []livetemplate.Option
		if on {
			opts = append(opts, livetemplate.WithCompression())
		}
		_, url, page := liveCounter(t, opts...)
		ws, resp, err := websocket.Dial(testContext(t), url+"?token="+page.GetToken(),
			&websocket.DialOptions{CompressionMode: websocket.CompressionNoContextTakeover})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		ext := resp.Header.Get("Sec-WebSocket-Extensions")
		if strings.Contains(ext, "permessage-deflate") != on {
			t.Fatalf("WithCompression %v: the server answered extensions %q", on, ext)
		}
		if _, msg, err := ws.Read(testContext(t)); err != nil || !bytes.Contains(msg, []byte(`"type":"render"`)) {
			t.Fatalf("WithCompression %v: first message %.80s, %v; want the render", on, msg, err)
		}
	}
}

// TestHandlerErrorCodes: a handler's error that wraps one of the package's
// gets that error's code.
func TestHandlerErrorCodes(t *testing.T) {
	app := counterApp(t, livetemplate.WithMaxPageSize(200))
	handle(t, app, "counter", "grow", func(_ context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
		_, err := p.Update(counter{Log: []string{strings.Repeat("x", 300)}})
		return err
	})
	url := serve(t, app) + "/live"
	page := newPage(t, app, "counter", counter{})
	p := join(t, dial(t, url), page.GetToken())
	wantCode(t, p.Event(testContext(t), "grow", nil), "limit_reached")
	waitHTML(t, p, counterSrc, counter{})
}

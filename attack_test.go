package livetemplate_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
)

// The attack suite: what one client can do to the server on purpose. Each
// test runs a real server and attacks it over real sockets; those that
// measure memory compare the server's live heap after a collection during
// the attack with the same before it, in this process (the attacking client
// holds next to nothing: it writes small frames and reads nothing).

// attackBudget is the most memory that one connection may pin, the goal of
// the benchmark's ws.attack_max_conn_bytes.
const attackBudget = 8 << 20

// heapInUse is the live heap, as a collection marks it, and the
// goroutines' stacks.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC() // and what sync.Pool kept for one more cycle
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(live[0].Value.Uint64() + m.StackInuse)
}

// mostPinned samples the heap in use for a while, as an attack goes on, and
// returns the most it held above base.
func mostPinned(t *testing.T, base int64) int64 {
	var most int64
	for range 4 {
		time.Sleep(400 * time.Millisecond)
		most = max(most, heapInUse()-base)
	}
	t.Logf("pinned: %d bytes", most)
	return most
}

// deafClient dials url with a small socket receive buffer and never reads:
// what it is sent piles up on the server once the sockets are full.
func deafClient(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(testContext(t), url, &websocket.DialOptions{HTTPClient: smallReadBuffer()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

func sendFrame(t *testing.T, ws *websocket.Conn, frame string) {
	t.Helper()
	if err := ws.Write(testContext(t), websocket.MessageText, []byte(frame)); err != nil {
		t.Fatalf("send %.60s: %v", frame, err)
	}
}

// bigApp serves a counter application that also has a page of html bytes.
func bigApp(t *testing.T, html int, opts ...livetemplate.Option) (*livetemplate.Application, string, *livetemplate.Page) {
	t.Helper()
	app := counterApp(t, opts...)
	register(t, app, "big", `<div>{{.}}</div>`)
	url := serve(t, app) + "/live"
	return app, url, newPage(t, app, "big", strings.Repeat("x", html))
}

// TestAttackJoinFlood: a client that never reads joins a large page under
// several names and sends resyncs as fast as its burst allows. Each name has
// at most one catch-up waiting, renders are made when written and shared,
// so the server holds about one render, not one per join.
func TestAttackJoinFlood(t *testing.T) {
	_, url, page := bigApp(t, 512<<10)
	base := heapInUse()
	ws := deafClient(t, url)
	for i := range 100 { // the default burst
		sendFrame(t, ws, `{"type":"join","page":"p`+strconv.Itoa(i%5)+`","token":"`+page.GetToken()+`"}`)
	}
	if got := mostPinned(t, base); got > attackBudget {
		t.Fatalf("a deaf client's 100 joins of a 512 KiB page pin %d bytes; want at most %d", got, attackBudget)
	}
}

// TestAttackSharedRender: many clients that do not read join one large page
// at once, under 16 names each (more than the kernel's socket buffers hold):
// they share its render.
func TestAttackSharedRender(t *testing.T) {
	_, url, page := bigApp(t, 512<<10)
	base := heapInUse()
	for range 20 {
		ws := deafClient(t, url)
		for i := range 16 {
			sendFrame(t, ws, `{"type":"join","page":"p`+strconv.Itoa(i)+`","token":"`+page.GetToken()+`"}`)
		}
	}
	if got := mostPinned(t, base); got > attackBudget {
		t.Fatalf("20 deaf clients of a 512 KiB page pin %d bytes; want at most %d", got, attackBudget)
	}
}

// blockingApp is a counter application whose event "block" waits until
// release is closed, counting its runs.
func blockingApp(t *testing.T, opts ...livetemplate.Option) (url string, page *livetemplate.Page, runs *atomic.Int32, release chan struct{}) {
	t.Helper()
	app := counterApp(t, opts...)
	runs, release = new(atomic.Int32), make(chan struct{})
	handle(t, app, "counter", "block", func(ctx context.Context, _ *livetemplate.Page, _ livetemplate.Event) error {
		runs.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	url = serve(t, app) + "/live"
	return url, newPage(t, app, "counter", counter{}), runs, release
}

// TestAttackEventFlood: a client that never reads joins a page under 100
// names and sends 48 KB events across them, faster than a slow handler
// takes them (the rate limit lifted, so that only the event budget holds
// them back). The events that wait are bounded in bytes, and so are the
// goroutines that run them.
func TestAttackEventFlood(t *testing.T) {
	url, page, _, release := blockingApp(t, livetemplate.WithEventRate(1e6, 1e6), livetemplate.WithByteRate(1e12, 1<<30))
	defer close(release)
	base, goroutines := heapInUse(), runtime.NumGoroutine()
	ws := deafClient(t, url)
	data := strings.Repeat("d", 48<<10)
	for i := range 100 {
		sendFrame(t, ws, `{"type":"join","page":"p`+strconv.Itoa(i)+`","token":"`+page.GetToken()+`"}`)
	}
	for i := range 300 {
		sendFrame(t, ws, fmt.Sprintf(`{"type":"event","page":"p%d","id":"e%d","name":"block","data":%q}`, i%100, i, data))
	}
	if got := mostPinned(t, base); got > attackBudget {
		t.Fatalf("300 events of 48 KB pin %d bytes; want at most %d", got, attackBudget)
	}
	if n := runtime.NumGoroutine() - goroutines; n > 20 {
		t.Fatalf("300 events on 100 names of one page hold %d goroutines", n)
	}
}

// TestClosedConnectionEventsDropped: the events that a connection left
// waiting when it closed do not run; the client resends them on its next
// connection.
func TestClosedConnectionEventsDropped(t *testing.T) {
	url, page, runs, release := blockingApp(t)
	ws := deafClient(t, url)
	for i := range 3 {
		sendFrame(t, ws, `{"type":"join","page":"p`+strconv.Itoa(i)+`","token":"`+page.GetToken()+`"}`)
	}
	for i := range 30 {
		sendFrame(t, ws, fmt.Sprintf(`{"type":"event","page":"p%d","id":"e%d","name":"block"}`, i%3, i))
	}
	for runs.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	ws.CloseNow()
	time.Sleep(200 * time.Millisecond) // the server sees the connection end
	close(release)
	time.Sleep(500 * time.Millisecond) // what would run, runs
	if n := runs.Load(); n != 1 {
		t.Fatalf("%d events ran; want 1, the one running when the connection closed", n)
	}
	stillWorks(t, url, page)
}

// floodAndRead has send send as fast as it can, from 300 goroutines (more
// than twice the default burst, so that sends that wait for an answer that
// never comes are enough too), until the server closes the connection, while reading everything the server
// sends, and returns how the server closed the connection.
func floodAndRead(t *testing.T, url string, send func(ctx context.Context, ws *websocket.Conn) error) error {
	t.Helper()
	ws, _, err := websocket.Dial(testContext(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	read := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(testContext(t)); err != nil {
				read <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range 300 {
		wg.Go(func() {
			for send(testContext(t), ws) == nil {
			}
		})
	}
	err = <-read
	ws.CloseNow()
	wg.Wait()
	return err
}

// TestRateAbuseCloses: a client that goes on sending far past its rate is
// closed with 4029, whatever it sends: pings, leaves and WebSocket ping
// frames count as the rest do. It read everything, so it is not told that
// it reads too slowly.
func TestRateAbuseCloses(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithSendQueue(16))
	for name, send := range map[string]func(context.Context, *websocket.Conn) error{
		"pings": func(ctx context.Context, ws *websocket.Conn) error {
			return ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
		},
		"leaves": func(ctx context.Context, ws *websocket.Conn) error {
			return ws.Write(ctx, websocket.MessageText, []byte(`{"type":"leave","page":"x"}`))
		},
		// A ping past the limit gets no pong: its Ping waits until the
		// connection ends.
		"ping frames": func(ctx context.Context, ws *websocket.Conn) error { return ws.Ping(ctx) },
	} {
		t.Run(name, func(t *testing.T) {
			err := floodAndRead(t, url, send)
			if s := websocket.CloseStatus(err); s != 4029 || !strings.Contains(err.Error(), "too many messages") {
				t.Fatalf("a client that sent %s as fast as it could: %v; want close 4029, too many messages", name, err)
			}
		})
	}
	stillWorks(t, url, page)
}

// TestBurstWithinLimitsNotClosed: a client that sends its whole burst at
// once and reads the answers is never closed, even with a send queue much
// shorter than the burst: the server stops reading it until the answers are
// written.
func TestBurstWithinLimitsNotClosed(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithSendQueue(4), livetemplate.WithSendQueueBytes(64))
	c := dial(t, url)
	p := join(t, c, page.GetToken())
	for range livetemplate.DefaultEventBurst - 1 { // the join took one
		if err := c.SendRaw(testContext(t), []byte(`{"type":"ping"}`)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // the burst's bucket refills
	if err := p.Event(testContext(t), "add", nil); err != nil {
		t.Fatalf("after a burst within the limits: %v", err)
	}
	select {
	case <-c.Done():
		t.Fatalf("closed after a burst within the limits: %v", c.Err())
	default:
	}
}

// TestChurnSparesJoinedPages: anonymous connections that come and go on a
// PageHandler, each making a page, evict each other's pages, not those that
// users fetched by token.
func TestChurnSparesJoinedPages(t *testing.T) {
	app := counterApp(t, livetemplate.WithMaxPages(20))
	base := serve(t, app)
	var victims []*livetemplate.Page
	for range 10 {
		p := newPage(t, app, "counter", counter{})
		if _, err := app.GetPage(p.GetToken()); err != nil { // a user's page: fetched by token, then left
			t.Fatal(err)
		}
		victims = append(victims, p)
	}
	for range 100 {
		ws, _, err := websocket.Dial(testContext(t), base+"/counter", nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.Read(testContext(t)) // its page's token: the page exists
		ws.CloseNow()
	}
	for i, p := range victims {
		if _, err := app.GetPage(p.GetToken()); err != nil {
			t.Fatalf("victim %d after 100 anonymous connections: %v", i, err)
		}
	}
}

// TestOriginScheme: an http page of the endpoint's host may not connect to
// it over TLS; an https page may.
func TestOriginScheme(t *testing.T) {
	app := counterApp(t)
	srv := httpsServer(t, app)
	host := strings.TrimPrefix(srv.URL, "https://")
	for origin, want := range map[string]int{"http://" + host: http.StatusForbidden, "https://" + host: http.StatusSwitchingProtocols} {
		if got := handshakeStatus(t, srv.Client(), srv.URL+"/live", http.Header{"Origin": {origin}}); got != want {
			t.Errorf("Origin %s over TLS: HTTP %d; want %d", origin, got, want)
		}
	}
}

// TestResyncsShareOneCatchUp: resyncs of a page name whose catch-up still
// waits are answered by that catch-up, from the oldest version asked for,
// with one joined each, instead of one render each.
func TestResyncsShareOneCatchUp(t *testing.T) {
	_, url, page := bigApp(t, 512<<10)
	ws := deafClient(t, url)
	ws.SetReadLimit(-1)
	for range 6 {
		sendFrame(t, ws, `{"type":"join","page":"p","token":"`+page.GetToken()+`"}`)
	}
	time.Sleep(200 * time.Millisecond) // the server has read them all
	renders, joined := 0, 0
	for joined < 6 {
		_, msg, err := ws.Read(testContext(t))
		if err != nil {
			t.Fatalf("after %d renders and %d joined: %v", renders, joined, err)
		}
		switch {
		case strings.Contains(string(msg), `"type":"render"`):
			renders++
		case strings.Contains(string(msg), `"type":"joined"`):
			joined++
		}
	}
	if renders > 2 {
		t.Fatalf("6 joins of a name while its catch-up waited: %d renders; want at most 2 (the first join's, and one for the others)", renders)
	}
}

// TestJoinAnsweredAfterLeave: a join whose catch-up still waits when the
// client leaves the name is answered all the same (every join gets its
// joined), and the leave then holds.
func TestJoinAnsweredAfterLeave(t *testing.T) {
	_, url, page := bigApp(t, 512<<10)
	ws := deafClient(t, url)
	ws.SetReadLimit(-1)
	for i := range 16 { // more than the sockets' buffers hold: the queue waits
		sendFrame(t, ws, `{"type":"join","page":"p`+strconv.Itoa(i)+`","token":"`+page.GetToken()+`"}`)
	}
	sendFrame(t, ws, `{"type":"join","page":"late","token":"`+page.GetToken()+`"}`)
	sendFrame(t, ws, `{"type":"leave","page":"late"}`)
	time.Sleep(200 * time.Millisecond) // the server has read them all
	if _, err := page.Update(strings.Repeat("y", 512<<10)); err != nil {
		t.Fatal(err)
	}
	sendFrame(t, ws, `{"type":"ping"}`)
	late := 0
	for {
		_, msg, err := ws.Read(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		m := string(msg)
		switch {
		case strings.HasPrefix(m, `{"type":"pong"`):
			if late != 1 {
				t.Fatalf("the join of a name left before its answer: %d joined; want 1", late)
			}
			return
		case strings.Contains(m, `"page":"late","type":"joined"`):
			late++
		case strings.Contains(m, `"page":"late","type":"diff"`):
			t.Fatal("a diff for a name the client left")
		}
	}
}

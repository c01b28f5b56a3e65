package ltbench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
)

// The attacker's side of the attack set (see ws_attack.go): a client
// process with one connection, which it never reads.

// attackEnv names the attack that a client process runs.
const attackEnv = "LTBENCH_WS_ATTACK"

// attacker is one attacking connection.
type attacker struct {
	ws    *websocket.Conn
	token string
	pace  *attackPacer
}

// attacks are the attacks by name. Each runs until ctx ends or the server
// closes the connection.
var attacks = map[string]func(ctx context.Context, a *attacker){
	// Joins of the page under 100 names, then resyncs of them: each asks
	// for the whole page, which the client never reads.
	"joins": func(ctx context.Context, a *attacker) { a.joins(ctx, 100, true) },
	// Events of 60 KB on 20 names of the page, whose handler is slow.
	"events": func(ctx context.Context, a *attacker) {
		a.joins(ctx, 20, false)
		a.events(ctx, 20)
	},
	// Frames of the largest size, each answered.
	"frames": func(ctx context.Context, a *attacker) { a.frames(ctx, true) },
	// The same, without pacing: the server refuses, then closes.
	"frames_flood": func(ctx context.Context, a *attacker) { a.frames(ctx, false) },
	// Protocol pings and WebSocket ping frames.
	"pings": func(ctx context.Context, a *attacker) { a.pings(ctx) },
	// All of the above at once on one connection, but the flood.
	"combined": func(ctx context.Context, a *attacker) {
		var wg sync.WaitGroup
		wg.Go(func() { a.joins(ctx, 50, true) })
		wg.Go(func() { a.events(ctx, 50) })
		wg.Go(func() { a.frames(ctx, true) })
		wg.Go(func() { a.pings(ctx) })
		wg.Wait()
	},
}

// runAttacker runs the attack named name against rawURL, the endpoint with
// the page's token as its token parameter, until ctx ends. ready is called
// once the connection is open.
func runAttacker(ctx context.Context, rawURL, name string, ready func() error) error {
	attack := attacks[name]
	if attack == nil {
		return fmt.Errorf("%s=%q: no such attack", attackEnv, name)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	token := u.Query().Get("token")
	u.RawQuery = ""
	ws, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: smallReadBuffer()})
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	if err := ready(); err != nil {
		return err
	}
	attack(ctx, &attacker{ws: ws, token: token, pace: newAttackPacer()})
	<-ctx.Done()
	return nil
}

// send sends frame when the pacer allows it, if pace; it reports whether
// the connection is still open.
func (a *attacker) send(ctx context.Context, frame string, pace bool) bool {
	if pace && !a.pace.wait(ctx, len(frame)) {
		return false
	}
	return a.ws.Write(ctx, websocket.MessageText, []byte(frame)) == nil
}

// joins joins the page under n names, then, if again, joins them again
// (resyncs from version 0) until the end.
func (a *attacker) joins(ctx context.Context, n int, again bool) {
	for i := 0; i < n || again; i++ {
		if !a.send(ctx, `{"type":"join","page":"p`+strconv.Itoa(i%n)+`","token":"`+a.token+`"}`, true) {
			return
		}
	}
}

// events sends 60 KB events on names p0 to p(n-1) until the end.
func (a *attacker) events(ctx context.Context, n int) {
	data := strings.Repeat("e", 60_000)
	for i := 0; ; i++ {
		frame := fmt.Sprintf(`{"type":"event","page":"p%d","id":"a%d","name":"slow","data":%q}`, i%n, i, data)
		if !a.send(ctx, frame, true) {
			return
		}
	}
}

// frames sends frames of the largest size the server reads, paced or not,
// until the end.
func (a *attacker) frames(ctx context.Context, pace bool) {
	head, tail := `{"type":"ping","pad":"`, `"}`
	frame := head + strings.Repeat("f", livetemplate.DefaultMaxMessageSize-len(head)-len(tail)) + tail
	for a.send(ctx, frame, pace) {
	}
}

// pings sends protocol pings and WebSocket ping frames, in turn, until the
// end.
func (a *attacker) pings(ctx context.Context) {
	// Ping waits for its pong, which the attacker never reads: each ping
	// frame waits in a goroutine of its own until the end.
	var wg sync.WaitGroup
	defer wg.Wait()
	for a.send(ctx, `{"type":"ping"}`, true) && a.pace.wait(ctx, 0) {
		wg.Go(func() { a.ws.Ping(ctx) })
	}
}

// attackPacer keeps an attacker within the default rate limits, frames and
// bytes, so that it is refused nothing and never closed for its rate.
type attackPacer struct {
	mu            sync.Mutex
	frames, bytes float64 // tokens
	last          time.Time
}

func newAttackPacer() *attackPacer {
	return &attackPacer{frames: livetemplate.DefaultEventBurst, bytes: livetemplate.DefaultByteBurst, last: time.Now()}
}

// wait waits until a frame of size bytes is within the limits, and takes
// it; false when ctx ended first.
func (p *attackPacer) wait(ctx context.Context, size int) bool {
	for {
		p.mu.Lock()
		now := time.Now()
		// A little under the server's rates, so that clock drift refuses
		// nothing.
		elapsed := now.Sub(p.last).Seconds() * 0.95
		p.last = now
		p.frames = min(livetemplate.DefaultEventBurst, p.frames+elapsed*livetemplate.DefaultEventRate)
		p.bytes = min(livetemplate.DefaultByteBurst, p.bytes+elapsed*livetemplate.DefaultByteRate)
		if p.frames >= 1 && p.bytes >= float64(size) {
			p.frames--
			p.bytes -= float64(size)
			p.mu.Unlock()
			return true
		}
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// smallReadBuffer is an HTTP client whose connections have a small socket
// receive buffer, so that the server's writes to a client that does not
// read soon block.
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

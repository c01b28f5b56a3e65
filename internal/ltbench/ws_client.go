package ltbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The ws suite's clients are light: a raw WebSocket each, which reads whole
// frames and decodes only the few keys it needs, so that the clients cost
// little next to the server they share the machine with.

// wsMessage is the part of a server message that the clients look at.
type wsMessage struct {
	Type    string `json:"type"`
	V       uint64 `json:"v"`
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// dialTimeout bounds one connection's handshake and join.
const dialTimeout = 30 * time.Second

// dialers is how many connections are set up at once: enough to keep both
// cores busy, few enough not to overflow the listener's backlog.
const dialers = 32

// readMessage reads one frame and returns its message and when it arrived.
// The time is taken before decoding, so that the decoding is not counted.
func readMessage(ctx context.Context, ws *websocket.Conn) (wsMessage, time.Time, error) {
	_, b, err := ws.Read(ctx)
	at := time.Now()
	if err != nil {
		return wsMessage{}, at, err
	}
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return wsMessage{}, at, fmt.Errorf("decode server message %.60q: %w", b, err)
	}
	return m, at, nil
}

// dialJoined connects to url, whose token parameter names the page to join
// as the connection's default page, and reads until the join is done: the
// page's render, then joined.
func dialJoined(ctx context.Context, url string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(-1)
	for {
		m, _, err := readMessage(ctx, ws)
		switch {
		case err != nil:
			ws.CloseNow()
			return nil, fmt.Errorf("join: %w", err)
		case m.Type == "error":
			ws.CloseNow()
			return nil, fmt.Errorf("join: %s: %s", m.Code, m.Message)
		case m.Type == "joined":
			return ws, nil
		}
	}
}

// dialAll sets up n joined connections to url. On failure it closes those it
// made.
func dialAll(ctx context.Context, url string, n int) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(dialers, n) {
		wg.Go(func() {
			for i := range next {
				conns[i], errs[i] = dialJoined(ctx, url)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(conns)
		return nil, fmt.Errorf("connect %d clients: %w", n, err)
	}
	return conns, nil
}

// closeAll drops the connections without a close handshake: the suite is
// done with them, and the server sees them end at once.
func closeAll(conns []*websocket.Conn) {
	for _, ws := range conns {
		if ws != nil {
			ws.CloseNow()
		}
	}
}

// The environment of a client process: the endpoint's URL with the page's
// token, and how many connections to hold.
const (
	clientURLEnv   = "LTBENCH_WS_CLIENT_URL"
	clientConnsEnv = "LTBENCH_WS_CLIENT_CONNS"
)

// clientReady is the line a client process writes once its connections
// are all joined.
const clientReady = "ready\n"

// RunClientProcess makes the process the ws suite's client process if the
// suite started it as one, and then exits; otherwise it returns at once.
// The suite measures the memory of idle connections in its own process, so
// their client ends must live in another: it starts its own executable
// again with the environment above. cmd/ltbench's main and this package's
// TestMain call RunClientProcess first, so that either binary can be that
// process.
//
// A client process joins its connections, writes "ready" on stdout, and
// holds them until its stdin closes (the suite closes it, or the suite's
// process ended); its exit closes them. With LTBENCH_WS_ATTACK set, it
// opens one connection instead, writes "ready", and attacks the server
// with it (see ws_attack.go) until its stdin closes.
func RunClientProcess() {
	url := os.Getenv(clientURLEnv)
	if url == "" {
		return
	}
	run := func() error { return holdClients(url, os.Getenv(clientConnsEnv)) }
	if name := os.Getenv(attackEnv); name != "" {
		run = func() error { return attack(url, name) }
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ltbench client process:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// attack runs the attack of that name (see ws_attacker.go) until stdin
// closes.
func attack(url, name string) error {
	ctx := untilStdinCloses()
	return runAttacker(ctx, url, name, func() error {
		_, err := io.WriteString(os.Stdout, clientReady)
		return err
	})
}

// untilStdinCloses returns a context that ends when the process's stdin
// closes: the suite closes it, or the suite's process ended.
func untilStdinCloses() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	return ctx
}

func holdClients(url, count string) error {
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return fmt.Errorf("%s=%q: want a positive number", clientConnsEnv, count)
	}
	ctx := untilStdinCloses()
	conns, err := dialAll(ctx, url, n)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(os.Stdout, clientReady); err != nil {
		return fmt.Errorf("report ready: %w", err)
	}
	<-ctx.Done()
	// A websocket.Conn that is no longer reachable is closed by its
	// finalizer: the connections must stay reachable until here.
	runtime.KeepAlive(conns)
	return nil
}

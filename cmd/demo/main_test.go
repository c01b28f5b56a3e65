package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// demo is one running demo process, in this test's process.
type demo struct {
	addr, natsURL string
	stop          func() error
}

func start(t *testing.T, args ...string) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &demo{}
	up := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, func(addr, natsURL string) {
			d.addr, d.natsURL = addr, natsURL
			close(up)
		})
	}()
	select {
	case <-up:
	case err := <-done:
		cancel()
		t.Fatalf("demo %v: %v", args, err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("demo did not start within 20s")
	}
	var stopped bool
	var err error
	d.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { d.stop() })
	return d
}

// newCounter opens the demo's / and returns the new counter's token and HTML.
func (d *demo) newCounter(t *testing.T) (token, html string) {
	t.Helper()
	res, err := http.Get("http://" + d.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	token, ok := strings.CutPrefix(res.Request.URL.Path, "/p/")
	if res.StatusCode != http.StatusOK || !ok {
		t.Fatalf("GET / ended at %s with %d: %s", res.Request.URL, res.StatusCode, body)
	}
	return token, string(body)
}

func (d *demo) join(t *testing.T, ctx context.Context, token string) (*livetemplatetest.Client, *livetemplatetest.Page) {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, "ws://"+d.addr+"/live")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := c.Join(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func count(n string) func(string) bool {
	return func(html string) bool { return strings.Contains(html, `<p class="count">`+n+`</p>`) }
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDemo: a counter made at /, changed by events from one client, seen by
// another; a bad event gets an error; shutdown closes clients as going away.
func TestDemo(t *testing.T) {
	d := start(t)
	ctx := testContext(t)
	token, html := d.newCounter(t)
	for _, want := range []string{`<p class="count">0</p>`, `data-token="` + token + `"`, `data-version="1"`, `<code>` + d.addr + `</code>`} {
		if !strings.Contains(html, want) {
			t.Errorf("the counter's HTML lacks %s", want)
		}
	}
	one, p1 := d.join(t, ctx, token)
	_, p2 := d.join(t, ctx, token)
	for _, by := range []string{"1", "1", "-1", "1"} {
		if err := p1.Event(ctx, "add", map[string]string{"by": by}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p2.Wait(ctx, count("2")); err != nil {
		t.Fatalf("the second client: %v; holds %s", err, p2.HTML())
	}
	if err := p1.Event(ctx, "add", map[string]string{"by": "5"}); err == nil || !strings.Contains(err.Error(), "handler_error") {
		t.Errorf("an event adding 5: %v, want handler_error", err)
	}
	if err := d.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	<-one.Done()
	if got := one.CloseStatus(); got != websocket.StatusGoingAway {
		t.Errorf("close status at shutdown %v, want going away", got)
	}
}

// TestDemoNATS: one demo with an embedded NATS server and one that joins it
// with -nats URL share their counters: a counter made on one is shown and
// changed on the other.
func TestDemoNATS(t *testing.T) {
	a := start(t, "-nats", "embedded", "-key", "demo secret")
	if a.natsURL == "" {
		t.Fatal("-nats embedded: no NATS URL")
	}
	b := start(t, "-nats", a.natsURL, "-key", "demo secret")
	ctx := testContext(t)
	token, _ := a.newCounter(t)
	res, err := http.Get("http://" + b.addr + "/p/" + token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `<code>`+b.addr+`</code>`) {
		t.Fatalf("the counter made on a, from b: %d %s", res.StatusCode, body)
	}
	_, onA := a.join(t, ctx, token)
	_, onB := b.join(t, ctx, token)
	if err := onB.Event(ctx, "add", map[string]string{"by": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := onA.Wait(ctx, count("1")); err != nil {
		t.Fatalf("a's client after b's event: %v; holds %s", err, onA.HTML())
	}
	if err := b.stop(); err != nil {
		t.Fatalf("b's shutdown: %v", err)
	}
	if err := a.stop(); err != nil {
		t.Fatalf("a's shutdown: %v", err)
	}
}

func TestDemoFlags(t *testing.T) {
	if err := run(t.Context(), []string{"-nope"}, io.Discard, nil); err == nil {
		t.Error("an unknown flag: no error")
	}
	if err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-nats", "nats://127.0.0.1:1"}, io.Discard, nil); err == nil {
		t.Error("an unreachable NATS: no error")
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
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
	log           *logBuffer // what it logs
}

// logBuffer is a log written by the demo's goroutines and read by the test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start starts a demo on a free port of 127.0.0.1, with a data directory of
// the test's own, and args after those.
func start(t *testing.T, args ...string) *demo {
	t.Helper()
	return startArgs(t, append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, args...)...)
}

// startArgs starts a demo with exactly args.
func startArgs(t *testing.T, args ...string) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &demo{log: &logBuffer{}}
	up := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, d.log, func(addr, natsURL string) {
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

// get returns the body of GET path (after redirects), and where it ended.
func (d *demo) get(t *testing.T, path string) (body, at string) {
	t.Helper()
	res, err := http.Get("http://" + d.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b), res.Request.URL.Path
}

// newList opens the demo's /todo/ and returns the new list's token.
func (d *demo) newList(t *testing.T) string {
	t.Helper()
	_, at := d.get(t, "/todo/")
	token, ok := strings.CutPrefix(at, "/todo/")
	if !ok || token == "" {
		t.Fatalf("GET /todo/ ended at %s", at)
	}
	return token
}

// join connects to the demo's live endpoint with the page's token, as the
// browser client does, and returns the page.
func (d *demo) join(t *testing.T, ctx context.Context, token string) *livetemplatetest.Page {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, "ws://"+d.addr+"/live", livetemplatetest.WithToken(token))
	if err == nil {
		t.Cleanup(func() { c.Close() })
		var p *livetemplatetest.Page
		if p, err = c.Default(ctx); err == nil {
			return p
		}
	}
	t.Fatalf("join %s: %v", d.addr, err)
	return nil
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDemo: the index links every example and its source; each example's
// page is served; shutdown closes clients as going away.
func TestDemo(t *testing.T) {
	d := start(t)
	ctx := testContext(t)
	index, _ := d.get(t, "/")
	for _, path := range []string{"/counter/", "/dashboard/", "/todo/", "/chat/", "/source/todo/todo.go", "/source/chat/chat.html", "/demo.css", "/favicon.svg"} {
		if !strings.Contains(index, `href="`+path+`"`) {
			t.Errorf("the index does not link %s", path)
		}
		d.get(t, path)
	}
	d.get(t, "/livetemplate.js")
	if icon, _ := d.get(t, "/favicon.ico"); !strings.HasPrefix(icon, "<svg") {
		t.Errorf("/favicon.ico: %.100s", icon)
	}
	if !strings.Contains(index, "<code>"+d.addr+"</code>") {
		t.Error("the index does not name the instance")
	}
	if !strings.Contains(index, "<code>go run ./cmd/demo -addr :8080</code>") {
		t.Error("the index of a demo on 127.0.0.1 does not say how to serve other devices")
	}
	// A source page: the file's text, escaped, on a page a phone shows at its width.
	src, _ := d.get(t, "/source/chat/chat.html")
	for _, want := range []string{`data-token=&#34;{{PAGE_TOKEN}}&#34;`, `<meta name="viewport"`, `<a href="/source/chat/chat.go">`} {
		if !strings.Contains(src, want) {
			t.Errorf("the source page of chat.html lacks %s", want)
		}
	}
	counter, err := livetemplatetest.Dial(ctx, "ws://"+d.addr+"/counter/live")
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()
	p, err := counter.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Event(ctx, "increment", nil); err != nil || !strings.Contains(p.HTML(), `<p class="count">1</p>`) {
		t.Fatalf("the counter after increment: %v; %s", err, p.HTML())
	}
	if err := d.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	<-counter.Done()
	if got := counter.CloseStatus(); got != websocket.StatusGoingAway {
		t.Errorf("close status at shutdown %v, want going away", got)
	}
	for _, line := range []string{"msg=\"demo serving\" url=http://" + d.addr, "msg=\"demo stopping", "msg=\"demo stopped\""} {
		if !strings.Contains(d.log.String(), line) {
			t.Errorf("the log lacks %s:\n%s", line, d.log)
		}
	}
}

// TestDemoEveryAddress: a demo on a wildcard address logs, and lists on its
// index, an address of each of this machine's interfaces, and serves there.
func TestDemoEveryAddress(t *testing.T) {
	d := start(t, "-addr", ":0")
	host, port, err := net.SplitHostPort(d.addr)
	if err != nil {
		t.Fatal(err)
	}
	v4only := net.ParseIP(host).To4() != nil // a machine without IPv6 listens on 0.0.0.0
	loopback := "http://" + net.JoinHostPort("127.0.0.1", port)
	if !strings.Contains(d.log.String(), "url="+loopback) {
		t.Errorf("the log lacks %s:\n%s", loopback, d.log)
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	index, _ := d.get(t, "/")
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLinkLocalUnicast() || v4only && n.IP.To4() == nil {
			continue
		}
		url := "http://" + net.JoinHostPort(n.IP.String(), port)
		if !strings.Contains(d.log.String(), "url="+url) || !strings.Contains(index, `<a href="`+url+`">`) {
			t.Errorf("%s is not in the log or the index:\n%s\n%s", url, d.log, index)
		}
	}
	res, err := http.Get(loopback + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func TestServeURLs(t *testing.T) {
	one := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 8080}
	if got, err := serveURLs(one); err != nil || len(got) != 1 || got[0] != "http://192.0.2.7:8080" {
		t.Errorf("a listener on one address: %q, %v", got, err)
	}
	got, err := serveURLs(&net.TCPAddr{IP: net.IPv4zero, Port: 8080})
	if err != nil || !slices.Contains(got, "http://127.0.0.1:8080") {
		t.Errorf("0.0.0.0: %q, %v", got, err)
	}
	for _, u := range got {
		if strings.Contains(u, "[") {
			t.Errorf("0.0.0.0 serves IPv4 only, not %s", u)
		}
	}
}

// TestDemoNATS: one demo with an embedded NATS server and one that joins it
// with -nats URL share their pages: a to-do list made on one is shown and
// changed on the other, by a viewer's draft made there.
func TestDemoNATS(t *testing.T) {
	a := start(t, "-nats", "embedded", "-key", "demo secret")
	if a.natsURL == "" {
		t.Fatal("-nats embedded: no NATS URL")
	}
	b := start(t, "-nats", a.natsURL, "-key", "demo secret")
	ctx := testContext(t)
	token := a.newList(t)
	html, _ := b.get(t, "/todo/"+token)
	if !strings.Contains(html, "Read the guide") {
		t.Fatalf("the list made on a, from b: %s", html)
	}
	// The HTML from b names a viewer's draft, made on b, and the list.
	tokens := regexp.MustCompile(`data-token="([a-z0-9]+)"`).FindAllStringSubmatch(html, -1)
	if len(tokens) != 2 || tokens[1][1] != token {
		t.Fatalf("the list's HTML names %q, want a draft and the list", tokens)
	}
	onA, draftOnB := a.join(t, ctx, token), b.join(t, ctx, tokens[0][1])
	if err := draftOnB.Event(ctx, "add", map[string]string{"title": "milk"}); err != nil {
		t.Fatal(err)
	}
	if err := onA.Wait(ctx, func(html string) bool { return strings.Contains(html, "<span>milk</span>") }); err != nil {
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
	if err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-nats", "nats://127.0.0.1:1"}, io.Discard, nil); err == nil {
		t.Error("an unreachable NATS: no error")
	}
	if err := run(t.Context(), []string{"-memory", "-nats", "nats://127.0.0.1:1"}, io.Discard, nil); err == nil {
		t.Error("-memory with -nats: no error")
	}
}

// TestDemoDev: -dev reads the examples' templates from their source
// directories, keeps pages in memory, and serves the dev script; -dev with
// -nats is refused.
func TestDemoDev(t *testing.T) {
	if err := run(t.Context(), []string{"-dev", "-nats", "nats://127.0.0.1:1"}, io.Discard, nil); err == nil {
		t.Error("-dev with -nats: no error")
	}
	d := start(t, "-dev")
	script, _ := d.get(t, "/live?livetemplate=dev.js")
	if !strings.Contains(script, "livetemplate:dev") {
		t.Errorf("-dev serves no dev script: %.100s", script)
	}
	if d.natsURL != "" {
		t.Errorf("-dev runs NATS at %s", d.natsURL)
	}
	for _, dir := range []string{"counter", "dashboard", "todo", "chat"} {
		if !strings.Contains(d.log.String(), filepath.Join("examples", dir)) {
			t.Errorf("the log does not say that %s's templates reload:\n%s", dir, d.log)
		}
	}
	// The examples work from their source files.
	ctx := testContext(t)
	counter, err := livetemplatetest.Dial(ctx, "ws://"+d.addr+"/counter/live")
	if err != nil {
		t.Fatal(err)
	}
	defer counter.Close()
	p, err := counter.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Event(ctx, "increment", nil); err != nil || !strings.Contains(p.HTML(), `<p class="count">1</p>`) {
		t.Fatalf("the counter after increment: %v; %s", err, p.HTML())
	}
}

package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// tokenOf returns the page token that the HTML of path names (its last
// script tag's: the page the path shows).
func (d *demo) tokenOf(t *testing.T, path string) string {
	t.Helper()
	html, _ := d.get(t, path)
	m := regexp.MustCompile(`data-token="([a-z0-9]+)"`).FindAllStringSubmatch(html, -1)
	if m == nil {
		t.Fatalf("GET %s names no page:\n%s", path, html)
	}
	return m[len(m)-1][1]
}

// dial connects a client to the demo's live endpoint.
func (d *demo) dial(t *testing.T, ctx context.Context) *livetemplatetest.Client {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, "ws://"+d.addr+"/live")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// httpGet returns the status of GET url.
func httpGet(url string) (int, error) {
	res, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// TestDemoRestart: a demo started again on its data directory serves the
// pages of the one before, with the same tokens and data: a to-do list, the
// dashboard and the chat room; a client that held a list joins it again
// with the version it held and its events work. The key file is the
// owner's only.
func TestDemoRestart(t *testing.T) {
	dir := t.TempDir()
	a := start(t, "-data", dir)
	ctx := testContext(t)
	list := a.newList(t)
	onA := a.join(t, ctx, list)
	if err := onA.Event(ctx, "toggle", map[string]string{"id": "2"}); err != nil {
		t.Fatal(err)
	}
	board, room := a.tokenOf(t, "/dashboard/"), a.tokenOf(t, "/chat/")
	chat := a.join(t, ctx, room)
	if err := chat.Event(ctx, "send", map[string]string{"name": "a", "text": "before the restart"}); err != nil {
		t.Fatal(err)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	b := start(t, "-data", dir)
	t.Logf("the demo started again on its data directory in %v", time.Since(began))
	if b.natsURL != a.natsURL {
		t.Errorf("NATS at %s after a restart, was %s: other instances lose it", b.natsURL, a.natsURL)
	}
	if got := b.tokenOf(t, "/dashboard/"); got != board {
		t.Error("the dashboard is another page after a restart")
	}
	if html, _ := b.get(t, "/chat/"); b.tokenOf(t, "/chat/") != room || !strings.Contains(html, "before the restart") {
		t.Errorf("the chat room after a restart: %s", html)
	}
	resumed, err := b.dial(t, ctx).Resume(ctx, onA)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.Event(ctx, "toggle", map[string]string{"id": "1"}); err != nil {
		t.Fatal(err)
	}
	if html := resumed.HTML(); strings.Count(html, `class="done"`) != 1 || !strings.Contains(html, "1 of 2 left") {
		t.Errorf("the list after a restart and two toggles: %s", html)
	}
	info, err := os.Stat(filepath.Join(dir, "key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v, %v", info, err)
	}
}

// TestDemoDataInUse: a second demo on the data directory of a running one
// fails at once and says what to do; once the first stopped, it starts.
func TestDemoDataInUse(t *testing.T) {
	dir := t.TempDir()
	a := start(t, "-data", dir)
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-data", dir}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "in use by another demo") || !strings.Contains(err.Error(), "start another instance") {
		t.Fatalf("a second demo on the data directory: %v", err)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	start(t, "-data", dir)
}

// TestDemoBadData: a data directory that cannot be made, and a key file
// that holds no key, are errors that say so, at once.
func TestDemoBadData(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "key"), []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{filepath.Join(file, "data"): "data directory", bad: "not a key"} {
		began := time.Now()
		err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-data", dir}, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), want) || time.Since(began) > 5*time.Second {
			t.Errorf("-data %s: %v after %v, want %q", dir, err, time.Since(began), want)
		}
	}
	if err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-key-file", filepath.Join(bad, "nokey")}, io.Discard, nil); err == nil {
		t.Error("a -key-file that does not exist: no error")
	}
}

// TestDemoMemory: with -memory, nothing goes to the data directory and the
// pages end with the process.
func TestDemoMemory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a := start(t, "-memory", "-data", dir)
	list := a.newList(t)
	if !strings.Contains(a.log.String(), "this process only") {
		t.Errorf("the log does not say where the pages are:\n%s", a.log)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	b := start(t, "-memory", "-data", dir)
	res, err := httpGet("http://" + b.addr + "/todo/" + list)
	if err != nil || res != 404 {
		t.Errorf("a list of the stopped demo: %d, %v", res, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("-memory made the data directory: %v", err)
	}
}

// TestDemoDefaultData: the data directory is livetemplate-demo in the
// user's cache directory.
func TestDemoDefaultData(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("LocalAppData", filepath.Join(home, "appdata"))
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	startArgs(t, "-addr", "127.0.0.1:0").stop()
	for _, name := range []string{"key", "nats"} {
		if _, err := os.Stat(filepath.Join(cache, "livetemplate-demo", name)); err != nil {
			t.Errorf("the default data directory: %v", err)
		}
	}
}

// TestDemoSecondInstance: the command that a demo logs for another
// instance, run as logged, starts one that serves the same pages: the
// to-do list made on either, changed on the other; the one dashboard and
// chat room.
func TestDemoSecondInstance(t *testing.T) {
	a := start(t)
	command := regexp.MustCompile(`msg="start another instance with" command="go run \./cmd/demo ([^"]*)"`).FindStringSubmatch(a.log.String())
	if command == nil {
		t.Fatalf("no command for another instance in the log:\n%s", a.log)
	}
	args := shellFields(command[1])
	b := startArgs(t, args...)
	ctx := testContext(t)
	list := b.newList(t)
	html, _ := a.get(t, "/todo/"+list)
	draft := regexp.MustCompile(`data-token="([a-z0-9]+)"`).FindStringSubmatch(html)[1] // the viewer's draft, made on a
	onA, onB := a.join(t, ctx, draft), b.join(t, ctx, list)
	if err := onA.Event(ctx, "add", map[string]string{"title": "milk"}); err != nil {
		t.Fatal(err)
	}
	if err := onB.Wait(ctx, func(html string) bool { return strings.Contains(html, "<span>milk</span>") }); err != nil {
		t.Fatalf("b's client after a's event: %v; holds %s", err, onB.HTML())
	}
	for _, path := range []string{"/dashboard/", "/chat/"} {
		if a.tokenOf(t, path) != b.tokenOf(t, path) {
			t.Errorf("%s: two pages", path)
		}
	}
	// Each instance runs the dashboard's ticker, once a second; the page
	// still changes once a second, not twice.
	board := a.join(t, ctx, a.tokenOf(t, "/dashboard/"))
	from := board.Version()
	time.Sleep(2500 * time.Millisecond)
	if n := board.Version() - from; n < 1 || n > 3 {
		t.Errorf("the dashboard changed %d times in 2.5 s on two instances", n)
	}
	t.Logf("the second instance: go run ./cmd/demo %s", strings.Join(args, " "))
	// The first starts again, with its NATS server on the same URL: the
	// second goes on.
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	startArgs(t, "-addr", "127.0.0.1:0", "-data", a.dataDir(t))
	if err := onB.Event(ctx, "toggle", map[string]string{"id": "1"}); err != nil {
		t.Fatalf("the second instance after the first restarted: %v", err)
	}
}

// dataDir returns the data directory that the demo logged.
func (d *demo) dataDir(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`for its next start" dir=(\S+)`).FindStringSubmatch(d.log.String())
	if m == nil {
		t.Fatalf("no data directory in the log:\n%s", d.log)
	}
	return m[1]
}

// shellFields splits a command line as a POSIX shell does, for the quoting
// that shellQuote writes: words apart by spaces, single-quoted strings, and
// backslashes that quote the next character.
func shellFields(line string) []string {
	var words []string
	var word strings.Builder
	quoted, inWord, escaped := false, false, false
	for _, r := range line {
		switch {
		case escaped:
			word.WriteRune(r)
			escaped = false
		case r == '\\' && !quoted:
			escaped, inWord = true, true
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, word.String())
				word.Reset()
			}
			inWord = false
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"plain", "/a path/with 'quotes'", "", "nats://127.0.0.1:4222"} {
		if got := shellFields(shellQuote(s)); len(got) != 1 || got[0] != s {
			t.Errorf("%q quoted as %s splits into %q", s, shellQuote(s), got)
		}
	}
}

// TestDemoNATSPortTaken: a demo whose NATS port of the last start is taken
// now starts its NATS server on another.
func TestDemoNATSPortTaken(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(filepath.Join(dir, "nats-port"), []byte(port+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := start(t, "-data", dir)
	if d.natsURL == "" || strings.HasSuffix(d.natsURL, ":"+port) {
		t.Errorf("NATS at %q, with port %s taken", d.natsURL, port)
	}
}

// TestDocsShowTheCommand: the README and operations.md show the line that a
// demo on the default address logs for another instance, as it logs it.
func TestDocsShowTheCommand(t *testing.T) {
	c := config{addr: "localhost:8080"}
	b := &backend{natsURL: "nats://127.0.0.1:40371", keyFile: "/home/you/.cache/livetemplate-demo/key"}
	var log strings.Builder
	logBackend(slog.New(slog.NewTextHandler(&log, nil)), c, b, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
	_, line, ok := strings.Cut(strings.TrimSpace(log.String()), "level=INFO msg=\"start another instance with\"")
	if !ok {
		t.Fatalf("the log:\n%s", log.String())
	}
	line = "level=INFO msg=\"start another instance with\"" + line
	for _, doc := range []string{"../../README.md", "../../docs/operations.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(text), "\n"+line+"\n") {
			t.Errorf("%s does not show the line\n%s", doc, line)
		}
	}
}

// TestDemoStopsPromptly: a connection that has sent no request yet (as a
// browser opens ahead of the requests it may make) does not hold up the
// demo's stop, nor make it fail.
func TestDemoStopsPromptly(t *testing.T) {
	d := start(t)
	conn, err := net.Dial("tcp", d.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(100 * time.Millisecond) // the server has accepted it
	began := time.Now()
	if err := d.stop(); err != nil || time.Since(began) > 3*time.Second {
		t.Errorf("the stop: %v after %v", err, time.Since(began))
	}
}

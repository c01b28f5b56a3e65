package chat_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
	"github.com/livetemplate/livetemplate/examples/signin"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve starts a server with the chat mounted.
func serve(t *testing.T) *pagetest.Server {
	t.Helper()
	s := pagetest.Start(t)
	if err := chat.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChat: every browser that opens the room gets the same page and every
// message.
func TestChat(t *testing.T) {
	s := serve(t)
	ctx := pagetest.Context(t)
	alice, bob := s.Open(t, ctx, "/chat/"), s.Open(t, ctx, "/chat/")
	if alice.Token() != bob.Token() {
		t.Fatal("two loads of the room: two pages")
	}
	if js := s.Get(t, "/chat/chat.js"); !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("the room's script: %s", js.Header.Get("Content-Type"))
	}
	if err := alice.Event(ctx, "send", map[string]string{"name": "alice", "text": " hi <bob> "}); err != nil {
		t.Fatal(err)
	}
	if err := bob.Event(ctx, "send", map[string]string{"text": "hello"}); err != nil {
		t.Fatal(err)
	}
	got := func(html string) bool {
		a := strings.Index(html, "<b>alice</b> hi &lt;bob&gt;</li>")
		b := strings.Index(html, "<b>someone</b> hello</li>")
		return a > 0 && b > a
	}
	if err := alice.Wait(ctx, got); err != nil {
		t.Fatalf("alice: %v; holds %s", err, alice.HTML())
	}
	var e *livetemplatetest.Error
	if err := bob.Event(ctx, "send", map[string]string{"text": "  "}); !errors.As(err, &e) || e.Code != "handler_error" {
		t.Errorf("an empty message: %v, want handler_error", err)
	}
}

// TestChatKeeps: the room shows the latest 50 messages.
func TestChatKeeps(t *testing.T) {
	s := serve(t)
	ctx := pagetest.Context(t)
	p := s.Open(t, ctx, "/chat/")
	for range 52 {
		if err := p.Event(ctx, "send", map[string]string{"text": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	html := p.HTML()
	if n := strings.Count(html, "<li data-key="); n != 50 || strings.Contains(html, `data-key="2"`) || !strings.Contains(html, `data-key="52"`) {
		t.Errorf("%d messages: %s", n, html)
	}
}

// TestConnections: the application's open connections are counted by
// browser while they last, and served as JSON.
func TestConnections(t *testing.T) {
	s := serve(t)
	ctx := pagetest.Context(t)
	token := pagetest.Token(s.HTML(t, "/chat/"))
	c, err := livetemplatetest.Dial(ctx, s.URL+"/live", livetemplatetest.WithBrowser("b1", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Join(ctx, token); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Browser     string
		Connections int
	}
	if err := json.NewDecoder(s.Get(t, "/chat/connections?browser=b1").Body).Decode(&got); err != nil || got.Browser != "b1" || got.Connections != 1 {
		t.Errorf("b1's connections: %+v, %v", got, err)
	}
	if n := s.App.BrowserConnections("b2"); n != 0 {
		t.Errorf("b2's connections: %d", n)
	}
	// A newer connection of b1 (a new leading tab) fences the older one.
	newer, err := livetemplatetest.Dial(ctx, s.URL+"/live", livetemplatetest.WithBrowser("b1", 2))
	if err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	waitCount(t, s.App, "b1", 1)
	newer.Close()
	waitCount(t, s.App, "b1", 0)
}

// waitCount waits until app holds n connections of browser: a connection
// is closed on the server a moment after the client sees it end.
func waitCount(t *testing.T, app *livetemplate.Application, browser string, n int) {
	t.Helper()
	ctx := pagetest.Context(t)
	for app.BrowserConnections(browser) != n {
		if ctx.Err() != nil {
			t.Fatalf("%s: %d connections counted, want %d", browser, app.BrowserConnections(browser), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChatAnew: a room that ended (nobody used it for the idle time to
// live) is made anew for the next visitor: the page of the same name, with
// the same token, and no messages.
func TestChatAnew(t *testing.T) {
	ttl := 100 * time.Millisecond
	s := pagetest.Start(t, livetemplate.WithIdleTTL(ttl), livetemplate.WithUnjoinedTTL(ttl))
	if err := chat.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	first := s.Open(t, pagetest.Context(t), "/chat/")
	if err := first.Event(pagetest.Context(t), "send", map[string]string{"text": "anyone?"}); err != nil {
		t.Fatal(err)
	}
	if err := first.Leave(pagetest.Context(t)); err != nil { // a room shown does not expire
		t.Fatal(err)
	}
	time.Sleep(3 * ttl) // unused for longer than its time to live: a use fails
	p := s.Open(t, pagetest.Context(t), "/chat/")
	if p.Token() != first.Token() || !strings.Contains(p.HTML(), "No messages yet") {
		t.Errorf("after the room ended: token %s (was %s), %s", p.Token(), first.Token(), p.HTML())
	}
}

// TestChatPresence: the room shows its members by the name they signed in
// with, and the other browsers as guests; a member's messages go under its
// name, whatever name its client gives.
func TestChatPresence(t *testing.T) {
	s := pagetest.Start(t, livetemplate.WithConnect(signin.Identify), livetemplate.WithJoinLeave(chat.Present, chat.Present))
	if err := chat.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	signin.Mount(s.App, s.Mux)
	ctx := pagetest.Context(t)
	token := pagetest.Token(s.HTML(t, "/chat/"))
	as := func(name string) livetemplatetest.Option {
		return livetemplatetest.WithHeader(http.Header{"Cookie": {signin.Cookie + "=" + name}})
	}
	alice := s.Join(t, ctx, token, as("alice"))
	bob := s.Join(t, ctx, token, as("bob"))
	s.Join(t, ctx, token) // a guest
	waitFor(t, bob, `<b>alice</b>, <b>bob</b> and 1 guest</p>`)
	if err := bob.Event(ctx, "send", map[string]string{"name": "mallory", "text": "hi"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, alice, "<b>bob</b> hi</li>")
	if err := alice.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bob, `In the room: <b>bob</b> and 1 guest</p>`)
}

func waitFor(t *testing.T, p *livetemplatetest.Page, part string) {
	t.Helper()
	if err := p.Wait(pagetest.Context(t), func(html string) bool { return strings.Contains(html, part) }); err != nil {
		t.Fatalf("%v; want %q in %s", err, part, p.HTML())
	}
}

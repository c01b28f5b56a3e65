package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// chatEndpoint is a small WebSocket endpoint of the kind the seed's examples
// talk to: a {"type":"chat"} message goes to every connection, a
// {"type":"query","requestId","query"} is answered to its sender with
// {"requestId","result"}, and anything else, binary frames too, is echoed.
type chatEndpoint struct {
	opened atomic.Int64 // connections so far
	open   atomic.Int64 // connections now

	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

func (e *chatEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	e.opened.Add(1)
	e.open.Add(1)
	defer e.open.Add(-1)
	e.mu.Lock()
	if e.conns == nil {
		e.conns = make(map[*websocket.Conn]struct{})
	}
	e.conns[c] = struct{}{}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.conns, c)
		e.mu.Unlock()
	}()
	for {
		typ, data, err := c.Read(r.Context())
		if err != nil {
			return
		}
		e.answer(r.Context(), c, typ, data)
	}
}

func (e *chatEndpoint) answer(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, data []byte) {
	var m struct{ Type, RequestID, Query string }
	if typ == websocket.MessageText && json.Unmarshal(data, &m) == nil {
		switch m.Type {
		case "chat":
			e.mu.Lock()
			all := make([]*websocket.Conn, 0, len(e.conns))
			for o := range e.conns {
				all = append(all, o)
			}
			e.mu.Unlock()
			for _, o := range all {
				write(ctx, o, websocket.MessageText, data)
			}
			return
		case "query":
			reply, _ := json.Marshal(map[string]string{"requestId": m.RequestID, "result": "rows of " + m.Query})
			write(ctx, c, websocket.MessageText, reply)
			return
		}
	}
	write(ctx, c, typ, data)
}

func write(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, data []byte) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = c.Write(ctx, typ, data) // a connection that went is the reader's business
}

// seedPage is a page for one of the seed's examples: the elements and
// functions the example uses but does not define, then the example itself.
const seedPage = `<!doctype html><title>seed</title>
<input id="message-input"><button id="send-btn">Send</button>
<script>
window.chats = [];
window.errors = [];
function displayChatMessage(m) { chats.push(m.text); }
function showNotification(m) {}
function showError(m) { errors.push(m.message); }
</script>
<script type="module" src="/seed/%s.js"></script>`

// seedHandler serves the example testdata/seed/name.ts, which is the seed's
// code with only its import lines changed, as the browser runs it: its
// TypeScript stripped by esbuild.
func seedHandler(t *testing.T, name string) http.Handler {
	t.Helper()
	src, err := os.ReadFile("testdata/seed/" + name + ".ts")
	if err != nil {
		t.Fatal(err)
	}
	res := api.Transform(string(src), api.TransformOptions{Loader: api.LoaderTS, Format: api.FormatESModule, Target: api.ES2022})
	if len(res.Errors) > 0 {
		t.Fatalf("testdata/seed/%s.ts: %v", name, res.Errors)
	}
	return jsHandler(string(res.Code))
}

// TestSeedExamples runs the seed's "Complete Example" and its
// request/response example, unchanged but for their imports, in tabs of one
// Chromium against the chat endpoint. The examples connect to
// wss://chat.example.com/ws and wss://api.example.com/ws: the browser
// resolves both to the test's server.
func TestSeedExamples(t *testing.T) {
	ep := &chatEndpoint{}
	srv := testServerTLS(t, nil, map[string]http.Handler{
		"/ws":                   ep,
		"GET /seed/complete":    htmlHandler(fmt.Sprintf(seedPage, "complete")),
		"GET /seed/request":     htmlHandler(fmt.Sprintf(seedPage, "request")),
		"GET /seed/complete.js": seedHandler(t, "complete"),
		"GET /seed/request.js":  seedHandler(t, "request"),
	})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t,
		chromedp.Flag("host-resolver-rules", fmt.Sprintf("MAP chat.example.com %[1]s, MAP api.example.com %[1]s", u.Host)),
		chromedp.Flag("ignore-certificate-errors", true))
	waitConns := func(t *testing.T, open, opened int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ep.open.Load() != open || ep.opened.Load() != opened {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections open, %d opened; want %d and %d", ep.open.Load(), ep.opened.Load(), open, opened)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	leaderOf := func(tabs []*browsertest.Tab) int {
		for i, tab := range tabs {
			if strings.Contains(strings.Join(tab.Console(), "\n"), "Became leader") {
				return i
			}
		}
		t.Fatal("no tab logged that it became leader")
		return -1
	}
	send := func(tab *browsertest.Tab, text string) {
		browsertest.MustEval[bool](tab, fmt.Sprintf(`document.getElementById("message-input").value = %q,
			document.getElementById("send-btn").click(), true`, text))
	}
	// waitChats waits until every tab displayed want, and nothing more.
	waitChats := func(t *testing.T, tabs []*browsertest.Tab, want ...string) {
		t.Helper()
		js, _ := json.Marshal(want)
		for _, tab := range tabs {
			tab.WaitFor(fmt.Sprintf(`chats.length >= %d`, len(want)), 10*time.Second)
		}
		time.Sleep(100 * time.Millisecond) // a doubled message would come now
		for i, tab := range tabs {
			if got := browsertest.MustEval[[]string](tab, `chats`); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("tab %d displayed %q, want %s", i, got, js)
			}
		}
	}

	t.Run("CompleteExample", func(t *testing.T) {
		tabs := make([]*browsertest.Tab, 3)
		for i := range tabs {
			tabs[i] = b.Tab(t)
			tabs[i].Navigate(srv.URL + "/seed/complete")
		}
		waitConns(t, 1, 1)
		send(tabs[1], "hello from tab 1")
		waitChats(t, tabs, "hello from tab 1")

		// The leading tab crashes: another takes over with a socket of its own.
		l := leaderOf(tabs)
		crash(t, tabs[l])
		rest := append(append([]*browsertest.Tab(nil), tabs[:l]...), tabs[l+1:]...)
		waitConns(t, 1, 2)
		send(rest[0], "after the crash")
		waitChats(t, rest, "hello from tab 1", "after the crash")
		for i, tab := range rest {
			if e := browsertest.MustEval[[]string](tab, `errors`); len(e) > 0 {
				t.Errorf("tab %d showed errors %q", i, e)
			}
		}
	})

	t.Run("RequestResponse", func(t *testing.T) {
		// The first tab's own query is published before its election ends, which the
		// seed's code does not wait for; the second tab's goes through the leader.
		first := b.Tab(t)
		first.Navigate(srv.URL + "/seed/request")
		opened := ep.opened.Load()
		deadline := time.Now().Add(10 * time.Second)
		for ep.opened.Load() == opened || ep.open.Load() != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the leading tab did not connect")
			}
			time.Sleep(20 * time.Millisecond)
		}
		second := b.Tab(t)
		second.Navigate(srv.URL + "/seed/request")
		want := `log: "Query result:" "rows of SELECT * FROM users"`
		deadline = time.Now().Add(10 * time.Second)
		for !strings.Contains(strings.Join(second.Console(), "\n"), want) {
			if time.Now().After(deadline) {
				t.Fatalf("the second tab's console lacks %s:\n%s", want, strings.Join(second.Console(), "\n"))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := ep.open.Load(); n != 1 {
			t.Errorf("%d connections open, want 1", n)
		}
	})
}

// TestCreateSocket tests createSocket's own promises against the echo
// endpoint: JSON in and out, binary frames as binary, the bounded send queue
// and its drops, and connect() twice.
func TestCreateSocket(t *testing.T) {
	ep := &chatEndpoint{}
	srv := testServer(t, nil, map[string]http.Handler{"/ws": ep, "GET /api": htmlHandler(apiPage)})
	b := browsertest.Start(t)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	open := func(t *testing.T) *browsertest.Tab {
		tab := apiTabs(t, b, srv.URL, 1, false)[0]
		browsertest.MustEval[bool](tab, fmt.Sprintf(`window.url = %q, window.drops = [], true`, wsURL))
		return tab
	}

	t.Run("Messages", func(t *testing.T) {
		tab := open(t)
		got := browsertest.MustEval[[]any](tab, `new Promise((resolve) => {
			const s = lt.createSocket({url});
			const got = [];
			s.onMessage((m) => {
				got.push(m instanceof ArrayBuffer ? ["binary", [...new Uint8Array(m)]] : m);
				if (got.length === 3) { s.close(); resolve(got); }
			});
			s.send({type: "echo", n: 1}); // queued until the socket opens
			s.send("not json");
			s.send(new Uint8Array([1, 2, 255]));
		})`)
		want := `[map[n:1 type:echo] not json [binary [1 2 255]]]`
		if fmt.Sprint(got) != want {
			t.Errorf("messages %v, want %s", got, want)
		}
	})

	t.Run("QueueBound", func(t *testing.T) {
		tab := open(t)
		before := ep.opened.Load()
		got := browsertest.MustEval[[]any](tab, `(() => {
			const s = lt.createSocket({url, maxQueue: 2, autoConnect: false});
			s.onDrop((f, why) => drops.push([f, why]));
			const sent = [s.send("a"), s.send("b"), s.send("c")];
			s.close();
			sent.push(s.send("d"));
			return [sent, drops];
		})()`)
		want := `[[true true false false] [[c queue_full] [a closed] [b closed] [d closed]]]`
		if fmt.Sprint(got) != want {
			t.Errorf("sends and drops %v, want %s", got, want)
		}
		time.Sleep(100 * time.Millisecond)
		if n := ep.opened.Load() - before; n != 0 {
			t.Errorf("%d connections from a socket never connected", n)
		}
	})

	t.Run("ConnectTwice", func(t *testing.T) {
		tab := open(t)
		before := ep.opened.Load()
		browsertest.MustEval[bool](tab, `window.s = lt.createSocket({url, autoConnect: false}), s.connect(), s.connect(), true`)
		tab.WaitFor(`s.state === "open"`, 10*time.Second)
		browsertest.MustEval[bool](tab, `s.connect(), true`)
		time.Sleep(100 * time.Millisecond)
		if n := ep.opened.Load() - before; n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
	})
}

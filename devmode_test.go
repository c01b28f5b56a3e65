package livetemplate_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// Two versions of a template file: the second moves the count and adds a
// field, so that its statics differ.
const (
	devV1 = `<main><p>{{.Count}}</p><input id="name"></main>`
	devV2 = `<main><h1>Count: {{.Count}}</h1><input id="name"><ul>{{range .Log}}<li>{{.}}</li>{{end}}</ul></main>`
)

// quiet discards the log: development mode's warning, the panics on purpose.
var quiet = livetemplate.WithLogger(slog.New(slog.DiscardHandler))

// devFile writes src to a new template file and returns its path.
func devFile(t *testing.T, src string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "page.html")
	save(t, file, src)
	return file
}

// save writes src to file, as an editor saving it does, with a
// modification time that differs from the last save's.
func save(t *testing.T, file, src string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Duration(len(src)) * time.Second)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
}

// devApp serves an application with opts and the template of file,
// registered from the file as "page", and makes a page of it.
func devApp(t *testing.T, file string, opts ...livetemplate.Option) (*livetemplate.Application, string, *livetemplate.Page) {
	t.Helper()
	app := newApp(t, append([]livetemplate.Option{quiet}, opts...)...)
	if err := app.RegisterTemplateFromFile("page", file); err != nil {
		t.Fatal(err)
	}
	page, err := app.NewPage("page", counter{Count: 3, Log: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	return app, serve(t, app), page
}

// TestDevModeReloadsTemplateFile saves a template's file while a client
// shows a page of it: the client gets the new template's HTML for the same
// data, and later changes diff against it.
func TestDevModeReloadsTemplateFile(t *testing.T) {
	file := devFile(t, devV1)
	_, url, page := devApp(t, file, livetemplate.WithDevMode())
	p := join(t, dial(t, url+"/live"), page.GetToken())
	data := counter{Count: 3, Log: []string{"a", "b"}}
	waitHTML(t, p, devV1, data)
	v := page.Version()

	save(t, file, devV2)
	waitHTML(t, p, devV2, data)
	if got := page.Version(); got != v+1 {
		t.Errorf("version %d after the reload, want %d", got, v+1)
	}
	if got := page.Data().(counter); got.Count != 3 || len(got.Log) != 2 {
		t.Errorf("data %+v after the reload, want the page's own", got)
	}
	data.Count, data.Log = 4, []string{"b", "c"}
	if _, err := page.Update(data); err != nil {
		t.Fatal(err)
	}
	waitHTML(t, p, devV2, data)
	if s := p.Stats(); s.Gaps != 0 {
		t.Errorf("%d gaps, want none", s.Gaps)
	}
}

// TestDevModeReloadsFS: a template registered from an os.DirFS reloads
// when a file that it calls is saved.
func TestDevModeReloadsFS(t *testing.T) {
	dir := t.TempDir()
	save(t, filepath.Join(dir, "page.html"), `<main>{{template "count" .}}</main>`)
	part := filepath.Join(dir, "part.html")
	save(t, part, `{{define "count"}}<p>{{.Count}}</p>{{end}}`)
	app := newApp(t, quiet, livetemplate.WithDevMode())
	if err := app.RegisterTemplateFS("page", os.DirFS(dir), "page.html", "part.html"); err != nil {
		t.Fatal(err)
	}
	page, err := app.NewPage("page", counter{Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	p := join(t, dial(t, serve(t, app)+"/live"), page.GetToken())
	save(t, part, `{{define "count"}}<b>{{.Count}} items</b>{{end}}`)
	waitHTML(t, p, `<main><b>{{.Count}} items</b></main>`, counter{Count: 5})
}

// TestDevModeKeepsLastGoodTemplate saves a template that does not parse,
// then one that does not execute with the page's data: the page keeps the
// last template that worked, and new pages get it too.
func TestDevModeKeepsLastGoodTemplate(t *testing.T) {
	file := devFile(t, devV1)
	app, url, page := devApp(t, file, livetemplate.WithDevMode())
	p := join(t, dial(t, url+"/live"), page.GetToken())
	data := counter{Count: 3, Log: []string{"a", "b"}}
	waitHTML(t, p, devV1, data)

	save(t, file, `<p>{{.Count</p>`)
	settle()
	checkHTML(t, p, devV1, data)
	fresh, err := app.NewPage("page", data)
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := fresh.Render(); html != execute(t, devV1, data, "") {
		t.Errorf("a new page renders %q after a parse error, want the last good template's", html)
	}
	// It parses: the template is taken, but the page's data does not
	// execute it: the page stays, and a new page gets Execute's error.
	save(t, file, `<p>{{.Missing}}</p>`)
	settle()
	checkHTML(t, p, devV1, data)
	if _, err := app.NewPage("page", data); err == nil || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("a new page of a template that does not execute: %v", err)
	}
	save(t, file, devV2)
	waitHTML(t, p, devV2, data)
}

// settle waits for some polls of the watched files.
func settle() { time.Sleep(5 * 200 * time.Millisecond) }

// checkHTML fails unless the client's copy of the page is html/template's
// output for data now.
func checkHTML(t *testing.T, p *livetemplatetest.Page, src string, data any) {
	t.Helper()
	if got, want := p.HTML(), execute(t, src, data, ""); got != want {
		t.Errorf("the page shows %q, want %q", got, want)
	}
}

// TestDevModeOff: without WithDevMode, a saved file changes nothing.
func TestDevModeOff(t *testing.T) {
	file := devFile(t, devV1)
	app, url, page := devApp(t, file)
	p := join(t, dial(t, url+"/live"), page.GetToken())
	data := counter{Count: 3, Log: []string{"a", "b"}}
	waitHTML(t, p, devV1, data)
	save(t, file, devV2)
	settle()
	fresh, err := app.NewPage("page", data)
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := fresh.Render(); html != execute(t, devV1, data, "") {
		t.Errorf("a new page renders %q without development mode, want the registered template's", html)
	}
	checkHTML(t, p, devV1, data)
	res, err := http.Get(url + "/live?livetemplate=dev.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Error("the dev script is served without development mode")
	}
}

// TestDevModeScript: in development mode the endpoint serves the dev
// script.
func TestDevModeScript(t *testing.T) {
	_, url, _ := devApp(t, devFile(t, devV1), livetemplate.WithDevMode())
	res, err := http.Get(url + "/live?livetemplate=dev.js")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(body), "livetemplate:dev") {
		t.Errorf("dev script: %s %q, %d bytes", res.Status, res.Header.Get("Content-Type"), len(body))
	}
}

// devFrame is a dev message as the client reads it.
type devFrame struct {
	Type, Kind, Template, Event, Message string
}

// nextDev reads frames from ws until a dev message, and returns it.
func nextDev(t *testing.T, ws *websocket.Conn) devFrame {
	t.Helper()
	for {
		_, b, err := ws.Read(testContext(t))
		if err != nil {
			t.Fatalf("no dev message: %v", err)
		}
		var m devFrame
		if json.Unmarshal(b, &m) == nil && m.Type == "dev" {
			return m
		}
	}
}

// devSocket dials the endpoint at url joined to tok's page.
func devSocket(t *testing.T, url, tok string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(testContext(t), "ws"+strings.TrimPrefix(url, "http")+"/live?token="+tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// TestDevModeMessages: a client on this machine is sent dev messages for
// a template error, a reload, a handler's error and its panic.
func TestDevModeMessages(t *testing.T) {
	file := devFile(t, devV1)
	app, url, page := devApp(t, file, livetemplate.WithDevMode())
	handle(t, app, "page", "fail", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		return errors.New("the count may not go below zero")
	})
	handle(t, app, "page", "panic", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		panic("boom")
	})
	ws := devSocket(t, url, page.GetToken())
	save(t, file, `<p>{{.Count</p>`)
	if m := nextDev(t, ws); m.Kind != "template" || m.Template != "page" || !strings.Contains(m.Message, "page.html:1") {
		t.Errorf("after a parse error: %+v", m)
	}
	save(t, file, `<p>{{.Missing}}</p>`)
	if m := nextDev(t, ws); m.Kind != "render" || !strings.Contains(m.Message, "Missing") {
		t.Errorf("after an execution error: %+v", m)
	}
	save(t, file, devV2)
	if m := nextDev(t, ws); m.Kind != "reloaded" {
		t.Errorf("after a reload: %+v", m)
	}
	ws.Write(testContext(t), websocket.MessageText, []byte(`{"type":"event","id":"t-1","name":"fail"}`))
	if m := nextDev(t, ws); m.Kind != "handler" || m.Event != "fail" || m.Message != "the count may not go below zero" {
		t.Errorf("after a handler error: %+v", m)
	}
	ws.Write(testContext(t), websocket.MessageText, []byte(`{"type":"event","id":"t-2","name":"panic"}`))
	if m := nextDev(t, ws); m.Kind != "panic" || !strings.HasPrefix(m.Message, "boom\n") || !strings.Contains(m.Message, "devmode_test.go") {
		t.Errorf("after a handler panic: %+v", m)
	}
}

// TestDevModeOnlyThisMachine: a client from another address sees the reload
// but is sent no dev message.
func TestDevModeOnlyThisMachine(t *testing.T) {
	file := devFile(t, devV1)
	app := newApp(t, quiet, livetemplate.WithDevMode())
	if err := app.RegisterTemplateFromFile("page", file); err != nil {
		t.Fatal(err)
	}
	page, err := app.NewPage("page", counter{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	remote := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = "192.0.2.7:40000"
		app.Handler().ServeHTTP(w, r)
	})
	srv := httptest.NewServer(remote)
	t.Cleanup(srv.Close)
	ws := devSocket(t, srv.URL, page.GetToken())
	save(t, file, `<p>{{.Count</p>`)
	save(t, file, devV2) // no later than the next poll: both, or the second only
	for {
		_, b, err := ws.Read(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"type":"dev"`) {
			t.Fatalf("a remote client got %s", b)
		}
		if strings.Contains(string(b), "<h1>Count: ") {
			return // the reload's render
		}
	}
}

package livetemplate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// fakeUploads is an upload server without HTTP: the tests call its host
// as package upload does.
type fakeUploads struct {
	host   *livetemplate.UploadHost
	closed atomic.Bool
}

func (f *fakeUploads) Endpoint() string                       { return "/live/uploads/" }
func (f *fakeUploads) Start(h *livetemplate.UploadHost) error { f.host = h; return nil }
func (f *fakeUploads) Close() error                           { f.closed.Store(true); return nil }

// gallerySrc is the template of the upload tests: the files received.
const gallerySrc = `<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>`

// galleryApp serves an application whose template "gallery" declares the
// upload "photos" (images and PDFs, at most 2 of 1000 bytes), whose handler
// adds "name size type who" to the page, and rejects files named
// "reject*". runs counts the handler's runs.
func galleryApp(t *testing.T, opts ...livetemplate.Option) (app *livetemplate.Application, url string, up *fakeUploads, runs *atomic.Int32) {
	t.Helper()
	up, runs = new(fakeUploads), new(atomic.Int32)
	quiet := livetemplate.WithLogger(slog.New(slog.DiscardHandler))
	app = newApp(t, append([]livetemplate.Option{quiet, livetemplate.WithUploads(up), livetemplate.WithConnect(userOf)}, opts...)...)
	register(t, app, "gallery", gallerySrc)
	register(t, app, "plain", `<p>{{.}}</p>`)
	cfg := livetemplate.UploadConfig{Accept: []string{"image/*", ".pdf"}, MaxSize: 1000, MaxFiles: 2, Auto: true}
	err := app.HandleUpload("gallery", "photos", cfg, func(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
		runs.Add(1)
		if strings.HasPrefix(f.Name, "reject") {
			return errors.New(f.Name + ": no cats allowed")
		}
		_, err := p.Modify(ctx, func(data any) (any, error) {
			return append(data.([]string), fmt.Sprintf("%s %d %s %s %s", f.Name, f.Size, f.ContentType, f.Path, nameOf(ctx))), nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	return app, srv.URL + "/live", up, runs
}

// ask sends an upload message for files ("name:size:type") and returns
// the answer.
func ask(c *rawConn, ref, name string, files ...string) map[string]any {
	c.t.Helper()
	var b strings.Builder
	for i, f := range files {
		parts := strings.SplitN(f, ":", 3)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":%q,"size":%s,"type":%q}`, parts[0], parts[1], parts[2])
	}
	c.send(`{"type":"upload","ref":"` + ref + `","name":"` + name + `","files":[` + b.String() + `]}`)
	return c.next()
}

// grantsOf returns the ids and tokens of an upload answer.
func grantsOf(t *testing.T, m map[string]any) (ids, tokens []string) {
	t.Helper()
	if m["type"] != "upload" || m["endpoint"] != "/live/uploads/" {
		t.Fatalf("answer %v: want an upload with the endpoint", m)
	}
	for _, f := range m["files"].([]any) {
		g := f.(map[string]any)
		ids, tokens = append(ids, g["id"].(string)), append(tokens, g["token"].(string))
	}
	return ids, tokens
}

func TestUploadJoinedAnnounces(t *testing.T) {
	app, url, _, _ := galleryApp(t)
	c := rawDial(t, url, nil)
	c.send(`{"type":"join","token":"` + newPage(t, app, "gallery", []string{}).GetToken() + `"}`)
	c.expect(false, map[string]any{"type": "render"})
	m := c.next()
	want := `map[photos:map[accept:[image/* .pdf] auto:true max_files:2 max_size:1000]]`
	if m["type"] != "joined" || fmt.Sprint(m["uploads"]) != want {
		t.Fatalf("joined %v; want uploads %s", m, want)
	}
	c.send(`{"type":"join","page":"p2","token":"` + newPage(t, app, "plain", "x").GetToken() + `"}`)
	c.expect(false, map[string]any{"type": "render"})
	c.expect(true, map[string]any{"type": "joined", "page": "p2", "v": 1.0})

	// Without an upload server, nothing is announced or granted.
	bare := counterApp(t)
	if err := bare.HandleUpload("counter", "photos", livetemplate.UploadConfig{}, func(context.Context, *livetemplate.Page, livetemplate.UploadedFile) error { return nil }); err != nil {
		t.Fatal(err)
	}
	b := rawDial(t, serve(t, bare)+"/live", nil)
	b.send(`{"type":"join","token":"` + newPage(t, bare, "counter", counter{}).GetToken() + `"}`)
	b.expect(false, map[string]any{"type": "render"})
	b.expect(true, map[string]any{"type": "joined", "v": 1.0})
	m = ask(b, "u1", "photos", "a.png:1:image/png")
	if m["code"] != "upload_refused" || m["ref"] != "u1" {
		t.Fatalf("upload without a server: %v", m)
	}
}

func TestUploadRefused(t *testing.T) {
	app, url, _, _ := galleryApp(t)
	c := rawDial(t, url, nil)
	m := ask(c, "u0", "photos", "a.png:1:image/png")
	if m["code"] != "not_joined" || m["ref"] != "u0" {
		t.Fatalf("upload before a join: %v", m)
	}
	c.joined(newPage(t, app, "gallery", []string{}).GetToken())
	for files, why := range map[string]string{
		"docs|a.png:1:image/png":                              `this page takes no upload "docs"`,
		"photos|a.png:1:image/png|b.png:1:image/png|c.png:1:": "at most 2 files at once",
		"photos|a.png:1001:image/png":                         "a.png: larger than 1000 bytes",
		"photos|cat.exe:10:application/x-msdownload":          "cat.exe: type not accepted",
		"photos|cat.png:10:application/x-msdownload":          "cat.png: type not accepted",
		"photos|doc.pdf:10:image/png|x.txt:1:text/plain":      "x.txt: type not accepted",
	} {
		parts := strings.Split(files, "|")
		m := ask(c, "u1", parts[0], parts[1:]...)
		if m["type"] != "error" || m["code"] != "upload_refused" || m["message"] != why || m["ref"] != "u1" {
			t.Errorf("%s: %v; want upload_refused %q", files, m, why)
		}
	}
	c.quiet()
}

func TestUploadTokens(t *testing.T) {
	app, url, up, _ := galleryApp(t, livetemplate.WithUploadTokenTTL(300*time.Millisecond))
	page := newPage(t, app, "gallery", []string{})
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	ids, tokens := grantsOf(t, ask(c, "u1", "photos", "cat.png:10:image/png", "doc.pdf:20:"))
	if len(ids) != 2 || ids[0] == ids[1] || !strings.HasPrefix(ids[0], "up_") {
		t.Fatalf("ids %q: want two different upload ids", ids)
	}
	tk, err := up.host.Verify(tokens[1])
	if err != nil {
		t.Fatal(err)
	}
	if tk.ID != ids[1] || tk.Upload != "photos" || tk.Page != page.ID() || tk.Size != 20 || tk.Name != "doc.pdf" || tk.Config.MaxSize != 1000 {
		t.Fatalf("ticket %+v", tk)
	}
	if time.Until(tk.Expires) > 300*time.Millisecond {
		t.Fatalf("expires %v: past WithUploadTokenTTL", tk.Expires)
	}
	other, _, _, _ := galleryApp(t)
	for name, bad := range map[string]string{
		"another application's": otherToken(t, other),
		"tampered":              strings.Replace(tokens[0], tokens[0][:4], "AAAA", 1),
		"page token":            page.GetToken(),
		"empty":                 "",
	} {
		if _, err := up.host.Verify(bad); !errors.Is(err, livetemplate.ErrInvalidUploadToken) {
			t.Errorf("%s token: %v, want ErrInvalidUploadToken", name, err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := up.host.Verify(tokens[0]); !errors.Is(err, livetemplate.ErrExpiredUploadToken) {
		t.Fatalf("expired token: %v", err)
	}
	_, tokens = grantsOf(t, ask(c, "u2", "photos", "cat.png:10:image/png"))
	page.Close()
	if _, err := up.host.Verify(tokens[0]); !errors.Is(err, livetemplate.ErrPageClosed) {
		t.Fatalf("token of a closed page: %v", err)
	}
}

// otherToken returns a token that another application granted.
func otherToken(t *testing.T, app *livetemplate.Application) string {
	t.Helper()
	c := rawDial(t, serveLive(t, app), nil)
	c.joined(newPage(t, app, "gallery", []string{}).GetToken())
	_, tokens := grantsOf(t, ask(c, "u1", "photos", "cat.png:10:image/png"))
	return tokens[0]
}

// serveLive serves app's Handler at /live and returns its URL.
func serveLive(t *testing.T, app *livetemplate.Application) string {
	t.Helper()
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestUploadLimits(t *testing.T) {
	app, url, up, _ := galleryApp(t, livetemplate.WithUploadLimits(livetemplate.UploadLimits{BrowserFiles: 2, Files: 3}))
	tok := newPage(t, app, "gallery", []string{}).GetToken()
	a, b := rawDial(t, url, nil), rawDial(t, url, nil)
	a.joined(tok)
	b.joined(tok)
	_, tokens := grantsOf(t, ask(a, "u1", "photos", "1.png:1:image/png", "2.png:1:image/png"))
	if m := ask(a, "u2", "photos", "3.png:1:image/png"); m["code"] != "upload_limit" || !strings.Contains(m["message"].(string), "browser") {
		t.Fatalf("a third file of one browser: %v", m)
	}
	grantsOf(t, ask(b, "u3", "photos", "4.png:1:image/png"))
	if m := ask(b, "u4", "photos", "5.png:1:image/png"); m["code"] != "upload_limit" || !strings.Contains(m["message"].(string), "server") {
		t.Fatalf("a fourth file in all: %v", m)
	}
	tk, err := up.host.Verify(tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	up.host.Release(tk)
	grantsOf(t, ask(a, "u5", "photos", "3.png:1:image/png"))
}

func TestUploadComplete(t *testing.T) {
	app, url, up, runs := galleryApp(t)
	page := newPage(t, app, "gallery", []string{})
	c := rawDial(t, url, http.Header{"Cookie": {"user=ann"}})
	c.joined(page.GetToken())
	_, tokens := grantsOf(t, ask(c, "u1", "photos", "cat.png:10:image/png", "reject.png:10:image/png"))
	tk, err := up.host.Verify(tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	f := livetemplate.UploadedFile{Name: "cat.png", Size: 10, ContentType: "image/png", Path: "/tmp/x"}
	for range 2 {
		if err := up.host.Complete(ctx, tk, f); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the handler ran %d times for one upload id", n)
	}
	c.expect(false, map[string]any{"type": "diff"})
	want := []string{"cat.png 10 image/png /tmp/x ann"}
	if got := page.Data().([]string); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("page %q; want %q", got, want)
	}
	tk2, err := up.host.Verify(tokens[1])
	if err != nil {
		t.Fatal(err)
	}
	f.Name = "reject.png"
	err = up.host.Complete(ctx, tk2, f)
	if !errors.Is(err, livetemplate.ErrUploadRejected) || err.Error() != "reject.png: no cats allowed" {
		t.Fatalf("rejected: %v", err)
	}
}

// TestUploadEventNotFromClient: the events that hand files to upload
// handlers carry a path; a client that sends one is refused, and no event
// handler can take their names.
func TestUploadEventNotFromClient(t *testing.T) {
	app, url, _, runs := galleryApp(t)
	c := rawDial(t, url, nil)
	c.joined(newPage(t, app, "gallery", []string{}).GetToken())
	c.send(`{"type":"event","id":"1","name":"lvt-upload:photos","data":{"n":"x","p":"/etc/passwd"}}`)
	c.expect(false, map[string]any{"type": "ack", "ok": false, "code": "unknown_event"})
	if runs.Load() != 0 {
		t.Fatal("a client's event ran an upload handler")
	}
	err := app.HandleEvent("gallery", "lvt-upload:photos", func(context.Context, *livetemplate.Page, livetemplate.Event) error { return nil })
	if err == nil {
		t.Fatal("HandleEvent took an upload's event name")
	}
}

func TestHandleUploadErrors(t *testing.T) {
	app, _, _, _ := galleryApp(t)
	h := func(context.Context, *livetemplate.Page, livetemplate.UploadedFile) error { return nil }
	if err := app.HandleUpload("nope", "x", livetemplate.UploadConfig{}, h); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
	for name, call := range map[string]func() error{
		"twice":    func() error { return app.HandleUpload("gallery", "photos", livetemplate.UploadConfig{}, h) },
		"no name":  func() error { return app.HandleUpload("gallery", "", livetemplate.UploadConfig{}, h) },
		"nil":      func() error { return app.HandleUpload("gallery", "x", livetemplate.UploadConfig{}, nil) },
		"negative": func() error { return app.HandleUpload("gallery", "x", livetemplate.UploadConfig{MaxSize: -1}, h) },
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUploadServerClosed(t *testing.T) {
	up := new(fakeUploads)
	app, err := livetemplate.NewApplication(livetemplate.WithUploads(up))
	if err != nil {
		t.Fatal(err)
	}
	if up.host == nil {
		t.Fatal("NewApplication did not start the upload server")
	}
	app.Close()
	if !up.closed.Load() {
		t.Fatal("Close did not close the upload server")
	}
}

func TestUploadConfigAccepts(t *testing.T) {
	c := livetemplate.UploadConfig{Accept: []string{"image/*", ".PDF", "text/csv"}}
	for _, tc := range []struct {
		name, typ string
		ok        bool
	}{
		{"a.png", "image/png", true},
		{"a.bin", "image/webp", true},
		{"a.pdf", "application/pdf", true},
		{"a.pdf", "application/octet-stream", true},
		{"A.PDF", "", true},
		{"a.png", "", true},
		{"a.exe", "", false},
		{"a.pdf", "image/png", true}, // image/* takes it
		{"a.pdf", "text/html; charset=utf-8", false},
		{"a.csv", "text/csv; charset=utf-8", true},
		{"a.exe", "application/octet-stream", false},
		{"cat.png", "application/x-msdownload", false},
		{"a.txt", "text/plain", false},
	} {
		if got := c.Accepts(tc.name, tc.typ); got != tc.ok {
			t.Errorf("Accepts(%q, %q) = %v, want %v", tc.name, tc.typ, got, tc.ok)
		}
	}
	if !(livetemplate.UploadConfig{}).Accepts("anything.exe", "application/x-msdownload") {
		t.Error("an empty Accept refuses a file")
	}
}

package upload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/upload"
)

// pngBytes returns n bytes that http.DetectContentType takes for a PNG.
func pngBytes(n int) []byte {
	b := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

// received is what the test handler saw of one file.
type received struct {
	f     livetemplate.UploadedFile
	bytes []byte
}

// fixture is an application with the template "gallery" and its upload
// "photos" (images and PDFs up to 1 MiB, 2 files), served with an upload
// server on a real HTTP server. The handler reads the file, rejects names
// starting "reject", moves those starting "keep" to fx.keep, and adds the
// name to the page.
type fixture struct {
	t    *testing.T
	app  *livetemplate.Application
	up   *upload.Server
	dir  string
	url  string
	page *livetemplate.Page

	header http.Header // the socket's handshake headers (cookies)
	keep   string      // where the handler moves files named keep*

	mu   sync.Mutex
	got  []received
	puts map[string]put // the presigned PUTs of the grants, by upload id
}

// put is a grant's presigned PUT.
type put struct {
	url    string
	header map[string]string
}

func newFixture(t *testing.T, appOpts []livetemplate.Option, upOpts ...upload.Option) *fixture {
	t.Helper()
	fx := &fixture{t: t, dir: t.TempDir(), keep: t.TempDir()}
	up, err := upload.New(fx.dir, upOpts...)
	if err != nil {
		t.Fatal(err)
	}
	fx.up = up
	opts := append([]livetemplate.Option{up.Option(), livetemplate.WithLogger(slog.New(slog.DiscardHandler))}, appOpts...)
	if fx.app, err = livetemplate.NewApplication(opts...); err != nil {
		t.Fatal(err)
	}
	tmpl := template.Must(template.New("gallery").Funcs(livetemplate.FuncMap()).Parse(`<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>`))
	if err := fx.app.RegisterTemplate("gallery", tmpl); err != nil {
		t.Fatal(err)
	}
	cfg := livetemplate.UploadConfig{Accept: []string{"image/*", ".pdf"}, MaxSize: 1 << 20, MaxFiles: 2}
	if err := fx.app.HandleUpload("gallery", "photos", cfg, fx.handle); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/live", fx.app.Handler())
	mux.Handle(upload.DefaultEndpoint, up)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		fx.app.Close()
		srv.Close()
	})
	fx.url = srv.URL
	if fx.page, err = fx.app.NewPage("gallery", []string{}); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *fixture) handle(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
	r, err := f.Reader(ctx)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return err
	}
	fx.mu.Lock()
	fx.got = append(fx.got, received{f, b})
	fx.mu.Unlock()
	if strings.HasPrefix(f.Name, "reject") {
		return errors.New(f.Name + ": no cats here")
	}
	if strings.HasPrefix(f.Name, "keep") {
		if err := os.Rename(f.Path, filepath.Join(fx.keep, f.Name)); err != nil {
			return err
		}
	}
	_, err = p.Modify(ctx, func(data any) (any, error) { return append(data.([]string), f.Name), nil })
	return err
}

func (fx *fixture) received() []received {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return append([]received(nil), fx.got...)
}

// grant joins the fixture's page over a real socket and asks to upload
// files of those names and sizes; it returns the grants' ids and tokens.
func (fx *fixture) grant(names []string, sizes []int) (ids, tokens []string) {
	fx.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(fx.url, "http")+"/live", &websocket.DialOptions{HTTPHeader: fx.header})
	if err != nil {
		fx.t.Fatal(err)
	}
	defer ws.CloseNow()
	var files []map[string]any
	for i, n := range names {
		files = append(files, map[string]any{"name": n, "size": sizes[i], "type": ""})
	}
	join, _ := json.Marshal(map[string]any{"type": "join", "token": fx.page.GetToken()})
	ask, _ := json.Marshal(map[string]any{"type": "upload", "ref": "u1", "name": "photos", "files": files})
	for _, m := range [][]byte{join, ask} {
		if err := ws.Write(ctx, websocket.MessageText, m); err != nil {
			fx.t.Fatal(err)
		}
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			fx.t.Fatal(err)
		}
		var m struct {
			Type, Code, Message string
			Files               []struct {
				ID, Token, Put string
				Headers        map[string]string
			}
		}
		json.Unmarshal(b, &m)
		switch m.Type {
		case "upload":
			fx.mu.Lock()
			defer fx.mu.Unlock()
			for _, f := range m.Files {
				ids, tokens = append(ids, f.ID), append(tokens, f.Token)
				if f.Put != "" {
					if fx.puts == nil {
						fx.puts = make(map[string]put)
					}
					fx.puts[f.ID] = put{f.Put, f.Headers}
				}
			}
			return ids, tokens
		case "error":
			fx.t.Fatalf("upload refused: %s", b)
		}
	}
}

// tus is a small tus 1.0.0 client of one upload.
type tus struct {
	t     *testing.T
	base  string // the server's URL
	token string
	loc   string // the upload's URL, once created
}

func (fx *fixture) tus(token string) *tus { return &tus{t: fx.t, base: fx.url, token: token} }

func (c *tus) do(method, url string, h map[string]string, body []byte) *http.Response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set(upload.TokenHeader, c.token)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// create creates the upload of size bytes.
func (c *tus) create(size int) *http.Response {
	c.t.Helper()
	resp := c.do("POST", c.base+upload.DefaultEndpoint, map[string]string{"Upload-Length": strconv.Itoa(size), "Upload-Metadata": "filename Y2F0LnBuZw=="}, nil)
	if resp.StatusCode == http.StatusCreated {
		c.loc = resp.Header.Get("Location")
		if strings.HasPrefix(c.loc, "/") {
			c.loc = c.base + c.loc
		}
	}
	return resp
}

func (c *tus) patch(offset int, chunk []byte) *http.Response {
	c.t.Helper()
	return c.do("PATCH", c.loc, map[string]string{"Upload-Offset": strconv.Itoa(offset), "Content-Type": "application/offset+octet-stream"}, chunk)
}

func (c *tus) head() *http.Response {
	c.t.Helper()
	return c.do("HEAD", c.loc, nil, nil)
}

// send creates the upload of b and sends it in chunks of n bytes; it
// returns the last answer.
func (c *tus) send(b []byte, n int) *http.Response {
	c.t.Helper()
	if resp := c.create(len(b)); resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("create: %s %s", resp.Status, resp.Header.Get(upload.ResultHeader))
	}
	var resp *http.Response
	for off := 0; off < len(b); off += n {
		resp = c.patch(off, b[off:min(off+n, len(b))])
		if resp.StatusCode != http.StatusNoContent {
			c.t.Fatalf("patch at %d: %s %s", off, resp.Status, resp.Header.Get(upload.ResultHeader))
		}
	}
	return resp
}

// files returns the names of the files in the upload directory.
func (fx *fixture) files() []string {
	fx.t.Helper()
	entries, err := os.ReadDir(fx.dir)
	if err != nil {
		fx.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// onlyResults checks that nothing but kept verdicts is left of uploads.
func (fx *fixture) onlyResults() {
	fx.t.Helper()
	for _, n := range fx.files() {
		if !strings.HasSuffix(n, ".result") {
			fx.t.Fatalf("files %q: %q is left", fx.files(), n)
		}
	}
}

func TestHappyPath(t *testing.T) {
	fx := newFixture(t, nil)
	ids, tokens := fx.grant([]string{"cat.png"}, []int{100_000})
	data := pngBytes(100_000)
	c := fx.tus(tokens[0])
	resp := c.send(data, 30_000)
	if got := resp.Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("result %q, want ok", got)
	}
	if !strings.HasSuffix(c.loc, "/"+ids[0]) {
		t.Fatalf("location %q: want the upload id %s", c.loc, ids[0])
	}
	got := fx.received()
	if len(got) != 1 || !bytes.Equal(got[0].bytes, data) {
		t.Fatalf("handler got %d files (want 1, with the bytes sent)", len(got))
	}
	f := got[0].f
	if f.ID != ids[0] || f.Upload != "photos" || f.Name != "cat.png" || f.Size != 100_000 || f.ContentType != "image/png" {
		t.Fatalf("handler got %+v", f)
	}
	if d := fx.page.Data().([]string); len(d) != 1 || d[0] != "cat.png" {
		t.Fatalf("page %q", d)
	}
	fx.onlyResults()
	if h := c.head(); h.StatusCode != http.StatusOK || h.Header.Get(upload.ResultHeader) != "ok" || h.Header.Get("Upload-Offset") != "100000" {
		t.Fatalf("HEAD of a completed upload: %s %q offset %q", h.Status, h.Header.Get(upload.ResultHeader), h.Header.Get("Upload-Offset"))
	}
}

// TestHandlerMovesFile: a file that the handler moves stays where it went.
func TestHandlerMovesFile(t *testing.T) {
	fx := newFixture(t, nil)
	_, tokens := fx.grant([]string{"keep.png"}, []int{5000})
	data := pngBytes(5000)
	if got := fx.tus(tokens[0]).send(data, 5000).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("result %q", got)
	}
	kept, err := os.ReadFile(filepath.Join(fx.keep, "keep.png"))
	if err != nil || !bytes.Equal(kept, data) {
		t.Fatalf("the moved file: %v", err)
	}
	fx.onlyResults()
}

// TestExactlyOnce: a final PATCH sent again (its answer was lost) gets the
// same verdict without running the handler again, on an accepted and on a
// rejected file; a repeated creation answers as the first.
func TestExactlyOnce(t *testing.T) {
	fx := newFixture(t, nil)
	_, tokens := fx.grant([]string{"cat.png", "reject.png"}, []int{1000, 1000})
	data := pngBytes(1000)
	for i, want := range []string{"ok", "rejected reject.png: no cats here"} {
		c := fx.tus(tokens[i])
		if got := c.send(data, 600).Header.Get(upload.ResultHeader); got != want {
			t.Fatalf("result %q, want %q", got, want)
		}
		again := c.patch(600, data[600:])
		if again.StatusCode != http.StatusNoContent || again.Header.Get(upload.ResultHeader) != want {
			t.Fatalf("repeated final PATCH: %s %q", again.Status, again.Header.Get(upload.ResultHeader))
		}
		if h := c.head(); h.Header.Get(upload.ResultHeader) != want {
			t.Fatalf("HEAD: %q", h.Header.Get(upload.ResultHeader))
		}
		if n := len(fx.received()); n != i+1 {
			t.Fatalf("the handler ran %d times for %d uploads", n, i+1)
		}
	}
	if d := fx.page.Data().([]string); len(d) != 1 {
		t.Fatalf("page %q: want the accepted file only", d)
	}
	fx.onlyResults()
}

// TestResume: the connection drops in the middle of a PATCH; HEAD gives
// the offset of the bytes received, and the upload goes on from there to
// the same file.
func TestResume(t *testing.T) {
	fx := newFixture(t, nil)
	_, tokens := fx.grant([]string{"cat.png"}, []int{200_000})
	data := pngBytes(200_000)
	c := fx.tus(tokens[0])
	c.create(len(data))
	dropMidPatch(t, c, data, 120_000)
	off, _ := strconv.Atoi(c.head().Header.Get("Upload-Offset"))
	if off <= 0 || off > 120_000 {
		t.Fatalf("offset after the drop: %d, want some of the 120000 bytes sent", off)
	}
	if r := c.patch(off, data[off:]); r.Header.Get(upload.ResultHeader) != "ok" {
		t.Fatalf("resumed: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	if got := fx.received(); len(got) != 1 || !bytes.Equal(got[0].bytes, data) {
		t.Fatal("the resumed file differs from the one sent")
	}
}

// TestResumeAfterSilentDrop: a client whose connection died without a word
// (its PATCH still waits for bytes on the server) resumes at once: its HEAD
// stops the stale PATCH instead of waiting for the network timeout, and
// learns every byte that reached the server.
func TestResumeAfterSilentDrop(t *testing.T) {
	fx := newFixture(t, nil)
	_, tokens := fx.grant([]string{"cat.png"}, []int{200_000})
	data := pngBytes(200_000)
	c := fx.tus(tokens[0])
	c.create(len(data))
	conn := startPatch(t, c, data, 120_000)
	defer conn.Close()
	time.Sleep(100 * time.Millisecond) // the server reads what was sent
	start := time.Now()
	off, _ := strconv.Atoi(c.head().Header.Get("Upload-Offset"))
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the HEAD waited %v for the stale PATCH", waited)
	}
	if off != 120_000 {
		t.Fatalf("offset after the silent drop: %d, want the 120000 bytes sent", off)
	}
	if r := c.patch(off, data[off:]); r.Header.Get(upload.ResultHeader) != "ok" {
		t.Fatalf("resumed: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
}

// TestResumeRightAfterDrop: clients that drop a PATCH at once, in every
// phase of its start, and ask HEAD at once, each get a usable offset (under
// -race: no race in tusd's handling of an interrupted request, whose
// context ending raced with the PATCH setting up its body in tusd v2.9.1).
func TestResumeRightAfterDrop(t *testing.T) {
	fx := newFixture(t, nil)
	const size = 50_000
	_, tokens := fx.grant([]string{"cat.png"}, []int{size})
	data := pngBytes(size)
	c := fx.tus(tokens[0])
	c.create(size)
	off := 0
	for i := 0; i < 40 && off < size/2; i++ {
		conn := startPatch(t, c, data[off:], 0)
		conn.(*net.TCPConn).SetLinger(0) // a reset, as a dropped network gives
		conn.Close()
		h := c.head()
		got, err := strconv.Atoi(h.Header.Get("Upload-Offset"))
		if err != nil || got < off {
			t.Fatalf("round %d: HEAD: %s %v, offset %d after %d", i, h.Status, h.Header, got, off)
		}
		off = got
		if r := c.patch(off, data[off:off+100]); r.StatusCode != http.StatusNoContent {
			t.Fatalf("round %d: patch: %s %v", i, r.Status, r.Header)
		}
		off += 100
	}
	if r := c.patch(off, data[off:]); r.Header.Get(upload.ResultHeader) != "ok" {
		t.Fatalf("last patch: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
}

// startPatch starts a PATCH of rest (from the upload's offset now) over a
// raw TCP connection and sends its first sent bytes only.
func startPatch(t *testing.T, c *tus, rest []byte, sent int) net.Conn {
	t.Helper()
	off := c.head().Header.Get("Upload-Offset")
	addr := strings.TrimPrefix(c.base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(c.loc, c.base)
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\n%s: %s\r\nUpload-Offset: %s\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		path, addr, upload.TokenHeader, c.token, off, len(rest))
	conn.Write(rest[:sent])
	return conn
}

// dropMidPatch sends a PATCH of all of data from offset 0 over a raw TCP
// connection, but only its first sent bytes, then closes the connection.
func dropMidPatch(t *testing.T, c *tus, data []byte, sent int) {
	t.Helper()
	addr := strings.TrimPrefix(c.base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(c.loc, c.base)
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\n%s: %s\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		path, addr, upload.TokenHeader, c.token, len(data))
	conn.Write(data[:sent])
	time.Sleep(100 * time.Millisecond) // the server reads what was sent
	conn.Close()
}

// TestBadRequests: sizes and offsets that do not fit the upload get their
// codes, and the upload still completes.
func TestBadRequests(t *testing.T) {
	fx := newFixture(t, nil)
	_, tokens := fx.grant([]string{"cat.png"}, []int{1000})
	data := pngBytes(1000)
	c := fx.tus(tokens[0])
	for size, status := range map[int]int{1001: http.StatusRequestEntityTooLarge, 999: http.StatusBadRequest} {
		if r := c.create(size); r.StatusCode != status {
			t.Errorf("Upload-Length %d: %s, want %d", size, r.Status, status)
		}
	}
	if r := c.create(1000); r.StatusCode != http.StatusCreated {
		t.Fatalf("create: %s", r.Status)
	}
	if r := c.create(1000); r.StatusCode != http.StatusCreated || !strings.HasSuffix(c.loc, r.Header.Get("Location")) {
		t.Fatalf("repeated create: %s %q", r.Status, r.Header.Get("Location"))
	}
	if r := c.patch(0, pngBytes(1001)); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized PATCH: %s, want 413", r.Status)
	}
	if r := c.patch(10, data[10:]); r.StatusCode != http.StatusConflict {
		t.Errorf("wrong offset: %s, want 409", r.Status)
	}
	if r := c.patch(0, data[:500]); r.StatusCode != http.StatusNoContent || r.Header.Get("Upload-Offset") != "500" {
		t.Fatalf("first half: %s offset %q", r.Status, r.Header.Get("Upload-Offset"))
	}
	if r := c.patch(0, data[:500]); r.StatusCode != http.StatusConflict {
		t.Errorf("the first half again: %s, want 409", r.Status)
	}
	if r := c.patch(500, data[500:]); r.Header.Get(upload.ResultHeader) != "ok" {
		t.Fatalf("second half: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	if r := c.patch(0, data[:500]); r.StatusCode != http.StatusConflict || len(fx.received()) != 1 {
		t.Fatalf("a PATCH of a completed upload from 0: %s, %d runs", r.Status, len(fx.received()))
	}
}

// TestTokens: forged, missing, other uploads' and expired tokens are
// refused with their codes; an expired upload's files are deleted.
func TestTokens(t *testing.T) {
	fx := newFixture(t, []livetemplate.Option{livetemplate.WithUploadTokenTTL(time.Second)})
	_, tokens := fx.grant([]string{"cat.png", "dog.png"}, []int{1000, 1000})
	c := fx.tus(tokens[0])
	c.create(1000)
	c.patch(0, pngBytes(1000)[:300])
	forged := strings.Split(tokens[0], ".")[0] + "." + strings.Split(tokens[1], ".")[1]
	for name, tok := range map[string]string{"forged": forged, "missing": "", "page token": fx.page.GetToken()} {
		bad := *c
		bad.token = tok
		if r := bad.head(); r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get(upload.ResultHeader), "invalid_upload_token ") {
			t.Errorf("%s token: %s %q", name, r.Status, r.Header.Get(upload.ResultHeader))
		}
	}
	other := *c
	other.token = tokens[1]
	if r := other.head(); r.StatusCode != http.StatusNotFound {
		t.Errorf("another upload's token: %s, want 404", r.Status)
	}
	time.Sleep(time.Until(time.Now().Add(time.Second)))
	if r := c.patch(300, pngBytes(1000)[300:]); r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get(upload.ResultHeader), "expired_upload_token ") {
		t.Fatalf("expired token: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	if len(fx.files()) != 0 || len(fx.received()) != 0 {
		t.Fatalf("after expiry: files %q, %d runs", fx.files(), len(fx.received()))
	}
}

// TestClosedPage: a request for an upload of a closed page gets 410 and
// deletes the file; the sweeper deletes those that no request comes for.
func TestClosedPage(t *testing.T) {
	fx := newFixture(t, nil, upload.WithSweepInterval(20*time.Millisecond))
	_, tokens := fx.grant([]string{"cat.png", "dog.png"}, []int{1000, 1000})
	a, b := fx.tus(tokens[0]), fx.tus(tokens[1])
	for _, c := range []*tus{a, b} {
		c.create(1000)
		c.patch(0, pngBytes(500))
	}
	fx.page.Close()
	if r := a.patch(500, pngBytes(1000)[500:]); r.StatusCode != http.StatusGone || !strings.HasPrefix(r.Header.Get(upload.ResultHeader), "page_closed ") {
		t.Fatalf("upload of a closed page: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(fx.files()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(fx.files()) > 0 || len(fx.received()) > 0 {
		t.Fatalf("files %q left, %d runs", fx.files(), len(fx.received()))
	}
}

// TestCancel: DELETE deletes the file, frees the room of the upload in the
// limits, and the upload is gone.
func TestCancel(t *testing.T) {
	fx := newFixture(t, []livetemplate.Option{livetemplate.WithUploadLimits(livetemplate.UploadLimits{Files: 1})})
	_, tokens := fx.grant([]string{"cat.png"}, []int{1000})
	c := fx.tus(tokens[0])
	c.create(1000)
	c.patch(0, pngBytes(400))
	if r := c.do("DELETE", c.loc, nil, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %s", r.Status)
	}
	if len(fx.files()) != 0 {
		t.Fatalf("files after cancel: %q", fx.files())
	}
	if r := c.head(); r.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD after cancel: %s", r.Status)
	}
	fx.grant([]string{"dog.png"}, []int{1000}) // fails if the cancelled upload holds its room
}

// TestSniffing: a file whose bytes are not of an accepted type is refused
// whatever its name, without running the handler.
func TestSniffing(t *testing.T) {
	fx := newFixture(t, nil)
	_, tokens := fx.grant([]string{"cat.png", "doc.pdf"}, []int{1000, 1000})
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 986)...)
	if got := fx.tus(tokens[0]).send(exe, 1000).Header.Get(upload.ResultHeader); got != "upload_refused cat.png: type not accepted" {
		t.Fatalf("an executable named cat.png: %q", got)
	}
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 991)...)
	if got := fx.tus(tokens[1]).send(pdf, 1000).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("a PDF: %q", got)
	}
	if got := fx.received(); len(got) != 1 || got[0].f.ContentType != "application/pdf" {
		t.Fatalf("handler got %d files", len(got))
	}
	fx.onlyResults()
}

func TestOptions(t *testing.T) {
	for name, opt := range map[string]upload.Option{
		"endpoint without slash": upload.WithEndpoint("/up"),
		"sweep interval 0":       upload.WithSweepInterval(0),
	} {
		if _, err := upload.New(t.TempDir(), opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	up, err := upload.New(t.TempDir(), upload.WithEndpoint("/files/"))
	if err != nil || up.Endpoint() != "/files/" {
		t.Fatalf("WithEndpoint: %v %q", err, up.Endpoint())
	}
}

package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The browser tests of the upload chunk (uploadchunk.ts, uploadtus.ts): the
// chunk runs in Chromium with a stand-in for the client (its host answers
// upload asks as the server does) and sends files with tus to tusServer, a
// tus 1.0.0 server in this file that can fail on cue.

// tusFile is one upload on tusServer.
type tusFile struct {
	ticket  livetemplate.UploadTicket // with an application
	name    string
	size    int64
	data    []byte
	read    int64           // bytes read from PATCH bodies, resent ones too
	patches []int64         // the Content-Length of each PATCH
	took    []time.Duration // how long the server took to read each
	fails   int             // injected failures so far
	verdict string          // the application's, once it has the file
}

// tusServer serves tus 1.0.0 (core, creation, termination) at /up/. A file
// whose token is not "tok:" + its name is refused. By the file's name:
// flaky* gets a 503 for its first PATCH, drop* has its first PATCH's
// connection cut after 3 MiB, slow* is read slowly, reject* is refused by
// "the app" when complete.
type tusServer struct {
	mu      sync.Mutex               // guards everything below
	host    *livetemplate.UploadHost // tokens and completions are the application's, once started as its UploadServer
	files   map[string]*tusFile
	n       int
	posts   int
	deleted []string
	dir     string // where complete files are handed over
}

func newTusServer(t *testing.T) *tusServer {
	return &tusServer{files: make(map[string]*tusFile), dir: t.TempDir()}
}

func (s *tusServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Tus-Resumable", "1.0.0")
	if r.Header.Get("Tus-Resumable") != "1.0.0" {
		http.Error(w, "bad_request: Tus-Resumable", http.StatusPreconditionFailed)
		return
	}
	if r.Method == http.MethodPost {
		s.create(w, r)
		return
	}
	s.mu.Lock()
	id := strings.TrimPrefix(r.URL.Path, "/up/")
	f := s.files[id]
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "unknown_upload", http.StatusNotFound)
		return
	}
	if !s.allowed(r, f) {
		http.Error(w, "invalid_upload_token", http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodHead:
		s.mu.Lock()
		off := len(f.data)
		s.mu.Unlock()
		w.Header().Set("Upload-Offset", strconv.Itoa(off))
		w.Header().Set("Upload-Length", strconv.FormatInt(f.size, 10))
		s.result(w, f, int64(off))
	case http.MethodPatch:
		s.patch(w, r, f)
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.files, id)
		s.deleted = append(s.deleted, f.name)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (s *tusServer) create(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	name := ""
	for _, kv := range strings.Split(r.Header.Get("Upload-Metadata"), ",") {
		if k, v, _ := strings.Cut(kv, " "); k == "filename" {
			b, _ := base64.StdEncoding.DecodeString(v)
			name = string(b)
		}
	}
	f := &tusFile{name: name, size: size}
	if err != nil || name == "" || !s.allowed(r, f) {
		http.Error(w, "invalid_upload_token", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.n++
	s.posts++
	id := strconv.Itoa(s.n)
	s.files[id] = f
	s.mu.Unlock()
	w.Header().Set("Location", id) // relative to the endpoint, as tus allows
	w.WriteHeader(http.StatusCreated)
}

func (s *tusServer) patch(w http.ResponseWriter, r *http.Request, f *tusFile) {
	start := time.Now()
	s.mu.Lock()
	f.patches = append(f.patches, r.ContentLength)
	off := int64(len(f.data))
	first := f.fails == 0
	if first && (strings.HasPrefix(f.name, "flaky") || strings.HasPrefix(f.name, "drop")) {
		f.fails++
	}
	s.mu.Unlock()
	if r.Header.Get("Upload-Offset") != strconv.FormatInt(off, 10) {
		http.Error(w, "wrong_offset", http.StatusConflict)
		return
	}
	if first && strings.HasPrefix(f.name, "flaky") {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	limit := f.size - off
	if first && strings.HasPrefix(f.name, "drop") {
		limit = min(limit, 3<<20)
	}
	buf := make([]byte, 32<<10)
	body := io.LimitReader(r.Body, limit)
	for {
		n, err := body.Read(buf)
		s.mu.Lock()
		f.data = append(f.data, buf[:n]...)
		f.read += int64(n)
		off = int64(len(f.data))
		s.mu.Unlock()
		if err != nil {
			break
		}
		if strings.HasPrefix(f.name, "slow") {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if first && strings.HasPrefix(f.name, "drop") {
		panic(http.ErrAbortHandler) // the connection drops mid-request
	}
	s.mu.Lock()
	f.took = append(f.took, time.Since(start))
	s.mu.Unlock()
	w.Header().Set("Upload-Offset", strconv.FormatInt(off, 10))
	s.result(w, f, off)
	w.WriteHeader(http.StatusNoContent)
}

// allowed checks the request's upload token: "tok:" + the file's name, or
// with an application, one it issued for this file (its ticket is kept).
func (s *tusServer) allowed(r *http.Request, f *tusFile) bool {
	tok := r.Header.Get("LiveTemplate-Upload")
	s.mu.Lock()
	h := s.host
	s.mu.Unlock()
	if h == nil {
		return tok == "tok:"+f.name
	}
	t, err := h.Verify(tok)
	if err != nil || t.Size != f.size || (f.ticket.ID != "" && t.ID != f.ticket.ID) {
		return false
	}
	s.mu.Lock()
	f.ticket = t
	s.mu.Unlock()
	return true
}

// result sets the app's verdict on a complete file.
func (s *tusServer) result(w http.ResponseWriter, f *tusFile, off int64) {
	if off < f.size {
		return
	}
	s.mu.Lock()
	h := s.host
	s.mu.Unlock()
	if h != nil {
		w.Header().Set("LiveTemplate-Upload-Result", s.complete(h, f))
		return
	}
	if strings.HasPrefix(f.name, "reject") {
		w.Header().Set("LiveTemplate-Upload-Result", "rejected too dull")
	} else {
		w.Header().Set("LiveTemplate-Upload-Result", "ok")
	}
}

// complete hands the file to the application, once, and returns its verdict.
func (s *tusServer) complete(h *livetemplate.UploadHost, f *tusFile) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.verdict != "" {
		return f.verdict
	}
	path := filepath.Join(s.dir, f.ticket.ID)
	if err := os.WriteFile(path, f.data, 0o600); err != nil {
		return "upload_refused " + err.Error()
	}
	err := h.Complete(context.Background(), f.ticket, livetemplate.UploadedFile{Name: f.name, Size: f.size, ContentType: http.DetectContentType(f.data), Path: path})
	switch {
	case err == nil:
		f.verdict = "ok"
	case errors.Is(err, livetemplate.ErrUploadRejected):
		f.verdict = "rejected " + err.Error()
	default:
		f.verdict = "upload_refused " + err.Error()
	}
	return f.verdict
}

// Endpoint, Start and Close make the server an application's UploadServer.
func (s *tusServer) Endpoint() string { return "/up/" }

func (s *tusServer) Start(h *livetemplate.UploadHost) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.host = h
	return nil
}

func (s *tusServer) Close() error { return nil }

// file returns the upload of name: its bytes and how many were read.
func (s *tusServer) file(name string) (data []byte, read int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		if f.name == name {
			return f.data, f.read, true
		}
	}
	return nil, 0, false
}

// patchesOf returns the lengths of the PATCHes of the file name, and how
// long the server took to read each.
func (s *tusServer) patchesOf(name string) ([]int64, []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		if f.name == name {
			return slices.Clone(f.patches), slices.Clone(f.took)
		}
	}
	return nil, nil
}

// uploadPage runs the chunk with a host that answers asks as the server does
// (refused.txt is refused), and logs its events on window.log.
const uploadPage = `<!doctype html><title>upload</title>
<div data-lvt-root>
<input type="file" id="pick" lvt-upload="photos" multiple>
<div id="zone" lvt-upload-drop="photos">drop here</div>
<progress id="total" lvt-upload-progress="photos"></progress>
<p id="err" lvt-upload-error="photos"></p>
<ul id="list" lvt-upload-list="photos"></ul>
<form id="form" lvt-submit="send"><input name="title" value="t"><input type="file" id="later" lvt-upload="later"><button id="go">Send</button></form>
<ul id="list2" lvt-upload-list="later"></ul>
</div>
<script type="module">
const chunk = await import("/livetemplate.js?upload");
const root = document.querySelector("[data-lvt-root]");
if (location.hash === "#later") { window.ready = true; await new Promise((go) => window.begin = go); } // files are chosen first
window.log = []; window.asks = []; window.progress = 0; window.open = true;
const specs = {photos: {accept: ["image/*", ".txt", ".bin"], max_size: 30 << 20, max_files: 3, auto: true}, later: {auto: false}};
const answer = (m) => m.files.some((f) => f.name === "refused.txt")
  ? {type: "error", ref: m.ref, code: "upload_refused", message: "refused.txt: not today"}
  : {type: "upload", ref: m.ref, endpoint: "/up/", files: m.files.map((f) => ({id: "up_" + f.name, token: "tok:" + f.name}))};
const sink = chunk.start({root, specs: () => specs, send(m) {
  if (!window.open) return false;
  window.asks.push(m);
  setTimeout(() => sink.frame(answer(m)));
  return true;
}});
for (const t of ["lvt:upload-done", "lvt:upload-error"]) root.addEventListener(t, (e) =>
  log.push(t.slice(11) + ":" + e.detail.name + ":" + (e.detail.file ? e.detail.file.name : "") + ":" + (e.detail.result ? e.detail.result.code : e.detail.code)));
root.addEventListener("lvt:upload-progress", () => window.progress++);
document.addEventListener("submit", (e) => { e.preventDefault(); log.push("submit:" + document.querySelectorAll("#list2 [data-lvt-upload-state=done]").length); });
window.sink = sink;
window.ready = true;
</script>`

// testFiles writes files of the given sizes by name into a temporary directory.
func testFiles(t *testing.T, sizes map[string]int) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := make(map[string]string)
	for name, n := range sizes {
		b := make([]byte, n)
		rand.Read(b)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

func choose(t *testing.T, tab *browsertest.Tab, sel string, paths ...string) {
	t.Helper()
	if err := chromedp.Do(tab.Context(), chromedp.SetUploadFiles(chromedp.CSS(sel), paths)); err != nil {
		t.Fatal(err)
	}
}

func sameFile(t *testing.T, tus *tusServer, name, path string) int64 {
	t.Helper()
	want, _ := os.ReadFile(path)
	got, read, ok := tus.file(name)
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("%s on the server: %d bytes (ok %v), want the file's %d", name, len(got), ok, len(want))
	}
	return read
}

func TestUploadChunk(t *testing.T) {
	tus := newTusServer(t)
	srv := testServer(t, nil, map[string]http.Handler{"GET /upload": htmlHandler(uploadPage), "/up/": tus})
	b := browsertest.Start(t)
	files := testFiles(t, map[string]int{
		"big.bin": 20 << 20, "drop.bin": 12 << 20, "flaky.txt": 1 << 20, "reject.txt": 100, "slow.bin": 8 << 20,
		"bad.exe": 10, "huge.txt": 31 << 20, "refused.txt": 10, "a.txt": 10, "b.txt": 10, "c.txt": 10, "d.txt": 10,
	})
	open := func(t *testing.T) *browsertest.Tab {
		tab := b.Tab(t)
		tab.Navigate(srv.URL + "/upload")
		tab.WaitFor("window.ready", 10*time.Second)
		return tab
	}
	logHas := func(tab *browsertest.Tab, entry string) string {
		return fmt.Sprintf("window.log.includes(%q)", entry)
	}

	t.Run("chunked, with progress", func(t *testing.T) {
		tab := open(t)
		choose(t, tab, "#pick", files["big.bin"])
		tab.WaitFor(logHas(tab, "done:photos:big.bin:ok"), 30*time.Second)
		if read := sameFile(t, tus, "big.bin", files["big.bin"]); read != 20<<20 {
			t.Errorf("big.bin: %d bytes read, want each once", read)
		}
		// 8 MiB first, then at most twice the one before; after a fast one
		// (well under the client's second), twice: the 12 MiB left.
		patches, took := tus.patchesOf("big.bin")
		for i, n := range patches {
			if i == 0 && n != 8<<20 || i > 0 && n > 2*patches[i-1] {
				t.Errorf("big.bin's PATCHes: %v bytes, want 8 MiB first, then at most twice the one before", patches)
				break
			}
		}
		if len(took) > 0 && took[0] < 300*time.Millisecond && (len(patches) < 2 || patches[1] != 12<<20) {
			t.Errorf("big.bin's PATCHes: %v bytes, the first read in %v: want the rest in the second", patches, took[0])
		}
		got := browsertest.MustEval[[]string](tab, `[document.querySelector("#list li").getAttribute("data-lvt-upload-state"),
			document.querySelector("#list li progress").value + "/" + document.querySelector("#list li progress").max,
			document.querySelector("#total").value + "/" + document.querySelector("#total").max,
			document.querySelector("#pick").getAttribute("data-lvt-upload-percent"),
			document.querySelector("#list li").style.getPropertyValue("--lvt-upload-progress"),
			String(window.progress >= 3)]`)
		want := []string{"done", "20971520/20971520", "20971520/20971520", "100", "1", "true"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("after the upload: %q, want %q", got, want)
		}
	})

	t.Run("resumes after a drop and a 503", func(t *testing.T) {
		tab := open(t)
		choose(t, tab, "#pick", files["drop.bin"], files["flaky.txt"])
		tab.WaitFor(logHas(tab, "done:photos:drop.bin:ok")+" && "+logHas(tab, "done:photos:flaky.txt:ok"), 30*time.Second)
		if read := sameFile(t, tus, "drop.bin", files["drop.bin"]); read != 12<<20 {
			t.Errorf("drop.bin: %d bytes read, want each once: the upload goes on from the server's offset", read)
		}
		sameFile(t, tus, "flaky.txt", files["flaky.txt"])
	})

	t.Run("refused before a byte", func(t *testing.T) {
		tab := open(t)
		tus.mu.Lock()
		posts := tus.posts
		tus.mu.Unlock()
		for _, c := range []struct {
			paths []string
			msg   string
		}{
			{[]string{files["bad.exe"]}, "bad.exe: type not accepted"},
			{[]string{files["huge.txt"]}, "huge.txt: larger than 31 MB"},
			{[]string{files["a.txt"], files["b.txt"], files["c.txt"], files["d.txt"]}, "at most 3 files"},
		} {
			choose(t, tab, "#pick", c.paths...)
			tab.WaitFor(fmt.Sprintf("document.querySelector('#err').textContent.includes(%q)", c.msg), 5*time.Second)
		}
		if n := browsertest.MustEval[int](tab, "window.asks.length"); n != 0 {
			t.Errorf("%d asks sent for refused files", n)
		}
		choose(t, tab, "#pick", files["refused.txt"]) // the server refuses it
		tab.WaitFor("document.querySelector('#err').textContent === 'refused.txt: not today'", 5*time.Second)
		tab.WaitFor(logHas(tab, "error:photos:refused.txt:upload_refused"), 5*time.Second)
		tus.mu.Lock()
		defer tus.mu.Unlock()
		if tus.posts != posts {
			t.Errorf("%d POSTs for refused files", tus.posts-posts)
		}
	})

	t.Run("rejected by the app", func(t *testing.T) {
		tab := open(t)
		choose(t, tab, "#pick", files["reject.txt"])
		tab.WaitFor(logHas(tab, "done:photos:reject.txt:rejected"), 10*time.Second)
		got := browsertest.MustEval[string](tab, `document.querySelector("#list li").getAttribute("data-lvt-upload-state") + ": " + document.querySelector("#list li [data-lvt-upload-message]").textContent`)
		if got != "rejected: too dull" {
			t.Errorf("the entry shows %q", got)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		tab := open(t)
		choose(t, tab, "#pick", files["slow.bin"])
		tab.WaitFor(`+document.querySelector("#list li")?.getAttribute("data-lvt-upload-loaded") > 0`, 10*time.Second)
		browsertest.MustEval[bool](tab, `document.querySelector("#list li [lvt-upload-cancel]").click(), true`)
		tab.WaitFor(logHas(tab, "error:photos:slow.bin:canceled"), 5*time.Second)
		deadline := time.Now().Add(5 * time.Second)
		for {
			tus.mu.Lock()
			gone := strings.Contains(strings.Join(tus.deleted, " "), "slow.bin")
			tus.mu.Unlock()
			if gone {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no DELETE for the canceled upload")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if s := browsertest.MustEval[string](tab, `document.querySelector("#list li").getAttribute("data-lvt-upload-state")`); s != "canceled" {
			t.Errorf("the entry's state is %q", s)
		}
	})

	t.Run("drop and paste, with previews", func(t *testing.T) {
		tab := open(t)
		browsertest.MustEval[bool](tab, `(() => {
			const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
			const dt = new DataTransfer();
			dt.items.add(new File([png], "dropped.png", {type: "image/png"}));
			const zone = document.querySelector("#zone");
			zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
			window.over = zone.hasAttribute("data-lvt-upload-over");
			zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
			const p = new DataTransfer();
			p.items.add(new File(["hello"], "pasted.txt", {type: "text/plain"}));
			document.body.dispatchEvent(new ClipboardEvent("paste", {clipboardData: p, bubbles: true, cancelable: true}));
			return true;
		})()`)
		tab.WaitFor(logHas(tab, "done:photos:dropped.png:ok")+" && "+logHas(tab, "done:photos:pasted.txt:ok"), 10*time.Second)
		if !browsertest.MustEval[bool](tab, "window.over") {
			t.Error("no data-lvt-upload-over while dragging over the zone")
		}
		src := browsertest.MustEval[string](tab, `document.querySelector("#list li img")?.src ?? ""`)
		if !strings.HasPrefix(src, "blob:") {
			t.Fatalf("the dropped image's preview is %q", src)
		}
		if ok := browsertest.MustEval[bool](tab, fmt.Sprintf(`fetch(%q).then(() => true, () => false)`, src)); !ok {
			t.Fatal("the preview's URL does not load")
		}
		// A new choice replaces the entries that ended, and frees their previews.
		choose(t, tab, "#pick", files["a.txt"])
		tab.WaitFor(logHas(tab, "done:photos:a.txt:ok"), 10*time.Second)
		if ok := browsertest.MustEval[bool](tab, fmt.Sprintf(`fetch(%q).then(() => true, () => false)`, src)); ok {
			t.Error("the preview's object URL was not revoked")
		}
	})

	t.Run("on submit", func(t *testing.T) {
		tab := open(t)
		choose(t, tab, "#later", files["b.txt"])
		if n := browsertest.MustEval[int](tab, "window.asks.length"); n != 0 {
			t.Fatalf("auto false: %d asks before the submit", n)
		}
		browsertest.MustEval[bool](tab, `document.querySelector("#go").click(), true`)
		tab.WaitFor(logHas(tab, "submit:1"), 10*time.Second)
		if got := browsertest.MustEval[string](tab, `window.log.join(" ")`); got != "done:later:b.txt:ok submit:1" {
			t.Errorf("log %q, want the upload, then the form's submit", got)
		}
	})

	t.Run("chosen before the chunk started", func(t *testing.T) {
		tab := b.Tab(t)
		tab.Navigate(srv.URL + "/upload#later")
		tab.WaitFor("window.ready", 10*time.Second)
		choose(t, tab, "#pick", files["d.txt"])
		browsertest.MustEval[bool](tab, "window.begin(), true")
		tab.WaitFor(logHas(tab, "done:photos:d.txt:ok"), 10*time.Second)
	})

	t.Run("asked again on a new connection", func(t *testing.T) {
		tab := open(t)
		browsertest.MustEval[bool](tab, "window.open = false")
		choose(t, tab, "#pick", files["c.txt"])
		time.Sleep(100 * time.Millisecond)
		if s := browsertest.MustEval[string](tab, `document.querySelector("#list li").getAttribute("data-lvt-upload-state")`); s != "asking" {
			t.Fatalf("without a connection the entry is %q", s)
		}
		browsertest.MustEval[bool](tab, "window.open = true, window.sink.connected(), true")
		tab.WaitFor(logHas(tab, "done:photos:c.txt:ok"), 10*time.Second)
	})
}

// liveStandIn is a stand-in for the live endpoint, enough for uploads: it
// answers a join with joined (the page's uploads declared), a ping with a
// pong, and an upload ask with a token per file, except the first ask of a
// file named stall*, which it never answers. It keeps the asks it got.
type liveStandIn struct {
	mu    sync.Mutex // guards the fields below
	conns int
	asks  []string // page + " " + file name
}

func (e *liveStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, Subprotocols: []string{"livetemplate"}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	e.mu.Lock()
	e.conns++
	e.mu.Unlock()
	for {
		_, data, err := c.Read(r.Context())
		if err != nil {
			return
		}
		if reply := e.answer(data); reply != nil {
			write(r.Context(), c, websocket.MessageText, reply)
		}
	}
}

func (e *liveStandIn) answer(data []byte) []byte {
	var m struct {
		Type, Page, Ref, Name string
		Files                 []struct{ Name string }
	}
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	var out map[string]any
	switch m.Type {
	case "ping":
		out = map[string]any{"type": "pong"}
	case "join":
		out = map[string]any{"type": "joined", "page": m.Page, "v": 1, "uploads": map[string]any{"photos": map[string]any{"max_files": 2, "auto": true}}}
	case "upload":
		e.mu.Lock()
		first := true
		for _, a := range e.asks {
			first = first && !strings.HasSuffix(a, " "+m.Files[0].Name)
		}
		e.asks = append(e.asks, m.Page+" "+m.Files[0].Name)
		e.mu.Unlock()
		if first && strings.HasPrefix(m.Files[0].Name, "stall") {
			return nil
		}
		files := []map[string]string{}
		for _, f := range m.Files {
			files = append(files, map[string]string{"id": "up_" + f.Name, "token": "tok:" + f.Name})
		}
		out = map[string]any{"type": "upload", "page": m.Page, "ref": m.Ref, "endpoint": "/up/", "files": files}
	default:
		return nil
	}
	b, _ := json.Marshal(out)
	return b
}

// liveUploadPage is a live page with an upload input, joined by the real client.
const liveUploadPage = `<!doctype html><title>live upload</title>
<div data-lvt-root><input type="file" id="pick" lvt-upload="photos"><ul lvt-upload-list="photos" lvt-ignore></ul></div>
<script>
window.log = [];
for (const t of ["lvt:upload-done", "lvt:upload-error"]) document.addEventListener(t, (e) => log.push(t.slice(11) + ":" + e.detail.file.name + ":" + (e.detail.result ? e.detail.result.code : e.detail.code)));
</script>
<script src="/livetemplate.js" data-live="/live" data-token="t1" data-version="1" defer></script>`

// TestUploadTabs uploads from two tabs of one browser that share the leader's
// connection: the asks of both go on it and their answers come back to the
// tab that asked; then the leading tab closes mid-upload. The follower's
// upload goes on over HTTP and completes, the ask it had sent without an
// answer is asked again on the new leader's connection, and the closed tab's
// upload stops where it was.
func TestUploadTabs(t *testing.T) {
	tus := newTusServer(t)
	live := &liveStandIn{}
	srv := testServer(t, nil, map[string]http.Handler{"GET /page": htmlHandler(liveUploadPage), "/up/": tus, "/live": live})
	b := browsertest.Start(t)
	files := testFiles(t, map[string]int{"slow.bin": 8 << 20, "slowlead.bin": 8 << 20, "stall.txt": 10})
	open := func() *browsertest.Tab {
		tab := b.Tab(t)
		tab.Navigate(srv.URL + "/page")
		tab.WaitFor(`window.liveTemplate?.status === "connected"`, 10*time.Second)
		return tab
	}
	lead := open()
	follow := open()
	follow.WaitFor(`window.liveTemplate.leader.leader !== "" && window.liveTemplate.leader.leader !== window.liveTemplate.leader.tab`, 10*time.Second)
	choose(t, lead, "#pick", files["slowlead.bin"])
	choose(t, follow, "#pick", files["slow.bin"])
	choose(t, follow, "#pick", files["stall.txt"])
	for _, tab := range []*browsertest.Tab{lead, follow} {
		tab.WaitFor(`+document.querySelector("li")?.getAttribute("data-lvt-upload-loaded") > 0`, 10*time.Second)
	}
	live.mu.Lock()
	conns, asks := live.conns, strings.Join(live.asks, ",")
	live.mu.Unlock()
	if conns != 1 || strings.Count(asks, "~") != 3 || !strings.Contains(asks, "stall.txt") {
		t.Fatalf("%d connections, asks %s: want the three asks of both tabs on one", conns, asks)
	}
	lead.Close()
	follow.WaitFor(`window.log.includes("done:slow.bin:ok") && window.log.includes("done:stall.txt:ok")`, 30*time.Second)
	sameFile(t, tus, "slow.bin", files["slow.bin"])
	if data, _, _ := tus.file("slowlead.bin"); len(data) >= 8<<20 {
		t.Error("the closed tab's upload completed")
	}
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.conns != 2 || strings.Count(strings.Join(live.asks, ","), "stall.txt") != 2 {
		t.Errorf("%d connections, asks %v: want the stalled ask again on the new leader's", live.conns, live.asks)
	}
}

// gallery is the page of TestUploadLive: the files its upload handler took.
type gallery struct{ Files []string }

// TestUploadLive uploads against the application: its joined declares the
// upload, its answers grant tokens that the tus server verifies, and the
// page's upload handler gets each completed file, whose change reaches the
// page. The upload comes from a follower tab, through the leader's socket.
func TestUploadLive(t *testing.T) {
	tus := newTusServer(t)
	src := `<ul id="got">{{range .Files}}<li>{{.}}</li>{{end}}</ul><input type="file" id="pick" lvt-upload="photos" multiple>` +
		`<ul lvt-upload-list="photos" lvt-ignore></ul><p id="err" lvt-upload-error="photos" lvt-ignore></p>`
	s := newSite(t, siteConfig{src: src, data: func() any { return gallery{} }, version: true,
		opts: []livetemplate.Option{livetemplate.WithUploads(tus)}, extra: map[string]http.Handler{"/up/": tus}})
	cfg := livetemplate.UploadConfig{Accept: []string{"image/*", ".txt"}, MaxFiles: 2, Auto: true}
	err := s.app.HandleUpload("t", "photos", cfg, func(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
		if strings.HasPrefix(f.Name, "reject") {
			return errors.New("too dull")
		}
		_, err := p.Modify(ctx, func(data any) (any, error) {
			g := data.(gallery)
			return gallery{Files: append(g.Files[:len(g.Files):len(g.Files)], fmt.Sprintf("%s %d %s", f.Name, f.Size, f.ContentType))}, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files := testFiles(t, map[string]int{"a.txt": 3 << 20, "reject.txt": 10, "bad.exe": 10})
	b := browsertest.Start(t)
	s.open(b, "/page")
	tab := s.open(b, "/page")
	tab.WaitFor(`liveTemplate.leader.leader !== "" && liveTemplate.leader.leader !== liveTemplate.leader.tab`, 10*time.Second)
	choose(t, tab, "#pick", files["a.txt"])
	tab.WaitFor(`document.querySelector("#got").textContent === "a.txt 3145728 application/octet-stream"`, 20*time.Second)
	sameFile(t, tus, "a.txt", files["a.txt"])
	choose(t, tab, "#pick", files["reject.txt"])
	tab.WaitFor(`document.querySelector("[data-lvt-upload-state=rejected] [data-lvt-upload-message]")?.textContent === "too dull"`, 10*time.Second)
	choose(t, tab, "#pick", files["bad.exe"])
	tab.WaitFor(`document.querySelector("#err").textContent === "bad.exe: type not accepted"`, 10*time.Second)
	if got := browsertest.MustEval[string](tab, `document.querySelector("#got").textContent`); !strings.HasPrefix(got, "a.txt") || strings.Contains(got, "reject") {
		t.Errorf("the page shows %q", got)
	}
	noConsole(t, tab)
}

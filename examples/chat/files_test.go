package chat

import (
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
)

// A 1x1 PNG.
var png, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// TestFiles: a completed upload moves into the room's directory and shows
// in the room, an image inline and anything else as a download, which the
// room serves so that no file runs as a document of the site; the files of
// messages the room no longer shows are deleted.
func TestFiles(t *testing.T) {
	s := pagetest.Start(t)
	dir := t.TempDir()
	if err := Mount(s.App, s.Mux, WithFiles(dir)); err != nil {
		t.Fatal(err)
	}
	ctx := pagetest.Context(t)
	p := s.Open(t, ctx, "/chat/")
	if html := p.HTML(); !strings.Contains(html, `lvt-upload="files"`) {
		t.Fatalf("the room has no upload input: %s", html)
	}
	room, err := s.App.SharedPage(Name, Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	handle := keeper(dir)
	for id, body := range map[string][]byte{"up_aaaa": png, "up_bbbb": []byte("<script>alert(1)</script>")} {
		tmp := filepath.Join(t.TempDir(), "part")
		if err := os.WriteFile(tmp, body, 0o600); err != nil {
			t.Fatal(err)
		}
		name := map[string]string{"up_aaaa": "../cat.png", "up_bbbb": "evil.html"}[id]
		f := livetemplate.UploadedFile{ID: id, Upload: Upload, Name: name, Size: int64(len(body)), ContentType: "text/plain", Path: tmp}
		if id == "up_aaaa" {
			f.ContentType = "image/png"
		}
		if err := handle(ctx, room, f); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	err = p.Wait(ctx, func(html string) bool {
		return strings.Contains(html, `<img class="shot" src="/chat/files/up_aaaa" alt="cat.png">`) &&
			strings.Contains(html, `<a href="/chat/files/up_bbbb" download="evil.html">evil.html</a> <span class="muted">25 B</span>`)
	})
	if err != nil {
		t.Fatalf("%v: %s", err, p.HTML())
	}
	img := s.Get(t, "/chat/files/up_aaaa")
	if b, _ := io.ReadAll(img.Body); img.Header.Get("Content-Type") != "image/png" || string(b) != string(png) {
		t.Errorf("the image: %s, %d bytes", img.Header.Get("Content-Type"), len(b))
	}
	doc := s.Get(t, "/chat/files/up_bbbb")
	if doc.Header.Get("Content-Type") != "application/octet-stream" || doc.Header.Get("Content-Disposition") != "attachment" || !strings.Contains(doc.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("an HTML file is served as %q, %q, %q", doc.Header.Get("Content-Type"), doc.Header.Get("Content-Disposition"), doc.Header.Get("Content-Security-Policy"))
	}
	for _, path := range []string{"/chat/files/up_nope", "/chat/files/..%2fchat.go", "/chat/files/x"} {
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	for range keep {
		if err := p.Event(ctx, "send", map[string]string{"text": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files of messages gone from the room are left: %v", left)
	}
}

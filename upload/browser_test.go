package upload_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/upload"
)

// TestDirectInBrowser: the browser client, in Chromium, sends a chosen
// file straight to the fake S3 (another origin: gofakes3's own CORS
// answers the preflight) by the presigned URL of its grant, then completes
// it on the upload server; the handler reads the object and the page shows
// it.
func TestDirectInBrowser(t *testing.T) {
	store := newFakeS3(t)
	up, err := upload.New(t.TempDir(), upload.WithPresigner(store.presigner()))
	if err != nil {
		t.Fatal(err)
	}
	app, err := livetemplate.NewApplication(up.Option(), livetemplate.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	tmpl := template.Must(template.New("g").Funcs(livetemplate.FuncMap()).Parse(
		`<input type="file" id="pick" lvt-upload="photos"><ul id="got">{{range .}}<li>{{.}}</li>{{end}}</ul>`))
	if err := app.RegisterTemplate("g", tmpl); err != nil {
		t.Fatal(err)
	}
	cfg := livetemplate.UploadConfig{Accept: []string{"image/*"}, MaxSize: 4 << 20, Auto: true}
	if err := app.HandleUpload("g", "photos", cfg, readInto); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle("/livetemplate.js", livetemplate.ScriptHandler())
	mux.Handle(upload.DefaultEndpoint, up)
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		p, err := app.NewPage("g", []string{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		html, err := p.Render()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `<!doctype html><title>t</title><div data-lvt-root>%s</div><script src="/livetemplate.js" data-live="/live" data-token="%s" defer></script>`, html, p.GetToken())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	path := filepath.Join(t.TempDir(), "cat.png")
	if err := os.WriteFile(path, pngBytes(3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	tab := browsertest.Start(t).Tab(t)
	tab.Navigate(srv.URL + "/page")
	tab.WaitFor(`document.querySelector("#pick") && liveTemplate.leader.leader !== ""`, 10*time.Second)
	if err := chromedp.Do(tab.Context(), chromedp.SetUploadFiles(chromedp.CSS("#pick"), []string{path})); err != nil {
		t.Fatal(err)
	}
	tab.WaitFor(`document.querySelector("#got").textContent === "cat.png 3145728 image/png"`, 30*time.Second)
	if keys := store.keys(); len(keys) != 1 || !strings.HasPrefix(keys[0], upload.DefaultKeyPrefix+"up_") {
		t.Fatalf("objects %q: want the accepted file's", keys)
	}
}

// readInto is an upload handler that reads the file and adds "name size
// type" to the page.
func readInto(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
	r, err := f.Reader(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	_, err = p.Modify(ctx, func(data any) (any, error) {
		return append(data.([]string), fmt.Sprintf("%s %d %s", f.Name, n, f.ContentType)), nil
	})
	return err
}

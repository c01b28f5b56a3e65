package main

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
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/internal/ltbench"
	"github.com/livetemplate/livetemplate/upload"
	"github.com/livetemplate/livetemplate/upload/uploadbench"
)

func init() { ltbench.Register("uploads-chromium", runUploadsChromium) }

// The file that Chromium uploads, 100 MB, and the rounds whose median is
// reported (as the Go leg's, whatever -rounds says: each round sends 200 MB).
const (
	chromiumUploadSize   = 100_000_000
	chromiumUploadRounds = 5
)

// runUploadsChromium is the Chromium leg of the uploads suite: a 100 MB
// file chosen in a live page's upload input, sent by the browser client
// (tus, 8 MiB chunks) to the upload server, against a plain fetch POST of
// the same file from the same page, over loopback; the median of 5 rounds.
func runUploadsChromium(ltbench.Options) ([]ltbench.Metric, error) {
	r, err := chromiumUploads(context.Background(), chromiumUploadSize, chromiumUploadRounds)
	if err != nil {
		return nil, err
	}
	return []ltbench.Metric{
		// Goal >= 0.8 (a floor, which Metric.Goal cannot say).
		{Name: "uploads.chromium_throughput_vs_http_ratio", Value: r.ratio, Unit: "ratio"},
		{Name: "uploads.chromium_tus_mb_per_s", Value: r.tus, Unit: "MB/s"},
		{Name: "uploads.chromium_post_mb_per_s", Value: r.post, Unit: "MB/s"},
	}, nil
}

// uploadRound is one round's throughputs in MB/s, and their ratio.
type uploadRound struct{ ratio, tus, post float64 }

// chromiumUploads measures rounds rounds of a file of size bytes and
// returns the round of the median ratio.
func chromiumUploads(ctx context.Context, size int64, rounds int) (uploadRound, error) {
	dir, err := os.MkdirTemp("", "uploads-chromium")
	if err != nil {
		return uploadRound{}, err
	}
	defer os.RemoveAll(dir)
	srv, closeSrv, err := uploadServer(dir, size)
	if err != nil {
		return uploadRound{}, err
	}
	defer closeSrv()
	file := filepath.Join(dir, "data.bin")
	if err := writePattern(file, size); err != nil {
		return uploadRound{}, err
	}
	tab, closeTab, err := chromium(ctx, dir)
	if err != nil {
		return uploadRound{}, err
	}
	defer closeTab()
	var all []uploadRound
	for range rounds {
		r, err := uploadOnce(tab, srv.URL, file, size)
		if err != nil {
			return uploadRound{}, err
		}
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b uploadRound) int { return int((a.ratio - b.ratio) * 1e6) })
	return all[len(all)/2], nil
}

// uploadPage is a live page with an upload input; its script times, in the
// page, an upload from the choice to lvt:upload-done, and keeps the file
// for the plain POST.
const uploadPage = `<!doctype html><title>upload</title><div data-lvt-root>{{.}}<input type="file" id="pick" lvt-upload="files"></div>
<script>
window.took = 0;
document.addEventListener("change", (e) => { window.file = e.target.files[0]; window.t0 = performance.now(); }, true);
document.addEventListener("lvt:upload-done", (e) => { window.took = e.detail.result.ok ? performance.now() - window.t0 : -1; });
document.addEventListener("lvt:upload-error", (e) => { window.took = -1; window.failed = e.detail.code + ": " + e.detail.message; });
window.post = async () => { const t0 = performance.now(); const r = await fetch("/plain", {method: "POST", body: window.file}); return r.ok ? performance.now() - t0 : -1; };
</script>
<script src="/livetemplate.js" data-live="/live" data-token="{{PAGE_TOKEN}}" data-version="{{PAGE_VERSION}}" defer></script>`

// uploadServer serves an application whose page at /page takes files of
// up to size bytes, with the upload server in dir, and a plain POST at
// /plain that writes its body to a file of dir.
func uploadServer(dir string, size int64) (*httptest.Server, func(), error) {
	up, err := upload.New(filepath.Join(dir, "tus"))
	if err != nil {
		return nil, nil, err
	}
	app, err := livetemplate.NewApplication(up.Option(), livetemplate.WithLogger(slog.New(slog.DiscardHandler)),
		livetemplate.WithUploadLimits(livetemplate.UploadLimits{}))
	if err != nil {
		return nil, nil, err
	}
	tmpl := template.Must(template.New("page").Funcs(livetemplate.FuncMap()).Parse(uploadPage))
	err = app.RegisterTemplate("page", tmpl)
	if err == nil {
		err = app.HandleUpload("page", "files", livetemplate.UploadConfig{MaxSize: size, Auto: true},
			func(context.Context, *livetemplate.Page, livetemplate.UploadedFile) error { return nil })
	}
	if err != nil {
		app.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle(up.Endpoint(), up)
	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) { servePage(app, w) })
	mux.HandleFunc("POST /plain", uploadbench.PlainPost(dir))
	srv := httptest.NewServer(mux)
	return srv, func() { srv.Close(); app.Close() }, nil
}

func servePage(app *livetemplate.Application, w http.ResponseWriter) {
	p, err := app.NewPage("page", "")
	var html string
	if err == nil {
		html, err = p.Render()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, html)
}

// uploadOnce opens the page in tab, uploads the file with the client, then
// posts it plainly, and returns the throughputs.
func uploadOnce(tab context.Context, url, file string, size int64) (uploadRound, error) {
	ctx, cancel := context.WithTimeout(tab, 5*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/page")); err != nil {
		return uploadRound{}, err
	}
	if err := browsertest.WaitIn(ctx, `window.liveTemplate?.status === "connected"`, 20*time.Second); err != nil {
		return uploadRound{}, err
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#pick"), []string{file})); err != nil {
		return uploadRound{}, err
	}
	if err := browsertest.WaitIn(ctx, `window.took !== 0`, 4*time.Minute); err != nil {
		return uploadRound{}, err
	}
	tus, err := browsertest.EvalIn[float64](ctx, `window.took`)
	if err != nil {
		return uploadRound{}, err
	}
	post, err := browsertest.EvalIn[float64](ctx, `window.post()`)
	if err != nil || tus <= 0 || post <= 0 {
		failed, _ := browsertest.EvalIn[string](ctx, `window.failed ?? ""`)
		return uploadRound{}, fmt.Errorf("uploads-chromium: tus %v ms (%s), post %v ms: %v", tus, failed, post, err)
	}
	mb := float64(size) / 1e6
	r := uploadRound{tus: mb / (tus / 1000), post: mb / (post / 1000)}
	r.ratio = r.tus / r.post
	return r, nil
}

// chromium starts a headless Chromium with its profile in dir.
func chromium(ctx context.Context, dir string) (context.Context, func(), error) {
	opts, err := browsertest.AllocatorOptions(filepath.Join(dir, "profile"))
	if err != nil {
		return nil, nil, err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(tab); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, fmt.Errorf("uploads-chromium: start chromium: %w", err)
	}
	return tab, func() { cancel(); cancelAlloc() }, nil
}

// writePattern writes a file of size bytes.
func writePattern(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i * 7)
	}
	for n := int64(0); n < size; n += int64(len(block)) {
		if _, err := f.Write(block[:min(int64(len(block)), size-n)]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

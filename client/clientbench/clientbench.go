// Package clientbench measures the browser client in headless Chromium, for
// `ltbench -suite client`: the bundle's size, the time to apply a one-slot
// diff to a 1,000-row table, the bytes a page costs on its first load, and
// the time a Page.Push takes to reach the hooks of 100 tabs, and
// live navigation: its time against a load's and its connections.
package clientbench

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/internal/bundle"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

// instrument counts WebSocket bytes and times message handling in the page.
//
//go:embed instrument.js
var instrument []byte

// Result is what one run measured.
type Result struct {
	BundleGzipBytes int     // livetemplate.js, gzip -9
	ApplyOneSlotMS  float64 // median time to handle a one-slot diff of a 1,000-row table
	FirstLoad       float64 // (HTML + WebSocket bytes on join) / HTML, with data-version
	FirstLoadFull   float64 // the same without data-version: the page sent twice
	PushP99MS       float64 // 99th percentile of Page.Push to a hook's callback, 10 browsers x 10 tabs
	PushP50MS       float64 // its median
	NavigateRatio   float64 // median click-to-live time of a live navigation / of a document load
	NavigateConns   int     // connections opened for 20 live navigations across 3 tabs
}

// Run measures the client with rounds diffs for the apply time.
func Run(ctx context.Context, rounds int) (Result, error) {
	var r Result
	var err error
	if r.BundleGzipBytes, err = gzipSize(bundle.Script); err != nil {
		return r, err
	}
	b, err := newBench()
	if err != nil {
		return r, err
	}
	defer b.close()
	tab, closeTab, err := b.browser(ctx)
	if err != nil {
		return r, err
	}
	defer closeTab()
	if r.ApplyOneSlotMS, err = b.applyOneSlot(tab, rounds); err != nil {
		return r, err
	}
	if r.FirstLoad, err = b.firstLoad(tab, true); err != nil {
		return r, err
	}
	if r.FirstLoadFull, err = b.firstLoad(tab, false); err != nil {
		return r, err
	}
	lat, err := PushLatency(ctx, 10, 10, max(rounds, 10))
	if err != nil {
		return r, err
	}
	r.PushP99MS, r.PushP50MS = Percentile(lat, 99), Percentile(lat, 50)
	if r.NavigateRatio, err = b.navigateVsReload(tab, max(rounds, 5)); err != nil {
		return r, err
	}
	if r.NavigateConns, err = b.navigateConnections(tab); err != nil {
		return r, err
	}
	return r, nil
}

func gzipSize(b []byte) (int, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(b); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}

// bench is the server the pages come from.
type bench struct {
	app    *livetemplate.Application
	srv    *httptest.Server
	rows   *livetemplate.Page
	nav    *navSite
	tmpDir string
}

const scriptTag = `<script src="/bench.js"></script><script src="/livetemplate.js" data-live="/live" data-token="{{PAGE_TOKEN}}"%s defer></script>`

const rowsTemplate = `<!DOCTYPE html><html><head><title>rows</title>%s</head><body>
<table><tbody>{{range .}}<tr data-key="{{.ID}}"><td>{{.ID}}</td><td class="label">{{.Label}}</td></tr>{{end}}</tbody></table>
</body></html>`

type row struct {
	ID    int
	Label string
}

func rowsData(n, changed int, label string) []row {
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{ID: i + 1, Label: fmt.Sprintf("row %d", i+1)}
	}
	rows[changed].Label = label
	return rows
}

func newBench() (*bench, error) {
	app, err := livetemplate.NewApplication(livetemplate.WithMaxPages(100))
	if err != nil {
		return nil, err
	}
	b := &bench{app: app}
	versioned := fmt.Sprintf(scriptTag, ` data-version="{{PAGE_VERSION}}"`)
	todo := strings.Replace(ltbench.TodoTemplate, "</body>", versioned+"</body>", 1)
	for name, src := range map[string]string{
		"rows":      fmt.Sprintf(rowsTemplate, versioned),
		"todo":      todo,
		"todo-full": strings.Replace(ltbench.TodoTemplate, "</body>", fmt.Sprintf(scriptTag, "")+"</body>", 1),
	} {
		t, err := template.New(name).Funcs(livetemplate.FuncMap()).Parse(src)
		if err == nil {
			err = app.RegisterTemplate(name, t)
		}
		if err != nil {
			app.Close()
			return nil, err
		}
	}
	if b.rows, err = app.NewPage("rows", rowsData(1000, 0, "row 1")); err != nil {
		app.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	b.nav = &navSite{app: app}
	if err := b.nav.routes(mux); err != nil {
		app.Close()
		return nil, err
	}
	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
	mux.Handle("/live", app.Handler())
	mux.HandleFunc("GET /bench.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(instrument)
	})
	mux.HandleFunc("GET /rows", func(w http.ResponseWriter, r *http.Request) { b.serve(w, b.rows) })
	mux.HandleFunc("GET /todo/{name}", func(w http.ResponseWriter, r *http.Request) {
		p, err := app.NewPage(r.PathValue("name"), ltbench.NewTodoPage(50))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b.serve(w, p)
	})
	b.srv = httptest.NewServer(mux)
	return b, nil
}

func (b *bench) serve(w http.ResponseWriter, p *livetemplate.Page) {
	html, err := p.Render()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(html))
}

func (b *bench) close() {
	b.srv.Close()
	b.app.Close()
	if b.tmpDir != "" {
		os.RemoveAll(b.tmpDir)
	}
}

// browser starts Chromium and returns a tab.
func (b *bench) browser(ctx context.Context) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "clientbench")
	if err != nil {
		return nil, nil, err
	}
	b.tmpDir = dir
	opts, err := browsertest.AllocatorOptions(dir)
	if err != nil {
		return nil, nil, err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(tab); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, fmt.Errorf("clientbench: start chromium: %w", err)
	}
	return tab, func() { cancel(); cancelAlloc() }, nil
}

func navigate(tab context.Context, url string) error {
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

// applyOneSlot changes one label of the 1,000-row page rounds times and
// returns the median time the page spent handling the diff's message.
func (b *bench) applyOneSlot(tab context.Context, rounds int) (float64, error) {
	if err := navigate(tab, b.srv.URL+"/rows"); err != nil {
		return 0, err
	}
	if err := browsertest.WaitIn(tab, `window.__ltbench.types.includes("joined") || window.__ltbench.types.includes("render")`, 20*time.Second); err != nil {
		return 0, err
	}
	var times []float64
	for i := range rounds + 1 {
		label := fmt.Sprintf("changed %d", i)
		if _, err := b.rows.Update(rowsData(1000, 500, label)); err != nil {
			return 0, err
		}
		cond := fmt.Sprintf(`document.querySelectorAll("td.label")[500].textContent === %q`, label)
		if err := browsertest.WaitIn(tab, cond, 20*time.Second); err != nil {
			return 0, err
		}
		if i == 0 {
			continue // the first update may bring the tree: a render, not a diff
		}
		ms, err := browsertest.EvalIn[float64](tab, `window.__ltbench.handle[window.__ltbench.handle.length - 1]`)
		if err != nil {
			return 0, err
		}
		times = append(times, ms)
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}

// firstLoad loads a 50-todo reference page and returns (HTML bytes +
// WebSocket bytes both ways until the page is live) / HTML bytes.
func (b *bench) firstLoad(tab context.Context, versioned bool) (float64, error) {
	name := "todo"
	if !versioned {
		name = "todo-full"
	}
	res, err := http.Get(b.srv.URL + "/todo/" + name)
	if err != nil {
		return 0, err
	}
	var html bytes.Buffer
	_, err = html.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return 0, err
	}
	if err := navigate(tab, b.srv.URL+"/todo/"+name); err != nil {
		return 0, err
	}
	if err := browsertest.WaitIn(tab, `window.__ltbench.types.includes("joined")`, 20*time.Second); err != nil {
		return 0, err
	}
	time.Sleep(300 * time.Millisecond) // anything else the join brings
	sent, err := browsertest.EvalIn[float64](tab, `window.__ltbench.recv + window.__ltbench.sent`)
	if err != nil {
		return 0, err
	}
	return (float64(html.Len()) + sent) / float64(html.Len()), nil
}

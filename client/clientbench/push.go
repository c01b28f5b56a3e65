package clientbench

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// probe is the hook that times the pushes in each tab.
//
//go:embed probe.js
var probe []byte

const pushTemplate = `<!DOCTYPE html><html><head><title>push</title></head><body>
<div id="probe" lvt-hook="Probe">{{.}}</div>
<script src="/livetemplate.js" data-live="/live" data-token="{{PAGE_TOKEN}}" data-version="{{PAGE_VERSION}}" defer></script>
<script src="/probe.js" defer></script>
</body></html>`

// PushLatency opens tabs tabs in each of browsers headless Chromiums on one
// page (a browser's tabs share its connection), then pushes to the page
// pushes times, 100 ms apart, and returns each tab's time from the call of
// Page.Push to its hook's callback, in milliseconds, sorted.
func PushLatency(ctx context.Context, browsers, tabs, pushes int) ([]float64, error) {
	app, err := livetemplate.NewApplication()
	if err != nil {
		return nil, err
	}
	defer app.Close()
	t, err := template.New("push").Funcs(livetemplate.FuncMap()).Parse(pushTemplate)
	if err == nil {
		err = app.RegisterTemplate("push", t)
	}
	if err != nil {
		return nil, err
	}
	page, err := app.NewPage("push", "probe")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
	mux.Handle("/live", app.Handler())
	mux.HandleFunc("GET /probe.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(probe)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html, err := page.Render()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(html))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	all, closeAll, err := openTabs(ctx, srv.URL+"/", browsers, tabs)
	defer closeAll()
	if err != nil {
		return nil, err
	}
	if err := warmUp(ctx, page, all); err != nil {
		return nil, err
	}
	return measurePushes(ctx, page, all, pushes)
}

// openTabs starts browsers Chromiums and opens tabs tabs on url in each;
// closeAll closes what was opened, even on an error.
func openTabs(ctx context.Context, url string, browsers, tabs int) (all []context.Context, closeAll func(), err error) {
	var closers []func()
	closeAll = func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	for range browsers {
		dir, err := os.MkdirTemp("", "pushbench")
		if err != nil {
			return nil, closeAll, err
		}
		closers = append(closers, func() { os.RemoveAll(dir) })
		opts, err := browsertest.AllocatorOptions(dir)
		if err != nil {
			return nil, closeAll, err
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
		first, cancel := chromedp.NewContext(alloc)
		closers = append(closers, func() { cancel(); cancelAlloc() })
		if err := chromedp.Do(first); err != nil {
			return nil, closeAll, fmt.Errorf("clientbench: start chromium: %w", err)
		}
		for i := range tabs {
			tab := first
			if i > 0 {
				var cancelTab context.CancelFunc
				tab, cancelTab = chromedp.NewContext(first)
				closers = append(closers, cancelTab)
				// Opens the tab, which a context with a timeout (navigate's) would close at its end.
				if err := chromedp.Do(tab); err != nil {
					return nil, closeAll, err
				}
			}
			if err := navigate(tab, url); err != nil {
				return nil, closeAll, err
			}
			all = append(all, tab)
		}
	}
	for _, tab := range all {
		if err := browsertest.WaitIn(tab, `window.probe && liveTemplate.state === "open"`, 30*time.Second); err != nil {
			return nil, closeAll, err
		}
	}
	return all, closeAll, nil
}

// warmUp pushes until every tab's hook got a push (the tabs' pages are
// joined), then forgets those.
func warmUp(ctx context.Context, page *livetemplate.Page, tabs []context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, tab := range tabs {
		for {
			if err := push(ctx, page); err != nil {
				return err
			}
			n, err := browsertest.EvalIn[int](tab, `lat.length`)
			if err != nil {
				return err
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("clientbench: a tab's hook got no push in 30 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond) // the last pushes reach every tab
	for _, tab := range tabs {
		if _, err := browsertest.EvalIn[[]float64](tab, `lat.splice(0)`); err != nil {
			return err
		}
	}
	return nil
}

// measurePushes pushes n times, 100 ms apart, and returns every tab's
// times, sorted; a push that did not reach a tab within 5 s is an error.
func measurePushes(ctx context.Context, page *livetemplate.Page, tabs []context.Context, n int) ([]float64, error) {
	for range n {
		if err := push(ctx, page); err != nil {
			return nil, err
		}
		time.Sleep(100 * time.Millisecond)
	}
	var lat []float64
	for i, tab := range tabs {
		cond := fmt.Sprintf(`lat.length >= %d`, n)
		if err := browsertest.WaitIn(tab, cond, 5*time.Second); err != nil {
			return nil, fmt.Errorf("clientbench: tab %d: %w", i, err)
		}
		got, err := browsertest.EvalIn[[]float64](tab, `lat.splice(0)`)
		if err != nil {
			return nil, err
		}
		lat = append(lat, got...)
	}
	slices.Sort(lat)
	return lat, nil
}

// push pushes the time now, in Unix milliseconds, to the page's hooks.
func push(ctx context.Context, page *livetemplate.Page) error {
	now := float64(time.Now().UnixNano()) / 1e6
	return page.Push(ctx, "t", map[string]float64{"t": now})
}

// Percentile returns the p-th percentile (0 to 100) of sorted values, the
// nearest rank.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

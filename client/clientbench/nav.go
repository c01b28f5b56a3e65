package clientbench

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// navScript records when the page is live.
//
//go:embed navbench.js
var navScript []byte

// navPage is the root of the navigation pages: a list of 50 items, a
// button bound to an event, and links to the next page, live and plain.
const navPage = `<h1>{{.Name}}</h1><ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul><button lvt-click="noop">ok</button>` +
	`<a id="live" lvt-nav href="/navto/{{.Next}}">next</a> <a id="full" href="/navto/{{.Next}}">next</a>`

type navData struct {
	Name, Next string
	Items      []string
}

// navSite serves /navto/{name}, a new page of navPage in a layout, whose
// script tag connects to /navlive, where conns counts the connections.
type navSite struct {
	app   *livetemplate.Application
	conns tabsbench.ConnCount
}

func (n *navSite) routes(mux *http.ServeMux) error {
	t, err := template.New("nav").Parse(navPage)
	if err == nil {
		err = n.app.RegisterTemplate("nav", t)
	}
	if err != nil {
		return err
	}
	mux.Handle("/navlive", n.conns.Wrap(n.app.Handler()))
	mux.HandleFunc("GET /navbench.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(navScript)
	})
	mux.HandleFunc("GET /navto/{name}", n.serve)
	return nil
}

func (n *navSite) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d := navData{Name: name, Next: name + "x", Items: make([]string, 50)}
	for i := range d.Items {
		d.Items[i] = fmt.Sprintf("item %d of %s", i, name)
	}
	p, err := n.app.NewPage("nav", d)
	if err == nil {
		var html string
		if html, err = p.Render(); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!DOCTYPE html><html><head><title>%s</title></head><body><main data-lvt-root>%s</main>`+
				`<script src="/livetemplate.js" data-live="/navlive" data-token="%s" data-version="%d" defer></script>`+
				`<script src="/navbench.js" defer></script></body></html>`, template.HTMLEscapeString(name), html, p.GetToken(), p.Version())
			return
		}
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// navigateVsReload returns the median time from a click on a link to the
// next page being live with a live navigation, over the same with a link
// that loads the document, rounds times each, in one tab.
func (b *bench) navigateVsReload(tab context.Context, rounds int) (float64, error) {
	if err := navigate(tab, b.srv.URL+"/navto/r"); err != nil {
		return 0, err
	}
	var live, full []float64
	for i := range 2 * (rounds + 1) {
		link := []string{"live", "full"}[i%2]
		if err := browsertest.WaitIn(tab, `window.__liveAt !== undefined && liveTemplate.status === "connected"`, 20*time.Second); err != nil {
			return 0, err
		}
		click := `sessionStorage.setItem("t0", performance.timeOrigin + performance.now()), window.__liveAt = undefined, document.getElementById("` + link + `").click(), true`
		if _, err := browsertest.EvalIn[bool](tab, click); err != nil {
			return 0, err
		}
		if err := browsertest.WaitIn(tab, `window.__liveAt !== undefined`, 20*time.Second); err != nil {
			return 0, err
		}
		ms, err := browsertest.EvalIn[float64](tab, `window.__liveAt - Number(sessionStorage.getItem("t0"))`)
		if err != nil {
			return 0, err
		}
		if i < 2 {
			continue // the first of each: the navigation chunk and caches are cold
		}
		if link == "live" {
			live = append(live, ms)
		} else {
			full = append(full, ms)
		}
	}
	return median(live) / median(full), nil
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// navigateConnections opens three tabs of the browser of tab on navigation
// pages and navigates 20 times across them, all at once, and returns how
// many connections the endpoint had opened meanwhile.
func (b *bench) navigateConnections(tab context.Context) (int, error) {
	if err := navigate(tab, "about:blank"); err != nil { // its connection closes
		return 0, err
	}
	for deadline := time.Now().Add(10 * time.Second); b.nav.conns.Open() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("clientbench: %d connections still open", b.nav.conns.Open())
		}
	}
	before := b.nav.conns.Opened()
	var tabs []context.Context
	for i := range 3 {
		t, cancel := chromedp.NewContext(tab)
		defer cancel()
		// The tab opens on this first run, with its own context: a run's context that ends closes it.
		if err := chromedp.Do(t); err != nil {
			return 0, fmt.Errorf("clientbench: open tab: %w", err)
		}
		if err := navigate(t, fmt.Sprintf("%s/navto/t%d", b.srv.URL, i)); err != nil {
			return 0, err
		}
		tabs = append(tabs, t)
	}
	for i, t := range tabs {
		run := fmt.Sprintf(`(async () => {
			for (let i = 0; i < %d; i++) {
				await new Promise((ok) => liveTemplate.status === "connected" ? ok() : liveTemplate.on("connected", ok));
				await liveTemplate.navigate(document.getElementById("live").href);
			}
			window.__done = true;
		})(), true`, []int{7, 7, 6}[i])
		if _, err := browsertest.EvalIn[bool](t, run); err != nil {
			return 0, err
		}
	}
	for _, t := range tabs {
		if err := browsertest.WaitIn(t, `window.__done && liveTemplate.status === "connected"`, 30*time.Second); err != nil {
			return 0, err
		}
	}
	return b.nav.conns.Opened() - before, nil
}

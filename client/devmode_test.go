package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// Versions of the development mode test's template file. The second
// changes the statics around the input; the third does not parse.
const (
	devPage1 = `<p id="count">{{.Count}}</p><input id="name"><button id="fail" lvt-click="fail">fail</button><button id="panic" lvt-click="panic">panic</button>`
	devPage2 = `<h1 id="count">Count: {{.Count}}</h1><input id="name"><button id="fail" lvt-click="fail">fail</button><button id="panic" lvt-click="panic">panic</button>`
	devPage3 = `<h1 id="count">Count: {{.Count</h1>`
)

// saveFile writes src to file with a modification time of its own, as
// saving it in an editor does.
func saveFile(t *testing.T, file, src string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Duration(len(src)) * time.Second)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
}

// devSite serves, in development mode and under a strict CSP, the template
// of file as "dev" at /dev, with events that fail and panic.
func devSite(t *testing.T, file string) *site {
	watch := jsHandler(`window.violations = [];
document.addEventListener("securitypolicyviolation", e => violations.push(e.effectiveDirective + " " + e.blockedURI));`)
	return newSite(t, siteConfig{
		opts:  []livetemplate.Option{livetemplate.WithDevMode()},
		csp:   strictCSP,
		extra: map[string]http.Handler{"GET /watch.js": watch},
		routes: func(s *site) map[string]http.Handler {
			if err := s.app.RegisterTemplateFromFile("dev", file); err != nil {
				t.Fatal(err)
			}
			for name, h := range map[string]livetemplate.EventHandler{
				"fail":  func(context.Context, *livetemplate.Page, livetemplate.Event) error { return errors.New("no such name") },
				"panic": func(context.Context, *livetemplate.Page, livetemplate.Event) error { panic("the dev test panics") },
			} {
				if err := s.app.HandleEvent("dev", name, h); err != nil {
					t.Fatal(err)
				}
			}
			return map[string]http.Handler{"GET /dev": s.pageHandler("dev", func() any { return counter{Count: 7} },
				func(w http.ResponseWriter, p *livetemplate.Page, html string) {
					w.Header().Set("Content-Security-Policy", strictCSP)
					fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>dev</title><script src="/watch.js"></script></head><body><div data-lvt-root>%s</div><script src="/livetemplate.js" data-live="/live" data-token="%s" data-version="%d" defer></script></body></html>`,
						html, p.GetToken(), p.Version())
				})}
		},
	})
}

// TestDevModeBrowser saves a template while a tab shows a page of it, with
// text typed in a focused input: the tab shows the new template and the
// input keeps its focus, value and caret. A template error and an event
// handler's error and panic show in the overlay, which goes once the
// template is fixed; all of it under a strict CSP.
func TestDevModeBrowser(t *testing.T) {
	b := browsertest.Start(t)
	file := filepath.Join(t.TempDir(), "dev.html")
	saveFile(t, file, devPage1)
	s := devSite(t, file)
	tab := s.open(b, "/dev")
	if err := chromedp.Do(tab.Context(), chromedp.SendKeys(chromedp.CSS("#name"), "Ada")); err != nil {
		t.Fatal(err)
	}
	browsertest.MustEval[bool](tab, `(document.getElementById("name").setSelectionRange(1, 1), true)`)

	saveFile(t, file, devPage2)
	tab.WaitFor(`document.getElementById("count")?.textContent === "Count: 7"`, 10*time.Second)
	s.waitHTML(tab, s.page())
	state := browsertest.MustEval[string](tab, `(() => { const i = document.getElementById("name");
		return [document.activeElement === i, i.value, i.selectionStart].join(" "); })()`)
	if state != "true Ada 1" {
		t.Errorf("the input after the reload: focused, value, caret %q, want \"true Ada 1\"", state)
	}

	saveFile(t, file, devPage3)
	overlay(t, tab, "Template error", "dev.html:1")
	s.waitHTML(tab, s.page()) // the last good template
	saveFile(t, file, devPage2+"<footer>saved</footer>")
	tab.WaitFor(`document.querySelector("footer") !== null && !document.getElementById("livetemplate-dev")`, 10*time.Second)

	browsertest.MustEval[bool](tab, `(document.getElementById("fail").click(), true)`)
	overlay(t, tab, "Event handler error", "no such name")
	browsertest.MustEval[bool](tab, `(document.getElementById("panic").click(), true)`)
	overlay(t, tab, "Event handler panic", "the dev test panics")
	browsertest.MustEval[bool](tab, `(document.querySelector("#livetemplate-dev button").click(), true)`)
	tab.WaitFor(`!document.getElementById("livetemplate-dev")`, 5*time.Second)
	if v := browsertest.MustEval[[]string](tab, `violations`); len(v) != 0 {
		t.Errorf("CSP violations %q", v)
	}
}

// overlay waits until the dev overlay shows title and text.
func overlay(t *testing.T, tab *browsertest.Tab, title, text string) {
	t.Helper()
	cond := fmt.Sprintf(`(document.getElementById("livetemplate-dev")?.textContent ?? "").includes(%q)`, text)
	tab.WaitFor(cond, 10*time.Second)
	got := browsertest.MustEval[string](tab, `document.querySelector("#livetemplate-dev strong").textContent`)
	if !strings.HasPrefix(got, title) {
		t.Errorf("overlay title %q, want %q", got, title)
	}
}

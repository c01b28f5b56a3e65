package client_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// viewPage is the page of the view's tests: the view's test entry under a
// strict CSP (no inline scripts, no eval), so that a patcher that needs
// either fails here.
const viewPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="/view.js"></script></head><body></body></html>`

// viewTab opens a tab on a page that has the view (window.LTView) and its
// test runner (window.LTRun).
func viewTab(t *testing.T, b *browsertest.Browser) *browsertest.Tab {
	t.Helper()
	srv := testServer(t, nil, map[string]http.Handler{
		"GET /view.js": entryHandler(t, "src/testing/view-entry.ts"),
		"GET /{$}": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")
			w.Write([]byte(viewPage))
		}),
	})
	tab := b.Tab(t)
	tab.Navigate(srv.URL + "/")
	tab.WaitFor("window.LTRun", 5*time.Second)
	return tab
}

// viewCase is a sequence for window.LTRun: messages, and html/template's
// HTML after each.
type viewCase struct {
	Name  string     `json:"name"`
	Doc   bool       `json:"doc,omitempty"`
	Steps []viewStep `json:"steps"`
}

type viewStep struct {
	Message json.RawMessage `json:"message"`
	HTML    string          `json:"html"`
}

type viewFailure struct {
	Name string `json:"name"`
	Step int    `json:"step"`
	Got  string `json:"got"`
	Want string `json:"want"`
}

// runCases replays cases in the tab and returns the steps whose DOM differs
// from the oracle's.
func runCases(t *testing.T, tab *browsertest.Tab, cases []viewCase) []viewFailure {
	t.Helper()
	js, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	fails, err := browsertest.Eval[[]viewFailure](tab, "window.LTRun("+string(js)+")")
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, strings.Join(tab.Console(), "\n"))
	}
	return fails
}

// TestViewVectors replays the engine's test vectors
// (testdata/engine/vectors.json): after every message the DOM must be the one
// Chromium builds from html/template's output.
func TestViewVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "engine", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name  string     `json:"name"`
			Steps []viewStep `json:"steps"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var cases []viewCase
	for _, c := range file.Cases {
		cases = append(cases, viewCase{Name: c.Name, Steps: c.Steps})
	}
	if len(cases) == 0 {
		t.Fatal("no vectors")
	}
	tab := viewTab(t, browsertest.Start(t))
	for _, f := range runCases(t, tab, cases) {
		t.Errorf("%s, step %d:\n got: %s\nwant: %s", f.Name, f.Step, f.Got, f.Want)
	}
}

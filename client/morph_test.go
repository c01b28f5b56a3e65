package client_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// hydrateTab opens a page whose HTML is body, as a server sends it before the
// socket brings the tree, with the view's test entry loaded.
func hydrateTab(t *testing.T, body string) *browsertest.Tab {
	t.Helper()
	srv := testServer(t, nil, map[string]http.Handler{
		"GET /view.js": entryHandler(t, "src/testing/view-entry.ts"),
		"GET /{$}": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "script-src 'self'")
			w.Write([]byte(body))
		}),
	})
	tab := browsertest.Start(t).Tab(t)
	tab.Navigate(srv.URL + "/")
	tab.WaitFor("window.LTView", 5*time.Second)
	return tab
}

// hydrated is what the hydration tests check.
type hydrated struct {
	Kept, Elements int
	Focus, Value   string
	Open           bool
	HTML, Want     string
}

// TestViewHydrates renders a tree over the HTML that the server sent, in
// which the user already typed and opened a details: the view keeps every
// element, the typed value, the focus and the open details, and the diffs
// that follow patch it.
func TestViewHydrates(t *testing.T) {
	src := `<form><input name="q" value="{{.Q}}"><details><summary>{{.S}}</summary>more</details>` +
		`<ul>{{range .Items}}<li data-key="{{.}}">{{.}} <input name="i{{.}}"></li>{{end}}</ul><p>a {{.S}} b</p></form>`
	type d struct {
		Q, S  string
		Items []string
	}
	steps := mustSteps(t, src, d{Q: "server", S: "s", Items: []string{"x", "y"}}, d{Q: "server", S: "t & u", Items: []string{"y", "z", "x"}})
	tab := hydrateTab(t, viewPage[:strings.Index(viewPage, "<body>")]+`<body><div id="app">`+steps[0].HTML+`</div></body></html>`)
	js, _ := json.Marshal(steps)
	check := `
		const els = [...app.querySelectorAll("*")];
		return { Kept: els.filter((e) => e.mark).length, Elements: els.length,
			Focus: document.activeElement.name || "", Value: app.querySelector("input[name=q]").value,
			Open: app.querySelector("details").open, HTML: app.innerHTML, Want: LTOracle(s.html, false) };`
	first := browsertest.MustEval[hydrated](tab, `(() => {
		const s = `+string(js)+`[0];
		const app = document.getElementById("app");
		app.querySelectorAll("*").forEach((e) => (e.mark = true));
		const q = app.querySelector("input[name=q]");
		q.focus();
		q.value = "typed before the socket";
		app.querySelector("details").open = true;
		window.view = new LTView(app);
		view.render(s.message);`+check+`
	})()`)
	if first.Kept != first.Elements || first.Focus != "q" || first.Value != "typed before the socket" || !first.Open {
		t.Errorf("after the render: %d of %d elements kept, focus %q, value %q, details open %v; want all kept, q, the typed value, open",
			first.Kept, first.Elements, first.Focus, first.Value, first.Open)
	}
	// The DOM is the server's but for the open details that the user added.
	if want := strings.Replace(first.Want, "<details>", `<details open="">`, 1); first.HTML != want {
		t.Errorf("after the render:\n got: %s\nwant: %s", first.HTML, want)
	}
	next := browsertest.MustEval[hydrated](tab, `(() => {
		const s = `+string(js)+`[1];
		view.diff(s.message);`+check+`
	})()`)
	if want := strings.Replace(next.Want, "<details>", `<details open="">`, 1); next.HTML != want {
		t.Errorf("after a diff:\n got: %s\nwant: %s", next.HTML, want)
	}
	if next.Kept != next.Elements-2 || next.Value != "typed before the socket" { // new: row z's li and input
		t.Errorf("after a diff: %d of %d elements kept, want all but 2; value %q", next.Kept, next.Elements, next.Value)
	}
}

// TestViewHydratesDocument renders a whole document's tree over the page
// that the server sent, scripts included: nothing is rebuilt, no script runs
// again, and diffs patch the head's title and the body.
func TestViewHydratesDocument(t *testing.T) {
	src := `<!DOCTYPE html><html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title><script src="/view.js"></script></head>` +
		`<body class="{{.Class}}"><h1>{{.Title}}</h1>{{if .Note}}<p>note</p>{{end}}</body></html>`
	type d struct {
		Lang, Title, Class string
		Note               bool
	}
	steps := mustSteps(t, src, d{Lang: "en", Title: "One", Class: "a"}, d{Lang: "fr", Title: "Deux & trois", Class: "b", Note: true})
	tab := hydrateTab(t, steps[0].HTML)
	js, _ := json.Marshal(steps)
	type state struct {
		Kept, Elements, Loads int
		Title, HTML, Want     string
	}
	for i := range steps {
		st := browsertest.MustEval[state](tab, `(() => {
			const s = `+string(js)+`[`+string(rune('0'+i))+`];
			if (!window.view) {
				document.querySelectorAll("*").forEach((e) => (e.mark = true));
				window.view = new LTView(document);
				view.render(s.message);
			} else view.diff(s.message);
			const els = [...document.querySelectorAll("*")];
			const want = new DOMParser().parseFromString(s.html, "text/html");
			return { Kept: els.filter((e) => e.mark).length, Elements: els.length, Loads: window.LTLoads,
				Title: document.title, HTML: document.documentElement.outerHTML, Want: want.documentElement.outerHTML };
		})()`)
		if st.HTML != st.Want {
			t.Errorf("step %d:\n got: %s\nwant: %s", i, st.HTML, st.Want)
		}
		newEls := 0
		if i == 1 {
			newEls = 1 // the note
		}
		if st.Kept != st.Elements-newEls || st.Loads != 1 {
			t.Errorf("step %d: %d of %d elements kept, script ran %d times", i, st.Kept, st.Elements, st.Loads)
		}
	}
}

package client_test

import (
	"encoding/json"
	"fmt"
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

// TestViewMorphMovesRows: a render whose keyed rows (data-key, or id) were
// reordered, over the HTML that the server sent (the lazy first render) and
// over a view's DOM (a resync), moves the rows' nodes: every row is the node
// it was, with its state, and the field the user is typing in stays in its
// row with the focus, caret and typed value.
func TestViewMorphMovesRows(t *testing.T) {
	src := `<ul>{{range .}}<li data-key="{{.ID}}">{{.Label}} <input name="n{{.ID}}"></li>{{end}}</ul>` +
		`<div>{{range .}}<p id="p{{.ID}}">{{.Label}}</p>{{end}}</div>`
	type row struct {
		ID    int
		Label string
	}
	rows := func(ids ...int) []row {
		var r []row
		for _, id := range ids {
			r = append(r, row{ID: id, Label: fmt.Sprint("row ", id)})
		}
		return r
	}
	orders := [][]int{{1, 2, 3, 4, 5}, {5, 1, 2, 3, 4}, {2, 4, 1, 5, 3, 6}, {6, 3, 5, 1, 4, 2}, {3, 1}}
	var renders []json.RawMessage
	var htmls []string
	for _, o := range orders {
		s := mustSteps(t, src, rows(o...))[0]
		renders = append(renders, s.Message)
		htmls = append(htmls, s.HTML)
	}
	tab := hydrateTab(t, viewPage[:strings.Index(viewPage, "<body>")]+`<body><div id="app">`+htmls[0]+`</div></body></html>`)
	js, _ := json.Marshal(map[string]any{"renders": renders, "htmls": htmls})
	got := browsertest.MustEval[[]string](tab, `(() => {
		const c = `+string(js)+`;
		const app = document.getElementById("app");
		app.querySelectorAll("li, p").forEach((e) => (e.mark = e.getAttribute("data-key") || e.id));
		const input = app.querySelector("input[name=n3]");
		input.focus();
		input.value = "typed";
		input.setSelectionRange(1, 3);
		const view = new LTView(app);
		const out = [];
		for (let i = 1; i < c.renders.length; i++) {
			view.render(c.renders[i]);
			const wrong = [...app.querySelectorAll("li, p")].filter((e) => e.mark && e.mark !== (e.getAttribute("data-key") || e.id)).length;
			const kept = [...app.querySelectorAll("li, p")].filter((e) => e.mark).length;
			const a = document.activeElement;
			out.push([app.innerHTML === LTOracle(c.htmls[i], false) ? "same" : app.innerHTML, wrong + " wrong", kept + " kept",
				a.name, a.closest?.("li")?.getAttribute("data-key"), a.value, a.selectionStart + "-" + a.selectionEnd].join(" "));
			app.querySelectorAll("li, p").forEach((e) => (e.mark = e.getAttribute("data-key") || e.id));
		}
		return out;
	})()`)
	want := []string{
		"same 0 wrong 10 kept n3 3 typed 1-3",
		"same 0 wrong 10 kept n3 3 typed 1-3", // row 6 is new
		"same 0 wrong 12 kept n3 3 typed 1-3",
		"same 0 wrong 4 kept n3 3 typed 1-3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after each render:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

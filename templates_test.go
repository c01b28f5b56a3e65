package livetemplate_test

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/livetemplate/livetemplate"
)

var shout = template.FuncMap{"shout": strings.ToUpper}

func TestRegisterTemplateErrors(t *testing.T) {
	app := newApp(t)
	register(t, app, "taken", `<p>{{.}}</p>`)

	executed := parse(t, "executed", `<p>{{.}}</p>`)
	if err := executed.Execute(new(strings.Builder), 1); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tmpl *template.Template
		want string
		is   error
	}{
		{"", parse(t, "x", "x"), "empty name", nil},
		{"nil", nil, "nil template", nil},
		{"taken", parse(t, "x", "x"), `"taken"`, livetemplate.ErrTemplateExists},
		{"executed", executed, "executed", nil},
		{"escape", parse(t, "escape", `<a href="{{.}}{{if .}}">{{end}}`), "escape", nil},
	}
	for _, c := range cases {
		err := app.RegisterTemplate(c.name, c.tmpl)
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("RegisterTemplate(%q): got %v, want an error with %q", c.name, err, c.want)
		}
	}
	if _, err := app.NewPage("escape", 1); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Errorf("a template that failed to register was registered: %v", err)
	}
}

// TestRegisterTemplateEscapingError: a template that html/template cannot
// escape is refused with Execute's own error.
func TestRegisterTemplateEscapingError(t *testing.T) {
	app := newApp(t)
	src := `<a href="{{if .}}x{{else}}"{{end}}>`
	want := parse(t, "bad", src).Execute(new(strings.Builder), 1)
	err := app.RegisterTemplate("bad", parse(t, "bad", src))
	if want == nil || err == nil || !strings.Contains(err.Error(), want.Error()) {
		t.Fatalf("got %v, want Execute's %v", err, want)
	}
}

// TestRegisteredTemplateIsACopy: changing the caller's template after
// registration does not change the pages.
func TestRegisteredTemplateIsACopy(t *testing.T) {
	app := newApp(t)
	tmpl := parse(t, "p", `<p>{{template "x" .}}</p>{{define "x"}}old{{end}}`)
	if err := app.RegisterTemplate("p", tmpl); err != nil {
		t.Fatal(err)
	}
	template.Must(tmpl.New("x").Parse("new"))
	if html, _ := newPage(t, app, "p", nil).Render(); html != "<p>old</p>" {
		t.Fatalf("Render = %q, want the registered <p>old</p>", html)
	}
	if err := tmpl.Execute(new(strings.Builder), nil); err != nil {
		t.Fatalf("the caller's template is no longer usable: %v", err)
	}
}

func TestRegisterTemplateFromFile(t *testing.T) {
	app := newApp(t, livetemplate.WithFuncs(shout))
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, []byte(`<p>{{.Title | shout}}</p><i>{{PAGE_TOKEN}}</i>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := app.RegisterTemplateFromFile("page", file); err != nil {
		t.Fatal(err)
	}
	p := newPage(t, app, "page", map[string]string{"Title": "hi"})
	if html, _ := p.Render(); html != "<p>HI</p><i>"+p.GetToken()+"</i>" {
		t.Fatalf("Render = %q", html)
	}
	if err := app.RegisterTemplateFromFile("missing", filepath.Join(dir, "missing.html")); err == nil || !strings.Contains(err.Error(), "missing.html") {
		t.Errorf("missing file: got %v, want an error naming it", err)
	}
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<p>{{.Title</p>`), 0o644)
	if err := app.RegisterTemplateFromFile("bad", bad); err == nil || !strings.Contains(err.Error(), "bad.html:1") {
		t.Errorf("parse error: got %v, want it with file and line", err)
	}
}

func TestRegisterTemplateFS(t *testing.T) {
	app := newApp(t, livetemplate.WithFuncs(shout))
	fsys := os.DirFS("testdata/templates")
	if err := app.RegisterTemplateFS("dashboard", fsys, "dashboard.html", "footer.html"); err != nil {
		t.Fatal(err)
	}
	p := newPage(t, app, "dashboard", map[string]string{"Title": "Sales"})
	want := "<h1>Sales</h1>\n<footer>SALES</footer>\n\n<script>const pageToken = \"" + p.GetToken() + "\";</script>\n"
	if html, _ := p.Render(); html != want {
		t.Fatalf("Render = %q, want %q", html, want)
	}

	mem := fstest.MapFS{"a/page.html": {Data: []byte(`{{template "part.html"}}`)}, "a/part.html": {Data: []byte(`<b>part</b>`)}}
	if err := app.RegisterTemplateFS("glob", mem, "a/page.html", "a/*.html"); err != nil {
		t.Fatal(err)
	}
	if html, _ := newPage(t, app, "glob", nil).Render(); html != "<b>part</b>" {
		t.Fatalf("Render = %q", html)
	}
	for _, patterns := range [][]string{nil, {"nothing-*.html"}, {"["}} {
		if err := app.RegisterTemplateFS(fmt.Sprint(patterns), mem, patterns...); err == nil {
			t.Errorf("patterns %q: no error", patterns)
		}
	}
}

// TestRegisterWhileCreatingPages: registration and page creation run
// concurrently (-race checks the locking).
func TestRegisterWhileCreatingPages(t *testing.T) {
	app := newApp(t)
	register(t, app, "base", `<p>{{.}}</p>`)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 25 {
				name := fmt.Sprintf("t%d-%d", i, j)
				if err := app.RegisterTemplate(name, parse(t, name, `<i>{{.}}</i>`)); err != nil {
					t.Error(err)
				}
				if _, err := app.NewPage(name, j); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for j := range 25 {
				if _, err := app.NewPage("base", j); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// The same name from many goroutines: exactly one wins.
	var wins sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wins.Go(func() {
			err := app.RegisterTemplate("contested", parse(t, "c", `c`))
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, livetemplate.ErrTemplateExists) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	wins.Wait()
	if won != 1 {
		t.Fatalf("%d registrations of one name succeeded, want 1", won)
	}
}

// checkPageParity registers tmpl, makes a page of data[0] and updates it with
// the rest. After every step, a client holding only the snapshot and the
// updates, and Render, must hold html/template's Execute output of tmpl
// (PAGE_TOKEN writing the page's token). It returns those outputs.
func checkPageParity(t *testing.T, tmpl *template.Template, data ...any) []string {
	t.Helper()
	oracle, err := tmpl.Clone()
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t)
	if err := app.RegisterTemplate("p", tmpl); err != nil {
		t.Fatalf("RegisterTemplate: %v", err)
	}
	p := newPage(t, app, "p", data[0])
	tok := p.GetToken()
	oracle.Funcs(template.FuncMap{"PAGE_TOKEN": func() string { return tok }})
	snap, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var c client
	c.apply(t, snap)
	var out []string
	for i, d := range data {
		if i > 0 {
			u, err := p.Update(d)
			if err != nil {
				t.Fatalf("step %d: Update: %v", i, err)
			}
			c.apply(t, u)
		}
		var want strings.Builder
		if err := oracle.Execute(&want, d); err != nil {
			t.Fatalf("step %d: oracle: %v", i, err)
		}
		if got := c.html(t); got != want.String() {
			t.Fatalf("step %d: the client holds\n%q\nExecute writes\n%q", i, got, want.String())
		}
		if got, err := p.Render(); err != nil || got != want.String() {
			t.Fatalf("step %d: Render = %q, %v; want %q", i, got, err, want.String())
		}
		out = append(out, want.String())
	}
	return out
}

// parseDelims parses src, written with {{ and }}, with left and right as the
// template's delimiters and LiveTemplate's functions.
func parseDelims(t *testing.T, src, left, right string) *template.Template {
	t.Helper()
	src = strings.NewReplacer("{{", left, "}}", right).Replace(src)
	tmpl, err := template.New("p").Delims(left, right).Funcs(livetemplate.FuncMap()).Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// testDelims are delimiter pairs for registered templates: the usual
// alternative, asymmetric pairs, and NUL (the byte of the engine's markers).
var testDelims = [][2]string{{"[[", "]]"}, {"{{", "]]"}, {"[[", "}}"}, {"<%", "%>"}, {"\x00", "\x00"}}

// TestRegisterTemplateDelims: a template with custom delimiters is escaped
// as html/template escapes it, in Render and in what clients are sent
// (issue 14).
func TestRegisterTemplateDelims(t *testing.T) {
	type d = map[string]any
	cases := []struct {
		name  string
		src   string
		data  []any
		has   string // in the last step's HTML
		lacks string
	}{
		{"URL", `<a href="{{with .}}{{.}}{{end}}">x</a>`,
			[]any{"/home", "javascript:alert(document.domain)"}, `href="#ZgotmplZ"`, "javascript"},
		{"tag", `<p>{{.Body}} <{{.Tag}}></p>`,
			[]any{d{"Body": "b", "Tag": "b"}, d{"Body": "b", "Tag": "img src=x onerror=alert(1)"}}, "&lt;img", "<img"},
		{"comment", `<!-- {{.}} --><p>{{.}}</p><!-- {{if .}}set{{end}} -->`, []any{"a", "b"}, "<p>b</p>", "<!--"},
		{"rows and token", `<ul>{{range .}}<li data-key="{{.}}" onclick="f({{.}})">{{if eq . "b"}}<b>{{.}}</b>{{end}}</li>{{end}}</ul><script>const t = "{{PAGE_TOKEN}}";</script>`,
			[]any{[]string{"a", "b"}, []string{"b", "</li><script>alert(1)</script>"}}, "&lt;/li&gt;", "<script>alert"},
	}
	for _, p := range testDelims {
		for _, c := range cases {
			t.Run(c.name+" "+p[0]+p[1], func(t *testing.T) {
				out := checkPageParity(t, parseDelims(t, c.src, p[0], p[1]), c.data...)
				last := out[len(out)-1]
				if !strings.Contains(last, c.has) || strings.Contains(last, c.lacks) {
					t.Errorf("last HTML %q: want %q in it and no %q", last, c.has, c.lacks)
				}
			})
		}
	}
}

// TestRegisterTemplateDelimsEscapingError: a template with custom delimiters
// that html/template cannot escape is refused at registration with Execute's
// own error.
func TestRegisterTemplateDelimsEscapingError(t *testing.T) {
	for _, p := range testDelims {
		tmpl := parseDelims(t, `<a href="{{if .}}x{{else}}"{{end}}>`, p[0], p[1])
		want := template.Must(tmpl.Clone()).Execute(new(strings.Builder), 1)
		err := newApp(t).RegisterTemplate("bad", tmpl)
		var te *template.Error
		if want == nil || err == nil || !strings.Contains(err.Error(), want.Error()) || !errors.As(err, &te) {
			t.Errorf("delimiters %q %q: got %v, want Execute's %v", p[0], p[1], err, want)
		}
	}
}

// TestRegisterTemplateSettings: registered templates keep html/template's
// output under the settings a set carries besides its text: options,
// functions with the names the engine uses inside, an entry found with
// Lookup, blocks overridden in a clone.
func TestRegisterTemplateSettings(t *testing.T) {
	type m = map[string]any
	keys := []any{m{"a": "javascript:x", "b": m{"c": "<c>"}}, m{"b": m{}}, m{"a": "/ok", "b": m{}}}
	keysSrc := `<a href="{{.a}}" title="{{.b.c}}">{{.a}}</a>{{if .a}}set{{end}}`
	for _, opt := range []string{"missingkey=default", "missingkey=zero"} {
		checkPageParity(t, parse(t, "p", keysSrc).Option(opt), keys...)
	}

	mine := template.FuncMap{"livetemplateEscaped": func() string { return "mine" }, "Stop": func() string { return "stop" }}
	checkPageParity(t, template.Must(template.New("p").Funcs(mine).Parse(`<p>{{livetemplateEscaped}} {{Stop}} {{.}}</p>`)), "a", "<b>")

	set := parseDelims(t, `{{define "row"}}<li title="{{.}}">{{.}}</li>{{end}}<ul>{{template "row" .}}</ul>`, "[[", "]]")
	checkPageParity(t, set.Lookup("row"), "javascript:x", "<y>")

	layout := parseDelims(t, `<a href="{{block "url" .}}/d{{end}}">{{block "body" .}}<p>{{.}}</p>{{end}}</a>`, "[[", "]]")
	page := template.Must(template.Must(layout.Clone()).Parse(`[[define "body"]]<!-- c --><b>[[.]]</b>[[end]][[define "url"]][[.]][[end]]`))
	checkPageParity(t, page, "javascript:x", "<y>")
}

// TestRegisterTemplateMissingKeyError: with missingkey=error, a page whose
// data lacks a key fails as Execute fails, and keeps its last version.
func TestRegisterTemplateMissingKeyError(t *testing.T) {
	src := `<a href="{{.a}}">{{.a}}</a>`
	app := newApp(t)
	if err := app.RegisterTemplate("p", parseDelims(t, src, "[[", "]]").Option("missingkey=error")); err != nil {
		t.Fatal(err)
	}
	p := newPage(t, app, "p", map[string]string{"a": "javascript:x"})
	want := parseDelims(t, src, "[[", "]]").Option("missingkey=error").Execute(io.Discard, map[string]string{})
	if _, err := p.Update(map[string]string{}); want == nil || err == nil || !strings.Contains(err.Error(), want.Error()) {
		t.Fatalf("Update without the key: %v, want Execute's %v", err, want)
	}
	if html, err := p.Render(); err != nil || html != `<a href="#ZgotmplZ">javascript:x</a>` || p.Version() != 1 {
		t.Fatalf("after a failed Update: Render %q, %v at version %d; want the first data's HTML at version 1", html, err, p.Version())
	}
}

package livetemplate_test

import (
	"errors"
	"fmt"
	"html/template"
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

package engine

import (
	"errors"
	"html/template"
	"io"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	executed := template.Must(template.New("x").Parse(`<p>{{.}}</p>`))
	if err := executed.Execute(io.Discard, 1); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tmpl *template.Template
		code template.ErrorCode // 0: check err only
		want string
	}{
		{"nil", nil, 0, "nil template"},
		{"executed", executed, 0, "executed before it was compiled"},
		{"ends in a tag", template.Must(template.New("t").Parse(`<a href="{{.}}`)), template.ErrEndContext, "ends in a non-text context"},
		{"branches differ", template.Must(template.New("b").Parse(`{{if .}}<a href="{{end}}x`)), template.ErrBranchEnd, "branches end in different contexts"},
		{"ambiguous URL", template.Must(template.New("u").Parse(`<a href="{{if .}}/x?{{else}}/y{{end}}{{.}}">`)), template.ErrAmbigContext, "ambiguous"},
		{"missing callee", template.Must(template.New("m").Parse(`{{template "nope"}}`)), template.ErrNoSuchTemplate, "nope"},
		{"empty", template.New("e"), 0, "e"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.tmpl)
			if err == nil {
				t.Fatal("Compile succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), escapeWrapper) {
				t.Errorf("error %q names the internal wrapper", err)
			}
			if c.code != 0 {
				var te *template.Error
				if !errors.As(err, &te) || te.ErrorCode != c.code {
					t.Errorf("error %#v, want html/template error code %v", err, c.code)
				}
			}
			if c.name == "executed" && !errors.Is(err, ErrExecuted) {
				t.Errorf("error %v is not ErrExecuted", err)
			}
		})
	}
}

// TestCompileEscapeErrorsMatchExecute checks that Compile reports the same
// escaping error that Execute would, for templates that fail escaping.
func TestCompileEscapeErrorsMatchExecute(t *testing.T) {
	srcs := []string{
		`<a href="{{.}}`,
		`{{if .}}<a href="{{end}}x`,
		`<script>var x = "{{.}}`,
		`<a href="{{if .}}/x?{{else}}/y{{end}}{{.}}">`,
		`{{define "a"}}<b>{{end}}<div {{template "a"}}>`,
	}
	for _, src := range srcs {
		orig := template.Must(template.New("t").Parse(src))
		oracle := template.Must(orig.Clone())
		execErr := oracle.Execute(io.Discard, "x")
		_, err := Compile(orig)
		if execErr == nil || err == nil {
			t.Errorf("%s: Execute error %v, Compile error %v: want both", src, execErr, err)
			continue
		}
		if err.Error() != execErr.Error() {
			t.Errorf("%s:\nCompile: %v\nExecute: %v", src, err, execErr)
		}
	}
}

// TestCompileLeavesTemplate checks that Compile works on a clone: the caller's
// template can still be executed, cloned and extended.
func TestCompileLeavesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`<a href="{{.}}">{{template "x" .}}</a>{{define "x"}}{{.}}{{end}}`))
	if _, err := Compile(tmpl); err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.New("y").Parse(`more`); err != nil {
		t.Errorf("template no longer extensible: %v", err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, "javascript:x"); err != nil {
		t.Fatal(err)
	}
	if want := `<a href="#ZgotmplZ">javascript:x</a>`; b.String() != want {
		t.Errorf("Execute after Compile: %q, want %q", b.String(), want)
	}
	if _, err := Compile(tmpl); !errors.Is(err, ErrExecuted) {
		t.Errorf("Compile after Execute: %v, want ErrExecuted", err)
	}
}

// TestCompileRunsNoUserCode checks that compiling calls no function or method
// of the template: escaping must not execute anything.
func TestCompileRunsNoUserCode(t *testing.T) {
	calls := 0
	tmpl := template.Must(template.New("t").Funcs(template.FuncMap{
		"count": func() int { calls++; return calls },
	}).Parse(`{{count}}{{if count}}<a href="{{count}}">{{end}}</a>`))
	prog, err := Compile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Fatalf("Compile called a template function %d times", calls)
	}
	if _, err := prog.Render(nil); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("Render called the function %d times, want 3", calls)
	}
}

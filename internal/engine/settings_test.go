package engine

import (
	"errors"
	"html/template"
	"io"
	"strings"
	"testing"
	"text/template/parse"
)

// This file checks the engine against html/template under the settings a
// template set may carry besides its text: options, functions that shadow
// other names, trees added with AddParseTree, entries that are not the
// set's first template, sets executed or cloned before Compile, and
// templates redefined after parsing. Compile works on a clone and adds a
// template of its own to it, so each of these could make the clone differ
// from the template html/template executes.

// checkSetting checks tmpl against html/template over data: Compile refuses
// exactly what html/template refuses, with its error, and otherwise the
// trees and the client's HTML are Execute's output.
func checkSetting(t *testing.T, tmpl *template.Template, data ...any) {
	t.Helper()
	if _, err := Compile(tmpl); err != nil {
		oracle, cerr := tmpl.Clone()
		if cerr != nil {
			t.Fatalf("Compile error %v, but the template can be cloned: %v", err, cerr)
		}
		if execErr := oracle.Execute(io.Discard, data[0]); execErr == nil || execErr.Error() != err.Error() {
			t.Fatalf("Compile error %v, but Execute: %v", err, execErr)
		}
		return
	}
	checkSequence(t, tmpl, data...)
}

// TestOptionMissingKey: every missingkey option, in every context the value
// of a missing key can reach, with the delimiters changed too.
func TestOptionMissingKey(t *testing.T) {
	src := `<p>{{.a}}</p><a href="{{.a}}" title="{{.b.c}}">x</a><script>var a = {{.a}};</script>` +
		`{{if .a}}set{{else}}unset{{end}}{{with .b}}[{{.c}}]{{end}}{{range .l}}<i>{{.}}</i>{{end}}{{index . "a"}}`
	data := []any{
		map[string]any{"a": "javascript:x", "b": map[string]any{"c": 1}, "l": []string{"r"}},
		map[string]any{},
		map[string]any{"b": map[string]any{}},
		map[string]any{"a": "/ok"},
	}
	for _, opt := range []string{"missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error"} {
		for _, d := range [][2]string{{"{{", "}}"}, {"<%", "%>"}} {
			t.Run(opt+" "+d[0], func(t *testing.T) {
				tmpl := parseDelims(t, src, d[0], d[1], nil).Option(opt)
				checkSetting(t, tmpl, data...)
			})
		}
	}
}

// TestFuncsShadow: functions that shadow builtins, html/template's
// predefined escapers and its internal escaper names, and the name of the
// function the engine once added (livetemplateEscaped), given before or
// after parsing.
func TestFuncsShadow(t *testing.T) {
	funcs := template.FuncMap{
		"print":                      func(a ...any) string { return "P" },
		"len":                        func(any) int { return 7 },
		"eq":                         func(a, b any) bool { return true },
		"index":                      func(any, any) string { return "I<" },
		"urlquery":                   func(a ...any) string { return "U" },
		"html":                       func(a ...any) string { return "H" },
		"_html_template_htmlescaper": func(a ...any) string { return "E" },
		"livetemplateEscaped":        func() string { return "mine" },
		"Stop":                       func() string { return "stop" },
	}
	srcs := []string{
		`<p>{{print .}} {{len .}} {{if eq . 1}}eq{{end}} {{index . 0}} {{livetemplateEscaped}} {{Stop}}</p>`,
		`<a href="/q?{{. | urlquery}}">q</a>`,
		`<p>{{. | html}}</p>`,
		`<p>{{_html_template_htmlescaper .}}</p>`,
	}
	for _, src := range srcs {
		before := template.Must(template.New("p").Funcs(funcs).Parse(src))
		checkSetting(t, before, "<x>", "y")
		after := template.Must(template.New("p").Funcs(funcs).Parse(src)).Funcs(funcs)
		checkSetting(t, after, "<x>", "y")
	}
}

// mustTree parses one template text into a tree.
func mustTree(t *testing.T, name, src, left, right string, mode parse.Mode) *parse.Tree {
	t.Helper()
	tr := parse.New(name)
	tr.Mode = mode
	trees := map[string]*parse.Tree{}
	if _, err := tr.Parse(src, left, right, trees, map[string]any{"upper": strings.ToUpper}); err != nil {
		t.Fatal(err)
	}
	return trees[name]
}

// TestAddParseTree: trees added with AddParseTree, parsed with other
// delimiters, kept comments, shared between names, named otherwise than the
// template that holds them, as the entry and as a block's override.
func TestAddParseTree(t *testing.T) {
	data := []any{"javascript:alert(1)", "<b>", "/ok"}
	t.Run("callee with other delimiters", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`<a href="{{template "u" .}}">{{template "u" .}}</a>`))
		template.Must(tmpl.AddParseTree("u", mustTree(t, "u", `[[with .]][[.]][[end]]<!-- c -->`, "[[", "]]", 0)))
		checkSetting(t, tmpl, data...)
	})
	t.Run("entry with comments kept", func(t *testing.T) {
		tr := mustTree(t, "p", `<p title="{{/* c */}}{{.}}">{{/* c */}}{{if .}}{{.}}{{end}}</p>`, "{{", "}}", parse.ParseComments)
		tmpl := template.Must(template.New("p").AddParseTree("p", tr))
		checkSetting(t, tmpl, data...)
	})
	t.Run("one tree under two names", func(t *testing.T) {
		tr := mustTree(t, "x", `<i>{{.}}</i>`, "{{", "}}", 0)
		tmpl := template.Must(template.New("p").Parse(`{{template "a" .}}<a title="{{template "b" .}}">t</a>`))
		template.Must(tmpl.AddParseTree("a", tr))
		template.Must(tmpl.AddParseTree("b", tr))
		checkSetting(t, tmpl, data...)
	})
	t.Run("block override", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`<p>{{block "b" .}}default {{.}}{{end}}</p>`))
		template.Must(tmpl.AddParseTree("b", mustTree(t, "b", `<b>{{upper .}}</b>`, "{{", "}}", parse.SkipFuncCheck)))
		tmpl.Funcs(template.FuncMap{"upper": strings.ToUpper})
		checkSetting(t, tmpl, data...)
	})
}

// TestEntries: the entry is an associated template found with Lookup or
// made with New, not the set's first; one without a body; one whose name is
// template syntax.
func TestEntries(t *testing.T) {
	set := template.Must(template.New("page").Parse(`{{define "row"}}<li title="{{.}}">{{.}}</li>{{end}}<ul>{{template "row" .}}</ul>`))
	template.Must(set.New("other").Parse(`<a href="{{.}}">{{template "row" .}}</a>`))
	data := []any{"javascript:x", "<y>"}
	checkSetting(t, set.Lookup("row"), data...)
	checkSetting(t, set.Lookup("other"), data...)
	checkSetting(t, set, data...)
	checkSetting(t, set.New("empty"), data...)
	checkSetting(t, template.Must(template.New("defines").Parse(`{{define "x"}}x{{end}}`)), data...)
	// A name that is template syntax: the escape wrapper calls the entry by it.
	checkSetting(t, template.Must(template.New("n\"}}{{.}}\x00\xff").Delims("[[", "]]").Parse(`<a href="[[.]]">[[.]]</a>`)), data...)
}

// TestExecutedOrCloned: a set that was executed, through any of its
// templates, cannot be cloned, so Compile refuses it as Clone does; a clone
// made before the execution, and a set compiled twice, behave as
// html/template.
func TestExecutedOrCloned(t *testing.T) {
	src := `{{define "x"}}<b>{{.}}</b>{{end}}<a href="{{.}}">{{template "x" .}}</a>`
	base := template.Must(template.New("p").Parse(src))
	early := template.Must(base.Clone())
	if err := base.Lookup("x").Execute(io.Discard, "v"); err != nil {
		t.Fatal(err)
	}
	_, cloneErr := base.Clone()
	if _, err := Compile(base); cloneErr == nil || !errors.Is(err, ErrExecuted) {
		t.Errorf("after executing an associated template: Clone error %v, Compile error %v; want both, ErrExecuted", cloneErr, err)
	}
	checkSetting(t, early, "javascript:x", "/ok")

	twice := template.Must(template.New("p").Parse(src))
	checkSetting(t, twice, "javascript:x", "/ok")
	checkSetting(t, twice, "<z>", "javascript:x")
}

// TestRedefinitions: blocks and templates redefined after the first parse,
// by a later Parse, by New, in a clone (the layout pattern), with an empty
// body (which does not replace), in non-text contexts, and with other
// delimiters.
func TestRedefinitions(t *testing.T) {
	data := []any{"javascript:x", "<y>"}
	layout := `<title>{{block "title" .}}T{{end}}</title><a href="{{block "url" .}}/d{{end}}">{{block "body" .}}<p>{{.}}</p>{{end}}</a>`

	later := template.Must(template.New("p").Parse(layout))
	template.Must(later.Parse(`{{define "body"}}<b>{{.}}</b>{{end}}{{define "url"}}{{.}}{{end}}`))
	checkSetting(t, later, data...)

	byNew := template.Must(template.New("p").Parse(layout))
	template.Must(byNew.New("title").Parse(`{{.}} & more`))
	checkSetting(t, byNew, data...)

	base := template.Must(template.New("p").Parse(layout))
	page := template.Must(template.Must(base.Clone()).Parse(`{{define "body"}}<i>{{.}}</i>{{end}}`))
	checkSetting(t, page, data...)
	checkSetting(t, base, data...)

	empty := template.Must(template.New("p").Parse(layout))
	template.Must(empty.Parse(`{{define "body"}}{{end}}`))
	checkSetting(t, empty, data...)

	delims := template.Must(template.New("p").Delims("[[", "]]").Parse(`<a href="[[block "url" .]]/d[[end]]">[[block "body" .]][[.]][[end]]</a>`))
	template.Must(delims.New("url").Delims("<%", "%>").Parse(`<%.%>`))
	template.Must(delims.New("body").Parse(`<!-- c --><b>[[.]]</b>`))
	checkSetting(t, delims, data...)
}

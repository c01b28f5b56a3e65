package engine

import (
	"errors"
	"html/template"
	"io"
	"strings"
	"testing"
)

// cleanDelims are delimiter pairs that none of the hand-written templates
// here holds as text: the default, the usual alternatives, asymmetric pairs
// (one side the default's), non-ASCII runes, and NUL, the byte of the
// engine's own markers.
var cleanDelims = [][2]string{
	{"{{", "}}"}, {"[[", "]]"}, {"{{", "]]"}, {"[[", "}}"}, {"<%", "%>"}, {"{%", "%}"},
	{"#{", "}#"}, {"«", "»"}, {"\x00", "\x00"}, {"@@", "@@"}, {"{{{", "}}}"}, {"<?lt ", " ?>"},
}

// delimPairs are the pairs that generated and fuzzed templates draw: the
// clean ones, and pairs that are HTML, JS or CSS syntax, which a template may
// also hold as text (a draw that changes what the template means is
// replaced by another, see genDelims).
var delimPairs = append(cleanDelims[:len(cleanDelims):len(cleanDelims)], [][2]string{
	{"{", "}"}, {"((", "))"}, {"[", "]"}, {"<", ">"}, {"<!--", "-->"}, {"$(", ")"}, {"@", "@"}, {"}}", "{{"}, {`"`, `"`},
}...)

// withDelims rewrites src, written with {{ and }}, to use left and right.
func withDelims(src, left, right string) string {
	return strings.NewReplacer("{{", left, "}}", right).Replace(src)
}

// parseDelims parses src, written with {{ and }}, with left and right as the
// delimiters. It fails t unless the result has the same parse trees as src
// with the default delimiters: the pair must not occur in src as text.
func parseDelims(t testing.TB, src, left, right string, funcs template.FuncMap) *template.Template {
	t.Helper()
	want, err := template.New("p").Funcs(funcs).Parse(src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	got, err := template.New("p").Delims(left, right).Funcs(funcs).Parse(withDelims(src, left, right))
	if err != nil || !sameTrees(got, want) {
		t.Fatalf("%q with delimiters %q %q: %v, or not the same template", src, left, right, err)
	}
	return got
}

// sameTrees reports whether a and b hold the same templates with the same
// parse trees. A tree prints with {{ and }} whatever its delimiters were.
func sameTrees(a, b *template.Template) bool {
	if len(a.Templates()) != len(b.Templates()) {
		return false
	}
	for _, x := range a.Templates() {
		y := b.Lookup(x.Name())
		if y == nil || (x.Tree == nil) != (y.Tree == nil) {
			return false
		}
		if x.Tree != nil && x.Tree.Root.String() != y.Tree.Root.String() {
			return false
		}
	}
	return true
}

// delimStep is one data value of a delimiter case, and what html/template
// writes for it (its documented escaping), which the client must hold too.
type delimStep struct {
	data  pm
	has   []string // substrings the HTML must contain
	lacks []string // substrings it must not contain
}

// delimCases are the symptoms of issue 14 (templates with custom delimiters
// were not escaped), each with hostile values arriving in updates.
var delimCases = []struct {
	name  string
	src   string
	steps []delimStep
}{
	{
		name: "URL attribute through with",
		src:  `<a href="{{with .U}}{{.}}{{end}}">x</a>`,
		steps: []delimStep{
			{data: pm{"U": "/home"}, has: []string{`href="/home"`}},
			{data: pm{"U": "javascript:alert(document.domain)"}, has: []string{`href="#ZgotmplZ"`}, lacks: []string{"javascript:"}},
		},
	},
	{
		name: "value as a tag",
		src:  `<p>{{.Body}} <{{.Tag}}></p>`,
		steps: []delimStep{
			{data: pm{"Body": "b", "Tag": "b"}},
			{data: pm{"Body": "<i>", "Tag": "img src=x onerror=alert(1)"}, has: []string{"&lt;i&gt;", "&lt;img src=x onerror=alert(1)>"}, lacks: []string{"<img", "<i>"}},
		},
	},
	{
		name: "HTML comments",
		src:  `<!-- secret {{.Body}} --><p>{{.Body}}</p><!-- {{if .Body}}set{{end}} -->`,
		steps: []delimStep{
			{data: pm{"Body": "a"}, has: []string{"<p>a</p>"}, lacks: []string{"<!--", "secret"}},
			{data: pm{"Body": "--><script>alert(1)</script>"}, lacks: []string{"<!--", "<script>"}},
		},
	},
	{
		name: "every context, branches, rows and calls",
		src: `{{define "v"}}{{.}}{{end}}<ul>{{range .Items}}<li data-key="{{.}}" title="{{template "v" .}}" onclick="f({{.}})">{{if eq . "b"}}<b>{{.}}</b>{{else}}{{.}}{{end}}</li>{{end}}</ul>` +
			`<script>var b = {{.Body}}; var t = "{{template "v" .Tag}}";</script><style>p { color: {{.Body}} }</style><a href="/s?q={{.Tag}}">q</a>`,
		steps: []delimStep{
			{data: pm{"Items": []string{"a", "b"}, "Body": "red", "Tag": "x"}},
			{data: pm{"Items": []string{"b", "</li><script>alert(1)</script>", "a"}, "Body": "</script><script>alert(1)</script>", "Tag": `"; alert(1); "`},
				lacks: []string{"<script>alert", `"; alert`}},
			{data: pm{"Items": []string{}, "Body": "expression(alert(1))", "Tag": "a b"}, has: []string{"ZgotmplZ", "q=a%20b"}},
		},
	},
}

// TestDelimsEscaping: with any delimiters, the tree and the client's HTML
// are html/template's, escaping included (issue 14: the engine did not
// escape templates with custom delimiters).
func TestDelimsEscaping(t *testing.T) {
	for _, d := range cleanDelims {
		for _, c := range delimCases {
			t.Run(c.name+" "+d[0]+d[1], func(t *testing.T) {
				tmpl := parseDelims(t, c.src, d[0], d[1], nil)
				data := make([]any, len(c.steps))
				for i, s := range c.steps {
					data[i] = s.data
				}
				steps := checkSequence(t, tmpl, data...)
				if len(steps) != len(c.steps) {
					t.Fatalf("%d of %d steps rendered", len(steps), len(c.steps))
				}
				for i, s := range c.steps {
					html := string(steps[i].tree.HTML())
					for _, h := range s.has {
						if !strings.Contains(html, h) {
							t.Errorf("step %d: %q lacks %q", i, html, h)
						}
					}
					for _, l := range s.lacks {
						if strings.Contains(html, l) {
							t.Errorf("step %d: %q holds %q", i, html, l)
						}
					}
				}
			})
		}
	}
}

// TestDelimsEscapingErrors: Compile reports html/template's own escaping
// error for a template with any delimiters, as Execute does.
func TestDelimsEscapingErrors(t *testing.T) {
	srcs := []string{
		`<a href="{{if .}}x{{else}}"{{end}}>`,
		`<a href="{{.}}`,
		`<script>var x = "{{.}}`,
		`{{define "a"}}<b>{{end}}<div {{template "a"}}>`,
		`{{template "nope"}}`,
	}
	for _, d := range cleanDelims {
		for _, src := range srcs {
			tmpl := parseDelims(t, src, d[0], d[1], nil)
			oracle := template.Must(tmpl.Clone())
			execErr := oracle.Execute(io.Discard, "x")
			_, err := Compile(tmpl)
			if execErr == nil || err == nil || err.Error() != execErr.Error() {
				t.Errorf("%q with %q %q:\nCompile: %v\nExecute: %v", src, d[0], d[1], err, execErr)
			}
		}
	}
}

// TestEngineNamesFreeForUsers: the names the engine adds to a clone (its
// escape wrapper, any function) neither replace nor satisfy the user's own:
// a template set that defines, calls or has functions of such names renders
// as html/template renders it.
func TestEngineNamesFreeForUsers(t *testing.T) {
	funcs := template.FuncMap{"livetemplateEscaped": func() string { return "mine" }}
	srcs := []string{
		`<p>{{livetemplateEscaped}}</p>`,
		`{{define "\x00livetemplate-escape"}}<i>{{.}}</i>{{end}}<p>{{template "\x00livetemplate-escape" .}}</p>`,
		`<p>{{template "\x00livetemplate-escape" .}}</p>`,
		`{{define "\x00livetemplate-escape0"}}<i>{{.}}</i>{{end}}<p>{{template "\x00livetemplate-escape" .}}</p>`,
	}
	for _, src := range srcs {
		tmpl := template.Must(template.New("p").Funcs(funcs).Parse(src))
		if _, err := Compile(tmpl); err != nil {
			checkRejected(t, tmpl, err, "x")
			continue
		}
		checkSequence(t, tmpl, "x", "<y>")
	}
}

// TestDelimsInherited: templates made with New of a template with custom
// delimiters inherit them, in the oracle as in the engine.
func TestDelimsInherited(t *testing.T) {
	root := template.Must(template.New("p").Delims("[[", "]]").Parse(`<a href="[[template "u" .]]">[[template "t" .]]</a>`))
	template.Must(root.New("u").Parse(`[[.]]`))
	template.Must(root.New("t").Parse(`<b>[[.]]</b>[[/* c */]]<!-- c -->`))
	checkSequence(t, root, "/ok", "javascript:alert(1)", "<img onerror=alert(1)>")
}

// TestEscapeOutcome: the escape wrapper's execution succeeds only by
// stopping where it is made to stop. Running to its end (as a wrapper
// parsed as plain text did) or failing otherwise is an internal error, never
// success; an escaping error is the entry's.
func TestEscapeOutcome(t *testing.T) {
	escErr := &template.Error{ErrorCode: template.ErrEndContext, Name: "w", Description: "ends in a non-text context"}
	cases := []struct {
		name string
		err  error
		want string // "" for success
	}{
		{"stopped", errEscaped, ""},
		{"ran to the end", nil, "internal error"},
		{"other error", errors.New("boom"), "internal error"},
		{"escaping error", escErr, `html/template:entry: ends in a non-text context`},
	}
	for _, c := range cases {
		err := escapeOutcome("entry", "w", c.err)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want success", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	if escErr.Name != "w" {
		t.Errorf("escapeOutcome changed the error it was given")
	}
}

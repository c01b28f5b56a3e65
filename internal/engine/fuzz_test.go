package engine

import (
	"cmp"
	"errors"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"
	"unicode/utf8"
)

// Limits that keep one fuzz input cheap: a fuzzed template can loop or
// print without bound, which would only test the machine's patience.
const (
	fuzzMaxText   = 2000
	fuzzMaxString = 64
	fuzzMaxDelim  = 8       // bytes of a delimiter
	fuzzMaxInt    = 20      // largest integer literal
	fuzzMaxRanges = 3       // deepest nesting of ranges, through calls too
	fuzzMaxOutput = 1 << 20 // bytes one execution may write
)

// fuzzSeeds cover the constructs and escaping contexts; the fuzzer mutates
// them into the rest.
var fuzzSeeds = []string{
	`<p>{{.S}}</p>{{.N}} {{.B}} {{.F}} {{.H}} {{.Any}}`,
	`{{.Label}}{{with .P}}{{.Ptr}} {{.Label}}{{end}}{{.Greet .T}}{{index .M "a"}}{{.M.b}}`,
	`{{$x := .S}}{{$x}}{{$x = .T}}{{$x}}{{range $i, $v := .Items}}{{$i}}={{$v.Name}}{{$.N}}{{end}}`,
	`{{.S | printf "%q" | upper}} {{printf "%s-%d" .S .N}} {{print .S .N}} {{println .B}}`,
	`{{and .B .S}} {{or .S "none"}} {{not .B}} {{len .Items}} {{index .Arr 1}} {{slice .S 0}}`,
	`{{eq .N 1}} {{ne .S ""}} {{lt .N 2}} {{le .N 2}} {{gt .N 2}} {{ge .N 2}} {{call .Fn .S}} {{join .Tags ","}} {{add .N 1}}`,
	`{{if .B}}yes{{else if eq .N 2}}two{{else}}no{{end}}`,
	`{{with .P}}{{.Name}}{{else with .S}}{{.}}{{else}}none{{end}}`,
	`<ul>{{range .Items}}<li data-key="{{.ID}}">{{.Name}}{{if .On}} on{{end}}</li>{{else}}<li>empty</li>{{end}}</ul>`,
	`{{range .Items}}{{if .On}}{{continue}}{{end}}<b>{{.Name}}</b>{{if eq .N 3}}{{break}}{{end}}{{end}}`,
	`{{range .Arr}}[{{.}}]{{end}}{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}{{range 3}}{{.}}{{end}}{{range .N}}{{.}}{{end}}`,
	`{{range .Chan}}<i>{{.}}</i>{{end}}{{range .Seq}}{{.}}{{end}}{{range $i, $it := .Seq2}}{{$i}}{{$it.ID}}{{end}}`,
	`{{range seq .N}}{{.}}{{end}}{{range $k, $v := pairs .M}}{{$k}}{{$v}}{{end}}`,
	`{{define "v"}}<b>{{.}}</b>{{end}}{{template "v" .S}}{{template "v"}}{{template "v" .P}}{{template "v" 0}}`,
	`{{block "b" .Items}}{{range .}}<li data-key="{{.ID}}">{{.Name}}</li>{{end}}{{end}}`,
	`{{define "t"}}<ul>{{.Name}}{{range .Kids}}<li data-key="{{.Name}}">{{template "t" .}}</li>{{end}}</ul>{{end}}{{template "t" .Tree}}`,
	`a {{/* comment */}} b <!-- html comment --> c {{- .S -}} d`,
	`<a href="{{.U}}" title="{{.S}}">x</a><a href='/p?q={{.S}}&n={{.N}}#{{.T}}'>q</a><a href={{.U}}>u</a>`,
	`<img src="{{.U}}" srcset="{{.U}} 2x" alt={{.S}}><input value="{{.S}}" {{if .B}}checked{{end}}>`,
	`<button onclick="f({{.S}}, '{{.T}}', {{.N}})">b</button><span {{.AttrName}}="{{.S}}">s</span>`,
	"<script>var a = {{.S}}; var s = \"{{.T}}\"; var t = `x ${ {{.N}} } {{.S}}`; var re = /{{.S}}/; var o = {{.Items}};</script>",
	`<style>p { color: {{.S}}; background: url({{.U}}); font-family: "{{.T}}"; }</style><p style="width: {{.N}}px; color: {{.S}}">s</p>`,
	`<textarea>{{.S}}</textarea><title>{{.T}} &amp; {{.N}}</title>`,
	`{{define "v"}}{{.}}{{end}}<a title="{{template "v" .S}}">x</a><script>var v = {{template "v" .T}};</script>`,
	`{{define "v"}}<i>{{.}}</i>{{end}}{{define "o"}}x"><b>{{template "v" .}}</b><a title="y{{end}}<a title="{{template "o" .S}}">t</a>`,
	`{{range .Tags}}<li data-key="{{.}}">{{.}}</li>{{end}}`,
	`{{range .Items}}<tr class="r" data-key='{{.ID}}'><td>{{.Name}}</td></tr>{{end}}`,
	`{{check .N}} {{index .Items 0}}`,
}

// FuzzParity checks arbitrary template texts over data built from the other
// inputs. The text is written with {{ and }}, which become left and right
// (the defaults when empty), the template's delimiters. Texts that do not
// parse, that html/template rejects, or that could run without bound are
// skipped.
func FuzzParity(f *testing.F) {
	for i, s := range fuzzSeeds {
		d := delimPairs[i%len(delimPairs)]
		f.Add(s, genStrings[i%len(genStrings)], genURLs[i%len(genURLs)], i%5-1, i%2 == 0, d[0], d[1])
	}
	f.Fuzz(func(t *testing.T, text, s1, s2 string, n int, b bool, left, right string) {
		if len(text) > fuzzMaxText || len(s1) > fuzzMaxString || len(s2) > fuzzMaxString || !utf8.ValidString(text) {
			t.Skip("input too large or not UTF-8")
		}
		if len(left) > fuzzMaxDelim || len(right) > fuzzMaxDelim {
			t.Skip("delimiters too long")
		}
		if splitsRunes(text, s1, s2) {
			t.Skip("a rune could be split between two values")
		}
		left, right = cmp.Or(left, "{{"), cmp.Or(right, "}}")
		tmpl, err := template.New("f").Delims(left, right).Funcs(genFuncs).Parse(withDelims(text, left, right))
		if err != nil {
			t.Skip("does not parse")
		}
		if !bounded(tmpl) {
			t.Skip("may run without bound")
		}
		if _, err := Compile(tmpl); err != nil {
			checkRejected(t, tmpl, err, fuzzData(s1, s2, n, b)[0].(next)())
			t.Skip("rejected by html/template")
		}
		if !smallOutput(t, tmpl, fuzzData(s1, s2, n, b)) {
			t.Skip("output too large")
		}
		checkSequence(t, tmpl, fuzzData(s1, s2, n, b)...)
	})
}

// FuzzGenerated runs the generator of TestParityRandom with any seed.
func FuzzGenerated(f *testing.F) {
	for _, seed := range []int64{0, 1, 7, 42, 1 << 40} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		c := newGenCase(seed)
		if res := c.run(t); res.rejected {
			t.Skip("rejected by html/template")
		}
	})
}

// splitsRunes reports whether the output could hold a rune whose bytes are
// split between two values: from invalid UTF-8 in the data, or from slice
// cutting a string inside a rune. Each value crosses the wire as its own
// JSON string, so such a rune arrives as U+FFFDs (a known limit that
// docs/protocol.md does not yet state).
func splitsRunes(text, s1, s2 string) bool {
	if !utf8.ValidString(s1) || !utf8.ValidString(s2) {
		return true
	}
	return strings.Contains(text, "slice") && !isASCII(s1+s2)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkRejected checks that a Compile error is html/template's own verdict
// on the template: Execute fails with the same escaping error.
func checkRejected(t testing.TB, tmpl *template.Template, err error, data any) {
	t.Helper()
	oracle, cerr := tmpl.Clone()
	if cerr != nil {
		t.Fatalf("clone: %v", cerr)
	}
	execErr := oracle.Execute(io.Discard, data)
	var e *template.Error
	if !errors.As(execErr, &e) || loopPrefixes.ReplaceAllString(execErr.Error(), "$1") != loopPrefixes.ReplaceAllString(err.Error(), "$1") {
		t.Fatalf("Compile error %v, but Execute: %v", err, execErr)
	}
}

// loopPrefixes matches a repeated loop prefix of an escaping error.
// html/template prepends it to a shared error once per escaping pass over
// the loop, and Compile's escape wrapper adds passes, so only the number of
// repetitions may differ (found by FuzzParity, testdata/fuzz/FuzzParity/ec3d969d09655f77).
var loopPrefixes = regexp.MustCompile(`((?:at range loop (?:break|continue)|on range loop re-entry): )+`)

// fuzzData makes four data values from the fuzz inputs, new at each call:
// one, a mutation of it with rows reordered, removed and added, the same
// value changed in place through what it points to, and an almost empty
// one. Each step sets genEpoch to its number.
func fuzzData(s1, s2 string, n int, b bool) []any {
	n = min(max(n, -2), 8)
	words := strings.Fields(s1 + " " + s2)
	d := &genData{
		S: s1, T: s2, U: s2, AttrName: s1, N: n, B: b,
		H: template.HTML(s2), Any: s1,
		Arr:  [3]string{s1, s2, ""},
		Tags: words,
		M:    map[string]string{"a": s1, "b": s2},
		MI:   map[string]*genItem{s1: {ID: s1, Name: s2}},
		Tree: &genNode{Name: s1, Kids: []*genNode{{Name: s2}, {Name: s1, Kids: []*genNode{{Name: "x"}}}}},
		Fn:   genFn,
	}
	for i, w := range words[:min(len(words), 6)] {
		d.Items = append(d.Items, genItem{ID: w, Name: s2, N: i, On: (i%2 == 0) == b})
	}
	if b {
		d.P = &genItem{ID: s1, Name: s2, N: n}
	}
	d2 := d.clone()
	d2.S, d2.T, d2.B, d2.N = s2, s1, !b, n+1
	slices.Reverse(d2.Items)
	if len(d2.Items) > 1 {
		d2.Items = slices.Delete(d2.Items, 1, 2)
	}
	d2.Items = append(d2.Items, genItem{ID: s1 + "+", Name: s1})
	d2.Tags = append(d2.Tags, s1)
	d2.M["c"] = s1
	d2.Tree.Kids = d2.Tree.Kids[1:]
	d2.P = &genItem{ID: s2, Name: s1}
	d2.MI[s2] = d2.P
	d3 := &genData{S: s2, Tree: &genNode{}, Fn: genFn}
	changed := func() any {
		if len(d2.Items) > 0 {
			d2.Items[0].Name, d2.Items[0].On = s1+s2, !d2.Items[0].On
		}
		d2.P.Name = s2 + s1 // d2.MI shares it
		d2.M["a"], d2.Tags[0] = s2, s2
		d2.Tree.Kids[0].Name = s2
		return d2
	}
	data := []any{d, d2, changed, d3}
	for i, v := range data {
		data[i] = next(func() any {
			genEpoch = i
			if f, ok := v.(func() any); ok {
				return f()
			}
			return v
		})
	}
	return data
}

// limitWriter fails once more than its limit has been written.
type limitWriter struct{ left int }

var errTooLarge = errors.New("output too large")

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.left -= len(p); w.left < 0 {
		return 0, errTooLarge
	}
	return len(p), nil
}

// smallOutput reports whether every execution stays within fuzzMaxOutput.
// Execute stops at the first failed write, so the check itself is cheap.
func smallOutput(t *testing.T, tmpl *template.Template, data []any) bool {
	probe, err := tmpl.Clone()
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	for _, d := range data {
		if err := probe.Execute(&limitWriter{fuzzMaxOutput}, d.(next)()); errors.Is(err, errTooLarge) {
			return false
		}
	}
	return true
}

// bounded reports whether tmpl surely runs in bounded time: no template
// reaches itself through calls, integer literals are small, and ranges nest
// at most fuzzMaxRanges deep, counted through calls.
func bounded(tmpl *template.Template) bool {
	b := &bounds{trees: map[string]*parse.Tree{}, depth: map[string]int{}, busy: map[string]bool{}}
	for _, x := range tmpl.Templates() {
		if x.Tree != nil {
			b.trees[x.Name()] = x.Tree
		}
	}
	for name := range b.trees {
		if d, ok := b.rangeDepth(name); !ok || d > fuzzMaxRanges {
			return false
		}
	}
	return true
}

type bounds struct {
	trees map[string]*parse.Tree
	depth map[string]int // memoized range depth of a template
	busy  map[string]bool
}

// rangeDepth returns how deep ranges nest in an execution of the named
// template, or false if it may recurse or holds a large literal.
func (b *bounds) rangeDepth(name string) (int, bool) {
	if d, ok := b.depth[name]; ok {
		return d, true
	}
	tree := b.trees[name]
	if b.busy[name] {
		return 0, false
	}
	if tree == nil {
		return 0, true
	}
	b.busy[name] = true
	d, ok := b.node(tree.Root)
	delete(b.busy, name)
	if ok {
		b.depth[name] = d
	}
	return d, ok
}

func (b *bounds) node(n parse.Node) (int, bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0, true
		}
		return b.nodes(n.Nodes...)
	case *parse.ActionNode:
		return b.node(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return 0, true
		}
		var ns []parse.Node
		for _, c := range n.Cmds {
			ns = append(ns, c.Args...)
		}
		return b.nodes(ns...)
	case *parse.ChainNode:
		return b.node(n.Node)
	case *parse.NumberNode:
		small := (!n.IsInt || n.Int64 <= fuzzMaxInt && n.Int64 >= -fuzzMaxInt) && (!n.IsUint || n.Uint64 <= fuzzMaxInt)
		return 0, small
	case *parse.IfNode:
		return b.branch(&n.BranchNode, 0)
	case *parse.WithNode:
		return b.branch(&n.BranchNode, 0)
	case *parse.RangeNode:
		return b.branch(&n.BranchNode, 1)
	case *parse.TemplateNode:
		d, ok := b.node(n.Pipe)
		cd, cok := b.rangeDepth(n.Name)
		return max(d, cd), ok && cok
	}
	return 0, true
}

func (b *bounds) nodes(ns ...parse.Node) (int, bool) {
	depth := 0
	for _, n := range ns {
		if n == nil {
			continue
		}
		d, ok := b.node(n)
		if !ok {
			return 0, false
		}
		depth = max(depth, d)
	}
	return depth, true
}

// branch adds extra to the depth of the body, which a range repeats.
func (b *bounds) branch(n *parse.BranchNode, extra int) (int, bool) {
	p, ok := b.node(n.Pipe)
	if !ok {
		return 0, false
	}
	d, ok := b.nodes(n.List, n.ElseList)
	return max(p, d+extra), ok
}

package engine

import (
	"errors"
	"fmt"
	"html/template"
	"iter"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cxUser has methods with value and pointer receivers, so that templates can
// reach both kinds through pointers, addressable slice elements and maps.
type cxUser struct {
	Name string
	Age  int
	Tags []string
	Next *cxUser
}

func (u cxUser) Greeting() string      { return "hi " + u.Name }
func (u cxUser) Plus(n int) int        { return u.Age + n }
func (u *cxUser) Shout() string        { return strings.ToUpper(u.Name) + "!" }
func (u *cxUser) Tagged(t string) bool { return strings.Contains(strings.Join(u.Tags, ","), t) }

// cxSource produces values to range over that html/template can only consume
// once: a channel, and iterator functions. Methods make a fresh one for every
// execution, as the oracle and the engine each execute once per step.
type cxSource struct{ Items []string }

func (s cxSource) Chan() chan string {
	ch := make(chan string, len(s.Items))
	for _, it := range s.Items {
		ch <- it
	}
	close(ch)
	return ch
}

func (s cxSource) Seq() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, it := range s.Items {
			if !yield(it) {
				return
			}
		}
	}
}

func (s cxSource) Seq2() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, it := range s.Items {
			if !yield(i*10, it) {
				return
			}
		}
	}
}

// cxNode is a tree for recursive templates.
type cxNode struct {
	Name string
	Kids []*cxNode
}

func cxLeaf(name string) *cxNode { return &cxNode{Name: name} }

func cxTree(name string, kids ...*cxNode) *cxNode { return &cxNode{Name: name, Kids: kids} }

var errCxNegative = errors.New("negative input")

var cxFuncs = template.FuncMap{
	"double": func(n int) int { return 2 * n },
	"join":   strings.Join,
	"upper":  strings.ToUpper,
	// checked returns an error for some data, which must stop Render exactly
	// as it stops Execute.
	"checked": func(n int) (string, error) {
		if n < 0 {
			return "", errCxNegative
		}
		return fmt.Sprintf("ok(%d)", n), nil
	},
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
}

// pm is shorthand for the map data most cases use.
type pm = map[string]any

// parityCase is one template run over a sequence of data values. fails is the
// number of those values whose execution must fail: checking it makes sure
// the failure paths are really taken.
type parityCase struct {
	name  string
	tmpl  func() *template.Template
	data  []any
	fails int
}

// cxParse parses src as the template "t" with cxFuncs.
func cxParse(src string) func() *template.Template {
	return func() *template.Template {
		return template.Must(template.New("t").Funcs(cxFuncs).Parse(src))
	}
}

func runParityCases(t *testing.T, cases []parityCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.data) < 3 {
				t.Fatalf("case has %d data values; want at least 3 so that diffs are exercised", len(c.data))
			}
			steps := checkSequence(t, c.tmpl(), c.data...)
			if got := len(c.data) - len(steps); got != c.fails {
				t.Fatalf("%d of %d steps failed, want %d", got, len(c.data), c.fails)
			}
			if len(steps) < 2 {
				t.Fatalf("only %d steps rendered: no diff was checked", len(steps))
			}
			diffs := 0
			for _, s := range steps[1:] {
				if len(s.msg) > 0 {
					diffs++
				}
			}
			if diffs == 0 {
				t.Fatalf("no step produced a diff: the data never changed the output")
			}
		})
	}
}

func TestParityConstructs(t *testing.T) {
	ann := &cxUser{Name: "ann", Age: 30, Tags: []string{"a", "b"}}
	bob := &cxUser{Name: "bob", Age: 41, Tags: []string{"c"}, Next: ann}
	cases := []parityCase{
		{
			name: "fields",
			tmpl: cxParse(`<p>{{.Name}} ({{.Age}})</p><p>{{.Next.Name}}</p><p>{{.Tags}}</p>`),
			// Step 2 has no Next: a nil pointer error.
			data:  []any{bob, &cxUser{Name: "x<y", Age: 1, Next: bob}, ann, bob},
			fails: 1,
		},
		{
			name: "methods",
			tmpl: cxParse(`{{.Greeting}}|{{.Plus 5}}|{{.Shout}}|{{.Tagged "b"}}`),
			// A pointer reaches both receivers; a plain struct value cannot
			// call the pointer method.
			data:  []any{ann, bob, *ann, &cxUser{Name: "é&<", Tags: []string{"b"}}},
			fails: 1,
		},
		{
			name: "pointer methods through slices and maps",
			tmpl: cxParse(`<ul>{{range .L}}<li>{{.Shout}} {{.Greeting}}</li>{{end}}</ul>` +
				`{{with index .M "k"}}<b>{{.Shout}}</b>{{end}}`),
			// Slice elements are addressable, so []cxUser reaches the pointer
			// method; a map value is not, so map[string]cxUser fails.
			data: []any{
				pm{"L": []cxUser{*ann, *bob}, "M": map[string]*cxUser{"k": ann}},
				pm{"L": []*cxUser{bob}, "M": map[string]*cxUser{"k": bob}},
				pm{"L": []cxUser{*bob}, "M": map[string]cxUser{"k": *bob}},
				pm{"L": []cxUser{*bob, *ann, *bob}, "M": map[string]*cxUser{}},
			},
			fails: 1,
		},
		{
			name: "map keys",
			tmpl: cxParse(`{{.m.a}}|{{index .m "b c"}}|{{.m.missing}}|{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}`),
			data: []any{
				pm{"m": map[string]int{"a": 1, "b c": 2}},
				pm{"m": map[string]int{"a": 3, "z": 9, "b c": 2}},
				pm{"m": map[string]int{}},
				pm{"m": map[string]int{"b c": -1}},
			},
		},
		{
			name: "variables",
			tmpl: cxParse(`{{$x := .A}}[{{$x}}]` +
				`{{range .L}}{{$x = .}}{{end}}[{{$x}}]` +
				`{{if .B}}{{$x = "set in if"}}{{end}}[{{$x}}]` +
				`{{with .L}}{{$x = len .}}{{end}}[{{$x}}]` +
				`{{range .L}}({{$.A}}/{{.}}){{end}}[{{$}}]`),
			data: []any{
				pm{"A": "a", "L": []string{"p", "q"}, "B": false},
				pm{"A": "b", "L": []string{}, "B": true},
				pm{"A": "c", "L": []string{"r"}, "B": true},
				pm{"A": "<a>", "L": nil, "B": false},
			},
		},
		{
			name: "range index and value",
			tmpl: cxParse(`{{range $i, $v := .}}<b>{{$i}}</b>={{$v}} {{end}}` +
				`{{range $v := .}}[{{$v}}]{{end}}`),
			data: []any{[]string{"a", "b"}, []string{"c"}, []string{"x", "y", "z"}, []string{}},
		},
		{
			name: "nested ranges using $",
			tmpl: cxParse(`{{range $g := .Groups}}<ul title="{{$.Title}}">` +
				`{{range $i, $it := .Items}}<li>{{$.Prefix}}{{$g.Name}}.{{$i}}={{$it}}</li>{{end}}</ul>{{end}}`),
			data: []any{
				pm{"Title": "t1", "Prefix": "p-", "Groups": []pm{{"Name": "g1", "Items": []string{"a", "b"}}}},
				pm{"Title": "t2", "Prefix": "q-", "Groups": []pm{
					{"Name": "g1", "Items": []string{"a"}}, {"Name": "g2", "Items": []string{"c", "d"}}}},
				pm{"Title": "t2", "Prefix": "q-", "Groups": []pm{{"Name": "g2", "Items": []string{}}}},
				pm{"Title": `"t3"`, "Prefix": "<r>", "Groups": []pm{{"Name": "g3", "Items": []string{"e"}}}},
			},
		},
		{
			name: "pipelines",
			tmpl: cxParse(`{{.N | printf "%03d"}}|{{.S | printf "%s-%s" "pre" | upper}}|` +
				`{{.N | double | double}}|{{(printf "%d" .N) | len}}|{{.S | len | printf "%d chars"}}`),
			data: []any{pm{"N": 7, "S": "ab"}, pm{"N": 12, "S": "ab"}, pm{"N": -3, "S": "<x>"}, pm{"N": 0, "S": ""}},
		},
		{
			name: "and or not",
			tmpl: cxParse(`{{and .A .B}}|{{or .A .B "default"}}|{{not .A}}|{{if and .A (not .B)}}only A{{end}}|` +
				// and/or stop evaluating at the deciding argument: .Nil.X
				// would fail if evaluated.
				`{{or .A .Nil.X}}|{{and .B .Nil.X}}`),
			data: []any{
				pm{"A": "x", "B": "", "Nil": nil},
				pm{"A": "", "B": "", "Nil": pm{"X": "nx"}},
				pm{"A": "y", "B": 0, "Nil": nil},
				pm{"A": 0, "B": "z", "Nil": pm{"X": "<nx>"}},
			},
		},
		{
			name: "len index slice",
			tmpl: cxParse(`{{len .L}}|{{len .S}}|{{len .M}}|{{index .L 1}}|{{index .M "k"}}|{{index .G 1 0}}|` +
				`{{slice .L 1}}|{{slice .S 1 3}}|{{slice .L 0 1 2}}`),
			// Step 3 indexes past the end of L: an error.
			data: []any{
				pm{"L": []int{1, 2, 3}, "S": "hello", "M": map[string]int{"k": 1}, "G": [][]string{{"a"}, {"b"}}},
				pm{"L": []int{4, 5}, "S": "héllo", "M": map[string]int{"k": 2, "j": 3}, "G": [][]string{{"a"}, {"c", "d"}}},
				pm{"L": []int{6}, "S": "abc", "M": map[string]int{}, "G": [][]string{{"a"}, {"b"}}},
				pm{"L": []int{7, 8, 9, 10}, "S": "xyz", "M": map[string]int{}, "G": [][]string{{}, {"<e>"}}},
			},
			fails: 1,
		},
		{
			name: "print printf println",
			tmpl: cxParse(`{{print .A .B 1 2}}|{{printf "%v-%q-%5.2f" .A .B .F}}|{{println .A .B}}|{{print}}`),
			data: []any{
				pm{"A": "a", "B": "b", "F": 1.5},
				pm{"A": 1, "B": "<b>", "F": 2.25},
				pm{"A": nil, "B": "c", "F": -0.5},
				pm{"A": []int{1}, "B": "", "F": 0.0},
			},
		},
		{
			name: "comparisons",
			tmpl: cxParse(`{{eq .A .B}} {{eq .A 1 2 3}} {{ne .A .B}} {{lt .A .B}} {{le .A .B}} {{gt .A .B}} {{ge .A .B}}` +
				`{{if lt .A .B}} less{{else if eq .A .B}} same{{else}} more{{end}}`),
			// Step 3 compares an int with a string: incompatible types.
			data:  []any{pm{"A": 1, "B": 2}, pm{"A": 3, "B": 3}, pm{"A": 4, "B": "x"}, pm{"A": 5, "B": 2}, pm{"A": 2, "B": 2}},
			fails: 1,
		},
		{
			name: "call",
			tmpl: cxParse(`{{call .F .N}}|{{call .G}}`),
			data: []any{
				pm{"N": 2, "F": func(n int) int { return n * n }, "G": func() string { return "<g>" }},
				pm{"N": 3, "F": func(n int) (int, error) { return n + 1, nil }, "G": func() string { return "g" }},
				pm{"N": 4, "F": func(n int) (int, error) { return 0, errors.New("call failed") }, "G": func() string { return "g" }},
				pm{"N": 5, "F": func(n int) int { return -n }, "G": func() string { return "h" }},
			},
			fails: 1,
		},
		{
			name: "funcmap with error",
			tmpl: cxParse(`<p>{{double .N}}</p><p>{{checked .N}}</p><p>{{join .L ", "}}</p>`),
			data: []any{
				pm{"N": 1, "L": []string{"a"}},
				pm{"N": -1, "L": []string{"b"}},
				pm{"N": 2, "L": []string{"c", "d"}},
				pm{"N": -5, "L": nil},
				pm{"N": 3, "L": []string{"<e>"}},
			},
			fails: 2,
		},
		{
			name: "if else if else",
			tmpl: cxParse(`<p>{{if gt .N 10}}big {{.N}}{{else if gt .N 0}}<i>small {{.N}}</i>{{else}}none{{end}}</p>`),
			data: []any{pm{"N": 20}, pm{"N": 5}, pm{"N": 0}, pm{"N": 20}, pm{"N": 11}, pm{"N": 1}},
		},
		{
			name: "with else",
			tmpl: cxParse(`{{with .U}}<b>{{.Name}}</b>{{else}}<i>nobody</i>{{end}}`),
			data: []any{pm{"U": ann}, pm{"U": nil}, pm{"U": bob}, pm{"U": nil}},
		},
		{
			name: "with else with",
			tmpl: cxParse(`{{with .A}}a={{.}}{{else with .B}}<b>b={{.}}</b>{{else}}none{{end}}`),
			data: []any{pm{"A": 1, "B": 2}, pm{"A": 0, "B": 2}, pm{"A": 0, "B": 0}, pm{"A": 0, "B": 3}, pm{"A": 4, "B": 0}},
		},
		{
			name: "range else over slices",
			tmpl: cxParse(`<ul>{{range .}}<li>{{.}}</li>{{else}}<p>empty</p>{{end}}</ul>`),
			data: []any{[]string{"a", "b"}, []string(nil), []string{"c"}, []string{}, []string{"d", "e", "f"}},
		},
		{
			name: "range over arrays",
			tmpl: cxParse(`{{range $i, $v := .}}{{$i}}:{{$v}} {{end}}`),
			data: []any{[3]int{1, 2, 3}, [3]int{1, 5, 3}, [3]int{}, [0]int{}, [2]string{"<a>", "b"}},
		},
		{
			name: "range over maps in key order",
			tmpl: cxParse(`{{range $k, $v := .}}<dt>{{$k}}</dt><dd>{{$v}}</dd>{{else}}no keys{{end}}`),
			data: []any{
				map[string]int{"b": 2, "a": 1, "c": 3},
				map[string]int{},
				map[string]int{"z": 0, "a": 9},
				map[int]string{3: "three", 1: "one", 2: "two"},
			},
		},
		{
			name: "range over ints",
			tmpl: cxParse(`{{range 3}}<{{.}}>{{end}}|{{range $i := .N}}[{{$i}}]{{else}}zero{{end}}`),
			data: []any{pm{"N": 3}, pm{"N": 0}, pm{"N": 2}, pm{"N": 5}},
		},
		{
			name: "range over channels",
			tmpl: cxParse(`<ul>{{range .Chan}}<li>{{.}}</li>{{else}}closed{{end}}</ul>`),
			data: []any{cxSource{[]string{"a", "b"}}, cxSource{}, cxSource{[]string{"c", "<d>", "e"}}},
		},
		{
			name: "range over iter.Seq and iter.Seq2",
			tmpl: cxParse(`{{range .Seq}}({{.}}){{else}}none{{end}}|{{range $k, $v := .Seq2}}{{$k}}={{$v}};{{end}}`),
			data: []any{cxSource{[]string{"a", "b"}}, cxSource{[]string{"c"}}, cxSource{}, cxSource{[]string{"x", "y", "z"}}},
		},
		{
			name: "break and continue in if",
			tmpl: cxParse(`<ul>{{range .}}{{if eq . 1}}{{continue}}{{end}}<li>{{.}}</li>` +
				`{{if gt . 3}}{{break}}{{end}}<hr>{{end}}</ul>`),
			data: []any{[]int{0, 1, 2, 3, 4, 5}, []int{1, 1}, []int{5, 0}, []int{2, 1, 9}, []int{}},
		},
		{
			name: "break and continue unconditional",
			tmpl: cxParse(`{{range .}}<b>{{.}}</b>{{break}}never{{end}}|{{range .}}[{{.}}]{{continue}}never{{end}}|` +
				`{{range $i, $v := .}}{{with $v}}{{if $i}}{{break}}{{end}}({{.}}){{end}}{{end}}`),
			data: []any{[]int{1, 2}, []int{3}, []int{}, []int{0, 4, 5}, []int{6, 7}},
		},
		{
			// text/template lets a break in a range's else list end that
			// range, but a continue there continues the enclosing range,
			// skipping the rest of its body.
			name: "break and continue in a range's else list",
			tmpl: cxParse(`{{range $a := .A}}<p>{{range $.B}}x{{else}}E{{continue}}F{{end}}y</p>{{end}}|` +
				`{{range .A}}<p>{{range $.B}}x{{else}}{{if eq . 2}}{{continue}}{{end}}E{{break}}F{{end}}y</p>{{end}}`),
			data: []any{
				pm{"A": []int{1, 2}, "B": []int{}},
				pm{"A": []int{1, 2}, "B": []int{1}},
				pm{"A": []int{1, 2, 3}, "B": nil},
				pm{"A": []int{2}, "B": nil},
			},
		},
		{
			name: "template with zero values and nil",
			tmpl: cxParse(`{{define "x"}}[{{.}}]{{with .}}<b>{{.}}</b>{{end}}{{end}}` +
				`{{template "x" .Zero}}{{template "x" .Nil}}{{template "x" .Str}}{{template "x"}}{{template "x" .}}`),
			data: []any{
				pm{"Zero": 0, "Nil": nil, "Str": ""},
				pm{"Zero": 1, "Nil": (*int)(nil), "Str": "s"},
				pm{"Zero": false, "Nil": nil, "Str": ""},
				nil,
				pm{"Zero": 0.0, "Str": "<t>"},
			},
		},
		{
			name: "template with pipeline",
			tmpl: cxParse(`{{define "row"}}<td>{{.}}</td>{{end}}` +
				`<tr>{{template "row" printf "%s-%d" .Name .N}}{{template "row" .N | double}}` +
				`{{template "row" (index .L 0)}}</tr>`),
			data: []any{
				pm{"Name": "a", "N": 1, "L": []string{"x"}},
				pm{"Name": "b", "N": 2, "L": []string{"y", "z"}},
				pm{"Name": "b", "N": 2, "L": []string{}},
				pm{"Name": "<c>", "N": 3, "L": []string{"w"}},
			},
			fails: 1,
		},
		{
			name: "block",
			tmpl: cxParse(`<main>{{block "content" .}}<p>default {{.}}</p>{{end}}</main>`),
			data: []any{"a", "b", "<c>"},
		},
		{
			name: "block overridden before compile",
			tmpl: func() *template.Template {
				t := cxParse(`<main>{{block "content" .}}<p>default {{.}}</p>{{end}}</main>`)()
				return template.Must(t.Parse(`{{define "content"}}<article>{{range .}}{{.}},{{end}}</article>{{end}}`))
			},
			data: []any{[]int{1}, []int{}, []int{2, 3}},
		},
		{
			name: "recursion",
			tmpl: cxParse(`{{define "node"}}<li>{{.Name}}{{if .Kids}}<ul>{{range .Kids}}{{template "node" .}}{{end}}</ul>{{end}}</li>{{end}}` +
				`<ul>{{template "node" .}}</ul>`),
			data: []any{
				cxTree("root", cxLeaf("a"), cxLeaf("b")),
				cxTree("root", cxTree("a", cxTree("a1", cxLeaf("a11"))), cxLeaf("b")),
				cxLeaf("root"),
				cxTree("root", cxLeaf("c"), cxTree("b", cxLeaf("b1"), cxLeaf("b2")), cxTree("a", cxLeaf("a1"))),
				cxTree("<r>", cxTree("a", cxTree("a1", cxTree("a11", cxLeaf("a111"))))),
			},
		},
		{
			name: "comments",
			tmpl: cxParse(`a{{/* template comment */}}b<!-- html comment {{.X}} -->c{{.X}}<p><!--x-->{{.X}}</p>` +
				`{{if .B}}<!-- in branch -->yes{{end}}`),
			data: []any{pm{"X": "1", "B": true}, pm{"X": "2", "B": false}, pm{"X": "-->", "B": true}},
		},
		{
			name: "trim markers",
			tmpl: cxParse("<p>  {{- .A -}}  </p>\n  {{- range .L}}\n  <i>{{.}}</i>  {{- end}}\n{{- /* c */ -}}\n  <b> {{.A}} </b>"),
			data: []any{pm{"A": "x", "L": []int{1, 2}}, pm{"A": "y", "L": []int{}}, pm{"A": " z ", "L": []int{3}}},
		},
		{
			name: "missingkey default",
			tmpl: cxParse(`{{.a}}|{{.b}}`),
			data: []any{map[string]int{"a": 1}, map[string]int{"b": 2}, map[string]int{}},
		},
		{
			name: "missingkey zero",
			tmpl: func() *template.Template {
				return template.Must(template.New("t").Option("missingkey=zero").Parse(`{{.a}}|{{.b}}`))
			},
			data: []any{map[string]int{"a": 1}, map[string]int{"b": 2}, map[string]int{}},
		},
		{
			name: "missingkey error",
			tmpl: func() *template.Template {
				return template.Must(template.New("t").Option("missingkey=error").Parse(`<p>{{.a}}</p>{{.b}}`))
			},
			data: []any{
				map[string]int{"a": 1, "b": 2},
				map[string]int{"b": 2},
				map[string]int{"a": 3, "b": 4},
			},
			fails: 1,
		},
		{
			name: "template call in attribute and script",
			tmpl: cxParse(`{{define "v"}}{{.}}{{end}}{{define "cls"}}c-{{.}}{{end}}` +
				`<a title="{{template "v" .T}}" class="{{template "cls" .T}} x" href="/p/{{template "v" .T}}">{{template "v" .T}}</a>` +
				`<script>var v = {{template "v" .T}};</script>`),
			data: []any{pm{"T": "a"}, pm{"T": `"b" & <c>`}, pm{"T": "</script>"}, pm{"T": "d"}},
		},
		{
			// "x", called in an attribute, leaves it and calls "y" in HTML
			// text, the same "y" the entry calls: the attribute's value then
			// holds writes of an instrumented template.
			name: "derived callee that leaves its attribute",
			tmpl: cxParse(`{{define "y"}}<b>{{.}}</b>{{if .}}!{{end}}{{end}}` +
				`{{define "x"}}{{.}}"><i>{{template "y" .}}</i><span title="{{end}}` +
				`<p title="{{template "x" .}}">z</span>{{template "y" .}}`),
			data: []any{"a", "", "c<", "d"},
		},
		{
			name: "recursion through an attribute call site",
			tmpl: cxParse(`{{define "n"}}<li title="{{template "m" .}}">{{.Name}}</li>{{end}}` +
				`{{define "m"}}{{.Name}}"><ul>{{range .Kids}}{{template "n" .}}{{end}}</ul><i title="{{end}}` +
				`<ul>{{template "n" .}}</ul>`),
			data: []any{
				cxTree("a", cxLeaf("b")),
				cxLeaf("a"),
				cxTree("a", cxTree("b", cxLeaf("c")), cxLeaf(`"d"`)),
				cxTree("x", cxLeaf("y")),
			},
		},
		{
			name: "callee that ends inside an attribute",
			tmpl: cxParse(`{{define "open"}}<a href="/{{.}}{{end}}{{template "open" .}}/x">link</a>`),
			data: []any{"a", "b c", "javascript:x", "d"},
		},
		{
			name: "entry defined in a set",
			tmpl: func() *template.Template {
				return cxParse(`{{define "inner"}}<p>{{.}}</p>{{template "leaf" .}}{{end}}` +
					`{{define "leaf"}}<i title="{{.}}">{{.}}</i>{{end}}root`)().Lookup("inner")
			},
			data: []any{"a", "b", "<c>"},
		},
		{
			name: "data changing type between steps",
			tmpl: cxParse(`{{range $k, $v := .}}<i>{{$k}}={{$v}}</i>{{else}}none{{end}}`),
			// An int cannot be ranged over with two variables: an error.
			data:  []any{[]string{"a"}, map[string]int{"x": 1}, 2, map[int]string{}, []string{"b", "c"}},
			fails: 1,
		},
		{
			name: "keyed rows with break and continue",
			tmpl: cxParse(`<ul>{{range .}}<li data-key="{{.}}">{{if eq . 3}}{{continue}}{{end}}{{.}}</li>` +
				`{{if eq . 4}}{{break}}{{end}}{{end}}</ul>`),
			data: []any{[]int{1, 2, 3, 4, 5}, []int{3, 1}, []int{2, 1, 5, 3, 9}, []int{4, 3}, []int{3, 3, 1}},
		},
		{
			name: "recursive callee in attribute",
			tmpl: cxParse(`{{define "path"}}{{.Name}}{{range .Kids}}/{{template "path" .}}{{end}}{{end}}` +
				`<p title="{{template "path" .}}">{{template "path" .}}</p>`),
			data: []any{cxLeaf("a"), cxTree("a", cxLeaf("b"), cxTree("c", cxLeaf(`"d"`))), cxTree("e")},
		},
	}
	runParityCases(t, cases)
}

// TestParityExecErrors checks the errors Render returns: they name the
// template and the position of the failing action as Execute's do, and a
// failed render leaves the page diffable from its last good tree.
func TestParityExecErrors(t *testing.T) {
	const src = "{{define \"inner\"}}\n  <i>{{checked .}}</i>{{end}}" +
		"<p>{{.A}}</p>\n{{template \"inner\" .N}}\n<p>{{index .L 2}}</p>"
	tmpl := template.Must(template.New("page").Funcs(cxFuncs).Parse(src))
	data := []any{
		pm{"A": "a", "N": 1, "L": []int{1, 2, 3}},
		pm{"A": "b", "N": -1, "L": []int{1, 2, 3}}, // checked fails in "inner"
		pm{"A": "c", "N": 2, "L": []int{1}},        // index fails in "page"
		pm{"A": "d", "N": 3, "L": []int{4, 5, 6}},
	}
	steps := checkSequence(t, tmpl, data...)
	if len(steps) != 2 {
		t.Fatalf("%d steps rendered, want 2 (the failing ones skipped)", len(steps))
	}

	prog, err := Compile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	// Positions name the source the failing action was parsed from: "inner"
	// was defined in the text of "page", so its error says page:2.
	wantErr := []*regexp.Regexp{
		1: regexp.MustCompile(`^template: page:2:\d+: executing "inner" at <checked \.>: error calling checked: negative input$`),
		2: regexp.MustCompile(`^template: page:4:\d+: executing "page" at <index \.L 2>: error calling index: index out of range: 2$`),
	}
	for i, re := range wantErr {
		if re == nil {
			continue
		}
		tree, err := prog.Render(data[i])
		if err == nil || tree != nil {
			t.Fatalf("step %d: Render gave a tree and error %v, want only an error", i, err)
		}
		if !re.MatchString(err.Error()) {
			t.Errorf("step %d: error %q does not match %v", i, err, re)
		}
		if i == 1 && !errors.Is(err, errCxNegative) {
			t.Errorf("step %d: error %v does not wrap the function's error", i, err)
		}
	}

	// The good step after the failures is a diff against the last good tree
	// (step 0), not a full tree: it must patch, and carry only what changed.
	after := steps[1].msg
	if len(after) == 0 {
		t.Fatal("no diff after the failed steps")
	}
	d := decodeMessage(t, after)
	if _, ok := d["f"].(map[string]any); !ok {
		t.Fatalf("message after failed steps %s is not a patch of the root", after)
	}
	if _, ok := d["s"]; ok {
		t.Errorf("message after failed steps %s resends statics", after)
	}
	got := messageValues(d["f"])
	slices.Sort(got)
	if want := []string{"6", "d", "ok(3)"}; !slices.Equal(got, want) {
		t.Errorf("message after failed steps %s carries values %q, want %q", after, got, want)
	}
}

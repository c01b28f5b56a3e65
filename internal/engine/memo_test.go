package engine

import (
	"fmt"
	"html/template"
	"reflect"
	"slices"
	"testing"
)

// The tests of row reuse (memo.go). checkSequence renders every step from
// the tree before it and from nothing, and fails when the two trees differ
// or when either differs from Execute: a row copied where it had to execute
// fails it. The data of a step is often the data of the step before,
// changed in place (a next), so that the last tree's data and the new data
// are the same values, and only what the last rendering recorded can tell
// what changed.

// mrow is a row whose fields a step changes in place.
type mrow struct {
	ID    int
	Title string
	Tags  []string
	Attrs map[string]string
	Next  *mrow
}

// memoClock is read by code the engine cannot see into (a method, a
// function): rows that call it must execute whatever their inputs.
var memoClock = 0

func (r mrow) Stamp() string { return fmt.Sprintf("%s@%d", r.Title, memoClock) }

// memoTouch sets the title of another row when it renders: a row whose
// inputs a row before it changes during the rendering. Mark is a method:
// the row calls user code.
type memoTouch struct {
	Title string
	Of    *memoPlain
}

func (t memoTouch) Mark() string {
	t.Of.Title = fmt.Sprintf("touched %d", memoClock)
	return "marked"
}

// memoPlain has the field Mark that memoTouch has as a method.
type memoPlain struct {
	Mark  string
	Title string
}

// memoPage is the data of most cases.
type memoPage struct {
	Suffix string
	Empty  string
	Rows   []mrow
	Ptrs   []*mrow
	Any    []any
	Groups []memoGroup
	Vals   []reflect.Value
}

type memoGroup struct {
	Name  string
	Items []string
}

func newMemoPage() *memoPage {
	p := &memoPage{Suffix: "!", Empty: "none"}
	for i := range 4 {
		r := mrow{ID: i, Title: fmt.Sprintf("t%d", i), Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}}
		p.Rows = append(p.Rows, r)
		p.Ptrs = append(p.Ptrs, &r)
	}
	p.Groups = []memoGroup{{"g0", []string{"x", "y"}}, {"g1", []string{"z"}}}
	p.Vals = []reflect.Value{reflect.ValueOf(&memoHeld).Elem()}
	return p
}

// inPlace returns the steps: p, then p again after each change.
func inPlace(p any, changes ...func()) []any {
	steps := []any{p}
	for _, c := range changes {
		steps = append(steps, next(func() any { c(); return p }))
	}
	return steps
}

// tick advances memoClock: what user code returns changes.
func tick() { memoClock++ }

// memoHeld is what a reflect.Value in the data holds.
var memoHeld = "before"

// plain is the row memoTouch changes; reset sets it back to what it was
// before the last rendering changed it, and ticks.
var plain = &memoPlain{Mark: "plain", Title: "before"}

func reset() {
	plain.Title = "before"
	tick()
}

func TestMemoInPlace(t *testing.T) {
	funcs := template.FuncMap{
		"stamp": func(id int) string { return fmt.Sprintf("%d@%d", id, memoClock) },
		// A function named like a builtin takes its place: it is user code.
		"len": func(s string) string { return fmt.Sprintf("%d@%d", len(s), memoClock) },
	}
	p := newMemoPage()
	cases := []struct {
		name, src string
		changes   []func()
	}{
		{"dollar", `{{range .Rows}}<li data-key="{{.ID}}">{{.Title}}{{$.Suffix}}</li>{{end}}`,
			[]func(){func() { p.Suffix = "?" }, func() { p.Rows[1].Title = "new" }, func() {}}},
		{"outer variable", `{{$s := .Suffix}}{{range .Rows}}<li>{{.Title}}{{$s}}</li>{{end}}`,
			[]func(){func() { p.Suffix = "#" }, func() { p.Rows[2].Title = "x" }}},
		{"method", `{{range .Rows}}<li>{{.Stamp}}</li>{{end}}`, []func(){tick, tick}},
		{"function", `{{range .Rows}}<li>{{stamp .ID}}</li>{{end}}`, []func(){tick, tick}},
		{"builtin replaced", `{{range .Rows}}<li>{{len .Title}}</li>{{end}}`, []func(){tick, tick}},
		{"pointer rows", `{{range .Ptrs}}<li data-key="{{.ID}}">{{.Title}}</li>{{end}}`,
			[]func(){func() { p.Ptrs[1].Title = "via pointer" }, func() { p.Ptrs[0], p.Ptrs[3] = p.Ptrs[3], p.Ptrs[0] }}},
		{"shared slice", `{{range .Rows}}<li>{{range .Tags}}<i>{{.}}</i>{{end}}</li>{{end}}`,
			[]func(){func() { p.Rows[0].Tags[1] = "changed" }, func() { p.Rows[1].Tags = append(p.Rows[1].Tags, "c") }}},
		{"shared map", `{{range .Rows}}<li title="{{.Attrs.k}}">{{index .Attrs "k"}}</li>{{end}}`,
			[]func(){func() { p.Rows[2].Attrs["k"] = "w" }, func() { delete(p.Rows[3].Attrs, "k") }}},
		{"pointer target", `{{range .Rows}}<li>{{with .Next}}{{.Title}}{{end}}</li>{{end}}`,
			[]func(){func() { p.Rows[0].Next = p.Ptrs[2] }, func() { p.Ptrs[2].Title = "deep" }, func() { p.Rows[0].Next = nil }}},
		{"address printed", `{{range .Rows}}<li>{{if .Next}}{{printf "%v" .}}{{end}}</li>{{end}}`,
			[]func(){func() { p.Rows[1].Next = &mrow{Title: "a"} }, func() { p.Rows[1].Next = &mrow{Title: "a"} }}},
		{"template call", `{{define "row"}}<b>{{.Title}}</b>{{$.ID}}{{end}}{{range .Rows}}<li>{{template "row" .}}</li>{{end}}`,
			[]func(){func() { p.Rows[3].Title = "called" }}},
		{"nested ranges", `{{range .Groups}}<h2>{{.Name}}</h2>{{range .Items}}<i>{{.}}</i>{{end}}{{end}}`,
			[]func(){func() { p.Groups[1].Items[0] = "zz" }, func() { p.Groups[0].Items = p.Groups[0].Items[:1] }}},
		{"nested range over a number", `{{range .Rows}}<li>{{range .ID}}*{{end}}</li>{{end}}`,
			[]func(){func() { p.Rows[1].ID = 3 }, func() { p.Rows[2].ID = -1 }}},
		{"outer element in a nested range", `{{range $g := .Groups}}{{range .Items}}<i>{{.}}/{{$g.Name}}</i>{{end}}{{end}}`,
			[]func(){func() { p.Groups[0].Name = "renamed" }}},
		{"index", `{{range $i, $r := .Rows}}<li data-key="{{$r.ID}}">{{$i}}: {{$r.Title}}</li>{{end}}`,
			[]func(){func() { p.Rows = slices.Insert(p.Rows, 0, mrow{ID: 9, Title: "first"}) }, func() { p.Rows = p.Rows[1:] }}},
		{"else sees dot", `{{range .Rows}}<li>{{.Title}}</li>{{else}}<p>{{.Empty}}</p>{{end}}`,
			[]func(){func() { p.Rows = p.Rows[:0] }, func() { p.Empty = "nothing" }, func() { p.Rows = []mrow{{Title: "back"}} }}},
		{"contexts", `{{range .Rows}}<a href="/r?q={{.Title}}" onclick="f({{.Title}})" style="color: {{.Title}}">{{.Title}}</a>` +
			`<script>var t = {{.Title}};</script>{{end}}`,
			[]func(){func() { p.Rows[0].Title = "javascript:alert(1)" }, func() { p.Rows[1].Title = "</script><b>" }}},
		{"dynamic type", `{{range .Any}}<p>{{.}}</p>{{end}}`,
			[]func(){func() { p.Any = []any{"<b>x</b>", 1} }, func() { p.Any[0] = template.HTML("<b>x</b>") }, func() { p.Any[1] = "1" }}},
		{"reflect.Value", `{{range .Vals}}<p>{{.}}</p>{{end}}`,
			[]func(){func() { memoHeld = "after" }}},
		{"dynamic type of a field", `{{range .Any}}<p>{{.T}}</p>{{end}}`,
			[]func(){func() { p.Any = []any{struct{ T string }{"<b>"}} }, func() { p.Any[0] = struct{ T template.HTML }{"<b>"} }}},
		// The plain row reads the same before each rendering, and the touch
		// row, which calls a method, changes it when it renders.
		{"row changed by an earlier row", `{{range .Any}}<p>{{.Mark}} {{.Title}}</p>{{end}}`,
			[]func(){func() { p.Any = []any{memoTouch{Title: "touch", Of: plain}, plain} }, reset, reset, reset}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			*p = *newMemoPage()
			p.Any = []any{"a", 2}
			tmpl := template.Must(template.New("page").Funcs(funcs).Parse(c.src))
			steps := checkSequence(t, tmpl, inPlace(p, c.changes...)...)
			var kept []int
			for _, s := range steps {
				kept = append(kept, s.tree.kept)
			}
			t.Logf("kept %v", kept)
		})
	}
}

// TestMemoReuses checks that unchanged rows are copied, not executed: the
// cost of an update follows what changed.
func TestMemoReuses(t *testing.T) {
	tmpl := template.Must(template.New("todo").Parse(todoSrc))
	prog, err := Compile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	base := newTodoPage(n)
	one := base.clone()
	one.Rows[n/2].Title = "changed"
	all := base.clone()
	for i := range all.Rows {
		all.Rows[i].Done = true
	}
	moved := base.clone()
	slices.Reverse(moved.Rows)
	inserted := base.clone()
	inserted.Rows = slices.Insert(inserted.Rows, n/2, todoRow{ID: -1, Title: "new"})
	for _, c := range []struct {
		name string
		data todoPage
		kept int
	}{
		{"one field", one, n - 1},
		{"every row", all, 0},
		{"reversed", moved, n - missesBeforeLookup}, // the rows it tried near their place
		{"inserted", inserted, n},
	} {
		t.Run(c.name, func(t *testing.T) {
			prev, err := prog.Render(base)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := prog.RenderFrom(prev, c.data)
			if err != nil {
				t.Fatal(err)
			}
			if tree.kept < c.kept || tree.kept > n-(n-len(c.data.Rows)) {
				t.Errorf("%d rows copied, want %d", tree.kept, c.kept)
			}
			checkSequence(t, tmpl, base, c.data, base)
		})
	}
}

// TestMemoNotRewritten lists ranges whose rows are never reused.
func TestMemoNotRewritten(t *testing.T) {
	for _, c := range []struct {
		src       string
		rewritten int
	}{
		{`{{range .Rows}}{{.Title}}{{if eq .ID 2}}{{break}}{{end}}{{end}}`, 0},       // a break
		{`{{$x := ""}}{{range .Rows}}{{$x = .Title}}{{end}}{{$x}}`, 0},               // assigns an outer variable
		{`{{$x := ""}}{{range $x = .Rows}}{{.Title}}{{end}}`, 0},                     // assigns by the range
		{`{{range .Rows}}{{stamp .ID}}{{end}}`, 0},                                   // a user function
		{`{{range .Rows}}{{call $.F .Title}}{{end}}`, 0},                             // call
		{`{{range .Rows}}{{.Greet "x"}}{{end}}`, 0},                                  // a method with arguments
		{`{{range .Rows}}{{printf "%p" .Tags}}{{end}}`, 0},                           // an address printf shows
		{`{{range .Rows}}{{printf .Title 1}}{{end}}`, 0},                             // a format that is data
		{`{{range .G}}{{range .I}}{{.}}{{else}}{{continue}}{{end}}{{.N}}{{end}}`, 1}, // the inner range: a continue in its else list
		{`{{range .Rows}}{{.Title}}{{printf "%5.2v" .ID}}{{end}}`, 1},
	} {
		tmpl := template.Must(template.New("page").Funcs(template.FuncMap{"stamp": func(int) string { return "" }}).Parse(c.src))
		prog, err := Compile(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if len(prog.memo) != c.rewritten {
			t.Errorf("%s: %d ranges rewritten, want %d", c.src, len(prog.memo), c.rewritten)
		}
	}
}

// TestMemoPristine checks the cases a rewritten range cannot reproduce, and
// errors inside one: the unrewritten template renders them, with Execute's
// output and errors.
func TestMemoPristine(t *testing.T) {
	for _, c := range []struct {
		name, src string
		data      []any
		fails     int
	}{
		// No dot for the else list to see.
		{"else without dot", `{{range .}}x{{else}}[{{.}}]{{end}}`, []any{nil, []int{1}, nil}, 0},
		{"error in a row", `{{range .}}<p>{{index . 1}}</p>{{end}}`, []any{[][]int{{1, 2}}, [][]int{{1, 2}, {3}}, [][]int{{4, 5}}}, 1},
		{"cannot range", `{{range .}}<p>{{.}}</p>{{else}}none{{end}}`, []any{[]int{1}, 1.5, true, []int{}}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmpl := template.Must(template.New("page").Parse(c.src))
			if steps := checkSequence(t, tmpl, c.data...); len(c.data)-len(steps) != c.fails {
				t.Fatalf("%d of %d steps failed, want %d", len(c.data)-len(steps), len(c.data), c.fails)
			}
		})
	}
}

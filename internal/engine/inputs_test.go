package engine

import (
	"html/template"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// newTestReader returns a reader whose templates use the field names names.
func newTestReader(names ...string) *reader {
	rules := &readRules{names: map[string]bool{}}
	for _, n := range names {
		rules.names[n] = true
	}
	return &reader{rules: rules, pure: map[reflect.Type]bool{}, work: maxWork}
}

// record returns what deep records of v, seen as an any (so that its
// dynamic type counts), and whether it could.
func (r *reader) record(v any) ([]byte, bool) {
	r.work = maxWork
	return r.deep(nil, reflect.ValueOf(&v).Elem(), 0)
}

type recLeaf struct{ A, B string }

type recEmbedded struct {
	*recLeaf
	C int
}

type recStringer int

func (recStringer) String() string { return "s" }

type recNode struct {
	Name string
	Next *recNode
}

// TestRecordDistinguishes checks that values a template could print
// differently are recorded differently, and that equal values held in
// different memory are recorded the same.
func TestRecordDistinguishes(t *testing.T) {
	x, y := 1, 1
	values := []any{
		nil, 0, 1, -1, int8(0), uint(0), uint(1), 0.0, math.Copysign(0, -1), math.NaN(), 1.5, float32(1.5),
		complex(1, 2), complex(2, 1), "", "0", "a", "a\x00", template.HTML("a"), template.URL("a"), false, true,
		[]int(nil), []int{}, []int{0}, []int{0, 0}, [1]int{0}, [2]int{}, []any{nil}, []any{0}, []any{"0"},
		map[string]int(nil), map[string]int{}, map[string]int{"a": 0}, map[string]int{"a": 1}, map[string]int{"b": 0},
		map[string]int{"a": 0, "b": 0}, (*int)(nil), &x, &y, recLeaf{"a", "b"}, recLeaf{"ab", ""}, recLeaf{"", "ab"},
		&recLeaf{"a", "b"}, recEmbedded{C: 1}, recEmbedded{recLeaf: &recLeaf{}, C: 1}, unsafe.Pointer(&x), unsafe.Pointer(nil),
		struct{ P *int }{&x}, struct{ P *int }{&y}, []string{"ab", "c"}, []string{"a", "bc"},
	}
	r := newTestReader()
	seen := map[string]int{}
	for i, v := range values {
		b, ok := r.record(v)
		if !ok {
			t.Fatalf("%#v: not recorded", v)
		}
		if j, dup := seen[string(b)]; dup {
			t.Errorf("%#v and %#v are recorded the same", values[j], v)
		}
		seen[string(b)] = i
	}
	for _, pair := range [][2]any{
		{[]int{1, 2}, []int{1, 2}},
		{map[string]int{"a": 1, "b": 2, "c": 3}, map[string]int{"c": 3, "b": 2, "a": 1}},
		{recLeaf{"a", "b"}, recLeaf{"a", "b"}},
		{template.HTML("<b>"), template.HTML("<b>")},
	} {
		a, _ := r.record(pair[0])
		b, _ := r.record(pair[1])
		if string(a) != string(b) {
			t.Errorf("%#v and %#v, equal, are recorded differently", pair[0], pair[1])
		}
	}
}

// TestRecordRefuses checks the values whose output user code or memory the
// record cannot see could change: they are never recorded.
func TestRecordRefuses(t *testing.T) {
	cycle := &recNode{Name: "a"}
	cycle.Next = cycle
	huge := make([]int, maxWork)
	for _, v := range []any{
		func() {}, make(chan int), recStringer(1), []recStringer{1}, map[recStringer]int{1: 1},
		reflect.ValueOf(1), cycle, huge, struct{ F func() }{},
	} {
		if b, ok := newTestReader().record(v); ok {
			t.Errorf("%T recorded as %q", v, b)
		}
	}
	if _, ok := newTestReader("M").record(recMethods{}); ok {
		t.Errorf("a value with a method M was recorded, for templates that use the name M")
	}
	if _, ok := newTestReader("Other").record(recMethods{}); !ok {
		t.Errorf("a value with no method a template names was not recorded")
	}
}

type recMethods struct{ F int }

func (recMethods) M() string   { return "m" }
func (*recMethods) P() string  { return "p" }
func (recMethods) Unused() int { return 0 }

// TestResolve checks the paths text/template's evalField takes: the same
// path on values that text/template reads differently is recorded
// differently, and a method is user code.
func TestResolve(t *testing.T) {
	for _, group := range []struct {
		path  string
		roots []any
	}{
		{"k", []any{map[string]int{}, map[string]int{"k": 0}, map[string]int{"k": 1}, map[string]any{"k": 1}, map[string]any{"k": "1"}}},
		{"A", []any{nil, recLeaf{A: "a"}, recLeaf{A: "b"}, (*recLeaf)(nil), &recLeaf{A: "a"}, recEmbedded{}, recEmbedded{recLeaf: &recLeaf{A: "a"}},
			struct{ a int }{}, recNode{}, map[int]int{}}},
		{"I.A", []any{struct{ I any }{}, struct{ I any }{recLeaf{A: "a"}}, struct{ I any }{map[string]string{"A": "a"}}}},
		{"I", []any{struct{ I any }{"x"}, struct{ I any }{template.HTML("x")}}},
	} {
		r := newTestReader()
		path := strings.Split(group.path, ".")
		steps := make([]stepCache, len(path))
		seen := map[string]any{}
		for _, root := range group.roots {
			var b []byte
			v, state := r.resolve(&b, reflect.ValueOf(&root).Elem(), path, steps)
			if state == readImpure {
				t.Fatalf("%s of %#v: impure", group.path, root)
			}
			if state == readOK {
				var ok bool
				if b, ok = r.deep(b, v, 0); !ok {
					t.Fatalf("%s of %#v: not recorded", group.path, root)
				}
			}
			if other, dup := seen[string(b)]; dup {
				t.Errorf("%s of %#v and of %#v are recorded the same", group.path, other, root)
			}
			seen[string(b)] = root
		}
	}
	r := newTestReader()
	for _, c := range []struct {
		root any
		name string
	}{{recMethods{}, "M"}, {recMethods{}, "P"}, {&recMethods{}, "P"}, {(*recMethods)(nil), "M"}, {struct{ I any }{recMethods{}}, "I.M"}} {
		path := strings.Split(c.name, ".")
		var b []byte
		if _, state := r.resolve(&b, reflect.ValueOf(c.root), path, make([]stepCache, len(path))); state != readImpure {
			t.Errorf("%T.%s: a method, read as a field", c.root, c.name)
		}
	}
}

// TestTruth checks that truth is recorded as if and with see it.
func TestTruth(t *testing.T) {
	for _, c := range []struct {
		v    any
		want byte
	}{
		{nil, 0}, {0, 0}, {1, 1}, {"", 0}, {"x", 1}, {[]int{}, 0}, {[]int{0}, 1}, {map[int]int{}, 0},
		{0.0, 0}, {0.5, 1}, {complex(0, 0), 0}, {complex(0, 1), 1}, {uint(0), 0}, {uint(2), 1},
		{(*int)(nil), 0}, {new(int), 1}, {struct{}{}, 1}, {false, 0}, {true, 1},
	} {
		v := c.v
		b := appendTruth(nil, reflect.ValueOf(&v).Elem())
		if b[1] != c.want {
			t.Errorf("truth of %#v recorded as %d, want %d", c.v, b[1], c.want)
		}
	}
}

// TestUserFuncNames checks that the names of a template's FuncMap are read:
// without them no builtin would be taken as pure (deps.go).
func TestUserFuncNames(t *testing.T) {
	tmpl := template.Must(template.New("t").Funcs(template.FuncMap{"len": strings.ToUpper, "mine": strings.ToLower}).Parse(`{{.}}`))
	rules := newReadRules(tmpl)
	if !rules.userFuncs["len"] || !rules.userFuncs["mine"] || len(rules.userFuncs) != 2 {
		t.Fatalf("FuncMap names read as %v, want len and mine", rules.userFuncs)
	}
	for name, want := range map[string]bool{
		"len": false, "mine": false, "index": true, "printf": true, "call": false, "_html_template_htmlescaper": true,
	} {
		if got := rules.pure(name); got != want {
			t.Errorf("pure(%q) = %v, want %v", name, got, want)
		}
	}
}

package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// This file holds a random generator of templates and data sequences for the
// parity tests. Every template it makes is executed against *genData, and
// every action in it is typed against the genData family of types, so that
// nearly all executions succeed and the check compares real output rather
// than errors. The generator aims to reach every construct html/template
// supports and every escaping context.

// genData is the root data of generated templates.
type genData struct {
	S, T, U  string
	AttrName string
	N        int
	F        float64
	B        bool
	H        template.HTML
	Any      any
	P        *genItem
	Items    []genItem
	Arr      [3]string
	Tags     []string
	M        map[string]string
	MI       map[string]*genItem
	Tree     *genNode
	Fn       func(string) string `json:"-"`
}

type genItem struct {
	ID, Name string
	N        int
	On       bool
}

type genNode struct {
	Name string
	Kids []*genNode
}

// Label has a value receiver: callable on any genItem.
func (it genItem) Label() string { return it.ID + ":" + it.Name }

// Ptr has a pointer receiver: callable only on addressable items.
func (it *genItem) Ptr() string { return "*" + it.Name }

// Greet has a value receiver and an argument.
func (d genData) Greet(s string) string { return "hi " + s + "!" }

// genEpoch is the number of the step being checked: what Epoch and the
// function epoch return changes from step to step while the data need not,
// as a clock or a database read by user code would.
var genEpoch int

// Epoch depends on more than the item.
func (it genItem) Epoch() string { return it.Name + "@" + strconv.Itoa(genEpoch) }

// Chan returns a new buffered channel of the tags: a channel is drained by
// one execution, and the oracle and Render each execute once.
func (d *genData) Chan() chan string {
	c := make(chan string, len(d.Tags))
	for _, s := range d.Tags {
		c <- s
	}
	close(c)
	return c
}

// Seq yields the tags.
func (d *genData) Seq() iter.Seq[string] { return slices.Values(d.Tags) }

// Seq2 yields the items by index; the items it yields are not addressable.
func (d *genData) Seq2() iter.Seq2[int, genItem] { return slices.All(d.Items) }

var errNegative = errors.New("negative")

// genFuncs is the FuncMap of generated templates.
var genFuncs = template.FuncMap{
	"upper": strings.ToUpper,
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"seq": func(n int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := range min(n, 8) {
				if !yield(i * 10) {
					return
				}
			}
		}
	},
	"pairs": func(m map[string]string) iter.Seq2[string, string] {
		return func(yield func(string, string) bool) {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				if !yield(k, m[k]) {
					return
				}
			}
		}
	},
	"epoch": func() string { return "e" + strconv.Itoa(genEpoch) },
	"check": func(n int) (int, error) {
		if n < 0 {
			return 0, errNegative
		}
		return n, nil
	},
}

func genFn(s string) string { return "fn(" + s + ")" }

// Hostile values: markup, quotes, ampersands, script ends, JS and CSS syntax,
// URLs with schemes, non-ASCII, invalid UTF-8 and the empty string.
var (
	genStrings = []string{
		"", "plain", "<script>alert(1)</script>", `"dq" & 'sq'`, "</script><b>x</b>",
		"héllo wörld ✓ 日本", "a\nb\tc", "${x}`y`", "/* c */ // d", "url(x) expression(1)",
		"&amp;&lt;", "<!-- c -->", " ", "\u2028\u2029", "😀", "-->", "{{.S}}", `\`, "%s%d",
		"\x00nul", "</style>", "</textarea>", "a b=c", "onclick=alert(1)",
		"bad\xffbyte", // invalid UTF-8, but no rune to split: arrives as U+FFFD
	}
	genURLs = []string{
		"javascript:alert(1)", "http://x/?a=b&c", "https://example.com/p q", "/rel/path?x=<y>",
		"mailto:a@b", "data:text/html,<b>", "#frag", "", "HTTP://UP/", "?q='\"",
	}
	genAttrNames = []string{"title", "onclick", "href", "", "data-x", "style", "x y"}
	genNames     = []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	genHTMLs     = []template.HTML{"", "<b>bold</b>", "a &amp; b", "<i>"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// randData makes a random root value.
func randData(r *rand.Rand) *genData {
	d := &genData{
		S:        pick(r, genStrings),
		T:        pick(r, genStrings),
		U:        pick(r, genURLs),
		AttrName: pick(r, genAttrNames),
		N:        r.IntN(7) - 1,
		F:        float64(r.IntN(100)) / 8,
		B:        r.IntN(2) == 0,
		H:        pick(r, genHTMLs),
		Arr:      [3]string{pick(r, genStrings), pick(r, genStrings), pick(r, genStrings)},
		M:        map[string]string{},
		MI:       map[string]*genItem{},
		Tree:     randNode(r, 0),
		Fn:       genFn,
	}
	d.Any = randAny(r)
	if r.IntN(2) == 0 {
		it := randItem(r)
		d.P = &it
	}
	for range r.IntN(6) {
		d.Items = append(d.Items, randItem(r))
	}
	for range r.IntN(4) {
		d.Tags = append(d.Tags, pick(r, genStrings))
	}
	for range r.IntN(4) {
		d.M[pick(r, genNames)] = pick(r, genStrings)
	}
	for range r.IntN(3) {
		it := randItem(r)
		d.MI[it.ID] = &it
	}
	return d
}

// randItem makes an item whose ID is usually unique among a few items; IDs
// repeat on purpose now and then.
func randItem(r *rand.Rand) genItem {
	return genItem{
		ID:   pick(r, genNames) + strconv.Itoa(r.IntN(4)),
		Name: pick(r, genStrings),
		N:    r.IntN(5),
		On:   r.IntN(2) == 0,
	}
}

func randNode(r *rand.Rand, depth int) *genNode {
	n := &genNode{Name: pick(r, genNames)}
	if depth < 3 {
		for range r.IntN(3) {
			n.Kids = append(n.Kids, randNode(r, depth+1))
		}
	}
	return n
}

func randAny(r *rand.Rand) any {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return r.IntN(10)
	case 2:
		return pick(r, genStrings)
	case 3:
		return randItem(r)
	case 4:
		return []string{pick(r, genStrings), pick(r, genStrings)}
	}
	return pick(r, genHTMLs)
}

// clone deep-copies d, so that each step of a sequence is its own value.
func (d *genData) clone() *genData {
	c := *d
	if d.P != nil {
		p := *d.P
		c.P = &p
	}
	c.Items = slices.Clone(d.Items)
	c.Tags = slices.Clone(d.Tags)
	c.M = maps.Clone(d.M)
	c.MI = make(map[string]*genItem, len(d.MI))
	for k, v := range d.MI {
		it := *v
		c.MI[k] = &it
	}
	c.Tree = d.Tree.clone()
	if s, ok := d.Any.([]string); ok {
		c.Any = slices.Clone(s)
	}
	return &c
}

func (n *genNode) clone() *genNode {
	c := &genNode{Name: n.Name}
	for _, k := range n.Kids {
		c.Kids = append(c.Kids, k.clone())
	}
	return c
}

// randSequence makes a first value and then 4 to 9 more, each a mutation of
// the one before.
func randSequence(r *rand.Rand) []*genData {
	seq := []*genData{randData(r)}
	for range 4 + r.IntN(6) {
		d := seq[len(seq)-1].clone()
		for range r.IntN(3) + 1 {
			mutate(r, d)
		}
		seq = append(seq, d)
	}
	return seq
}

// mutate makes one small change to d, as a page's event handler would.
func mutate(r *rand.Rand, d *genData) {
	k := r.IntN(26)
	if k >= 20 {
		// List changes, the hardest case for a diff, are drawn more often.
		mutateList(r, d)
		return
	}
	switch k {
	case 0:
		d.S = pick(r, genStrings)
	case 1:
		d.T = pick(r, genStrings)
	case 2:
		d.U = pick(r, genURLs)
	case 3:
		d.N = r.IntN(7) - 1
	case 4:
		d.B = !d.B
	case 5:
		if d.P == nil {
			it := randItem(r)
			d.P = &it
		} else {
			d.P = nil
		}
	case 6:
		i := r.IntN(len(d.Items) + 1)
		d.Items = slices.Insert(d.Items, i, randItem(r))
	case 7:
		if len(d.Items) > 0 {
			i := r.IntN(len(d.Items))
			d.Items = slices.Delete(d.Items, i, i+1)
		}
	case 8:
		if len(d.Items) > 1 {
			i, j := r.IntN(len(d.Items)), r.IntN(len(d.Items))
			it := d.Items[i]
			d.Items = slices.Insert(slices.Delete(d.Items, i, i+1), j, it)
		}
	case 9:
		r.Shuffle(len(d.Items), func(i, j int) { d.Items[i], d.Items[j] = d.Items[j], d.Items[i] })
	case 10:
		if len(d.Items) > 0 {
			it := &d.Items[r.IntN(len(d.Items))]
			switch r.IntN(3) {
			case 0:
				it.Name = pick(r, genStrings)
			case 1:
				it.On = !it.On
			default:
				it.N = r.IntN(5)
			}
		}
	case 11:
		d.Items = nil
	case 12:
		if len(d.Items) > 1 {
			// A repeated key: the diff must not rely on keys being unique.
			d.Items[0].ID = d.Items[len(d.Items)-1].ID
		}
	case 13:
		if r.IntN(2) == 0 {
			d.M[pick(r, genNames)] = pick(r, genStrings)
		} else {
			delete(d.M, pick(r, genNames))
		}
	case 14:
		if len(d.Tags) > 0 && r.IntN(2) == 0 {
			d.Tags = d.Tags[1:]
		} else {
			d.Tags = append(d.Tags, pick(r, genStrings))
		}
	case 15:
		mutateNode(r, d.Tree)
	case 16:
		d.Any = randAny(r)
		d.H = pick(r, genHTMLs)
	case 17:
		d.Arr[r.IntN(3)] = pick(r, genStrings)
		d.AttrName = pick(r, genAttrNames)
	case 18:
		it := randItem(r)
		if r.IntN(3) == 0 {
			clear(d.MI)
		}
		d.MI[it.ID] = &it
	case 19:
		slices.Reverse(d.Items)
		d.F = float64(r.IntN(100)) / 8
	}
}

// inPlaceSequence returns steps that render d, then d changed in place
// (through the pointers, slices and maps it shares with the step before)
// after each step, with genEpoch set to the step. Its changes come from a
// source of their own, so that a seed's template is the one made without
// them.
func inPlaceSequence(seed int64, first *genData) []any {
	r := rand.New(rand.NewPCG(uint64(seed), 0x696e706c))
	d := first.clone()
	steps := []any{next(func() any { genEpoch = 0; return d })}
	for i := 1; i < 5+r.IntN(5); i++ {
		steps = append(steps, next(func() any {
			genEpoch = i
			for range r.IntN(3) + 1 {
				if r.IntN(2) == 0 {
					d = mutateShared(r, d)
				} else {
					mutate(r, d)
				}
			}
			return d
		}))
	}
	return steps
}

// mutateShared changes what d reaches through pointers, slices and maps,
// or makes a new value that shares all of them with d.
func mutateShared(r *rand.Rand, d *genData) *genData {
	switch r.IntN(6) {
	case 0:
		if d.P != nil {
			d.P.Name, d.P.On = pick(r, genStrings), !d.P.On
		}
	case 1:
		if keys := slices.Sorted(maps.Keys(d.MI)); len(keys) > 0 {
			it := d.MI[pick(r, keys)]
			it.Name, it.N = pick(r, genStrings), r.IntN(5)
		}
	case 2:
		if len(d.Items) > 0 {
			d.Items[r.IntN(len(d.Items))].Name = pick(r, genStrings)
		}
	case 3:
		if len(d.Tags) > 0 {
			d.Tags[r.IntN(len(d.Tags))] = pick(r, genStrings)
		}
	case 4:
		c := *d
		return &c
	default:
		mutateNode(r, d.Tree)
	}
	return d
}

// mutateList inserts, removes, moves or replaces several rows at once.
func mutateList(r *rand.Rand, d *genData) {
	switch r.IntN(4) {
	case 0:
		for range 1 + r.IntN(3) {
			d.Items = slices.Insert(d.Items, r.IntN(len(d.Items)+1), randItem(r))
		}
	case 1:
		if len(d.Items) > 0 {
			i := r.IntN(len(d.Items))
			j := i + r.IntN(len(d.Items)-i) + 1
			d.Items = slices.Delete(d.Items, i, j)
		}
	case 2:
		r.Shuffle(len(d.Items), func(i, j int) { d.Items[i], d.Items[j] = d.Items[j], d.Items[i] })
		if len(d.Items) > 0 {
			d.Items[r.IntN(len(d.Items))] = randItem(r)
		}
	default:
		r.Shuffle(len(d.Tags), func(i, j int) { d.Tags[i], d.Tags[j] = d.Tags[j], d.Tags[i] })
		d.Tags = slices.Insert(d.Tags, r.IntN(len(d.Tags)+1), pick(r, genStrings))
	}
}

func mutateNode(r *rand.Rand, n *genNode) {
	for len(n.Kids) > 0 && r.IntN(2) == 0 {
		n = pick(r, n.Kids)
	}
	switch r.IntN(3) {
	case 0:
		n.Name = pick(r, genNames)
	case 1:
		if len(n.Kids) > 0 {
			n.Kids = n.Kids[1:]
		}
	default:
		n.Kids = append(n.Kids, &genNode{Name: pick(r, genNames)})
	}
}

// genDelims draws the delimiters of a generated template, text written with
// {{ and }}: other than those half of the time, from delimPairs. A pair that
// text holds as text would change what the template means, so then the
// next pair is tried.
func genDelims(r *rand.Rand, text string) (left, right string) {
	if r.IntN(2) == 0 {
		return "{{", "}}"
	}
	want, err := template.New("page").Funcs(genFuncs).Parse(text)
	if err != nil {
		return "{{", "}}"
	}
	for _, i := range r.Perm(len(delimPairs)) {
		left, right = delimPairs[i][0], delimPairs[i][1]
		got, err := template.New("page").Delims(left, right).Funcs(genFuncs).Parse(withDelims(text, left, right))
		if err == nil && sameTrees(got, want) {
			return left, right
		}
	}
	return "{{", "}}"
}

// dataString shows a sequence for a failure report.
func dataString(seq []*genData) string {
	var b strings.Builder
	for i, d := range seq {
		j, err := json.Marshal(d)
		if err != nil {
			j = []byte(err.Error())
		}
		fmt.Fprintf(&b, "data[%d] = %s\n", i, j)
	}
	return b.String()
}

// typ is the static type of a value in a generated template.
type typ uint8

const (
	tData  typ = iota // *genData
	tItem             // addressable genItem or *genItem: Ptr is callable
	tItemV            // genItem value: Ptr is not callable
	tNode             // *genNode
	tStr              // string
	tInt              // int
)

// src is something a pipeline can start from: ".", "$" or a variable.
type src struct {
	base string
	t    typ
}

// scope is what a generated action can see.
type scope struct {
	dot, root typ
	vars      []src
	loop      bool // inside a range body of the same template
	depth     int
}

func (sc scope) nested() scope {
	sc.vars = slices.Clone(sc.vars)
	sc.depth++
	return sc
}

// sel selects field f of base.
func sel(base, f string) string {
	if base == "." {
		return "." + f
	}
	return base + "." + f
}

// arg makes x usable as an argument of a command.
func arg(x string) string {
	if strings.ContainsAny(x, " |") {
		return "(" + x + ")"
	}
	return x
}

// tgen generates one template set.
type tgen struct {
	r      *rand.Rand
	defs   map[string]string // bodies of defined templates, by name
	busy   map[string]bool   // templates whose body is being generated
	nvar   int
	nblock int
}

// genTemplate returns the text of a template set whose entry is the text
// outside the {{define}}s.
func genTemplate(r *rand.Rand) string {
	g := &tgen{r: r, defs: map[string]string{}, busy: map[string]bool{}}
	sc := scope{dot: tData, root: tData}
	main := g.html(sc)
	if g.n(2) == 0 {
		// Keyed rows are where diffs do the most: make them common.
		main += g.keyedRange(sc)
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(g.defs)) {
		fmt.Fprintf(&b, "{{define %q}}%s{{end}}", name, g.defs[name])
	}
	b.WriteString(main)
	return b.String()
}

func (g *tgen) n(k int) int { return g.r.IntN(k) }

func (g *tgen) pick(xs ...string) string { return pick(g.r, xs) }

// act wraps an action, sometimes with trim markers.
func (g *tgen) act(s string) string {
	switch g.n(10) {
	case 0:
		return "{{- " + s + "}}"
	case 1:
		return "{{" + s + " -}}"
	case 2:
		return "{{- " + s + " -}}"
	}
	return "{{" + s + "}}"
}

func (g *tgen) sources(sc scope) []src {
	out := []src{{".", sc.dot}, {"$", sc.root}}
	return append(out, sc.vars...)
}

// dataBase returns a source of type tData, or "" if there is none.
func (g *tgen) dataBase(sc scope) string {
	var ds []string
	for _, s := range g.sources(sc) {
		if s.t == tData {
			ds = append(ds, s.base)
		}
	}
	if len(ds) == 0 {
		return ""
	}
	return pick(g.r, ds)
}

func (g *tgen) strOp(sc scope) string {
	var ops []string
	for _, s := range g.sources(sc) {
		b := s.base
		switch s.t {
		case tData:
			ops = append(ops, sel(b, "S"), sel(b, "T"), sel(b, "U"), `index `+sel(b, "M")+` "a"`)
		case tItem:
			ops = append(ops, sel(b, "ID"), sel(b, "Name"), sel(b, "Label"), sel(b, "Ptr"), sel(b, "Epoch"))
		case tItemV:
			ops = append(ops, sel(b, "ID"), sel(b, "Name"), sel(b, "Label"), sel(b, "Epoch"))
		case tNode:
			ops = append(ops, sel(b, "Name"))
		case tStr:
			ops = append(ops, b)
		}
	}
	ops = append(ops, `"lit<>"`)
	return pick(g.r, ops)
}

func (g *tgen) intOp(sc scope) string {
	ops := []string{"2"}
	for _, s := range g.sources(sc) {
		b := s.base
		switch s.t {
		case tData:
			ops = append(ops, sel(b, "N"), "len "+sel(b, "Items"))
		case tItem, tItemV:
			ops = append(ops, sel(b, "N"))
		case tNode:
			ops = append(ops, "len "+sel(b, "Kids"))
		case tInt:
			ops = append(ops, b)
		}
	}
	return pick(g.r, ops)
}

func (g *tgen) boolOp(sc scope) string {
	ops := []string{"true"}
	for _, s := range g.sources(sc) {
		switch s.t {
		case tData:
			ops = append(ops, sel(s.base, "B"))
		case tItem, tItemV:
			ops = append(ops, sel(s.base, "On"))
		}
	}
	return pick(g.r, ops)
}

// anyOp is any printable operand.
func (g *tgen) anyOp(sc scope) string {
	ops := []string{"1.5", `"lit"`}
	for _, s := range g.sources(sc) {
		b := s.base
		switch s.t {
		case tData:
			ops = append(ops, sel(b, "F"), sel(b, "H"), sel(b, "Any"), sel(b, "Arr"), sel(b, "Tags"),
				sel(b, "P"), sel(b, "M"), sel(b, "M.a"), sel(b, "Items"))
		case tItem:
			ops = append(ops, sel(b, "Ptr"), b)
		case tItemV:
			ops = append(ops, b)
		case tNode:
			ops = append(ops, sel(b, "Name"))
		case tStr, tInt:
			ops = append(ops, b)
		}
	}
	switch g.n(4) {
	case 0:
		return g.strOp(sc)
	case 1:
		return g.intOp(sc)
	case 2:
		return g.boolOp(sc)
	}
	return pick(g.r, ops)
}

// value is a pipeline to print: operands, builtins, FuncMap functions,
// methods and chains.
func (g *tgen) value(sc scope) string {
	s, i, b := g.strOp(sc), g.intOp(sc), g.boolOp(sc)
	d := g.dataBase(sc)
	switch g.n(25) {
	case 0:
		return fmt.Sprintf(`printf "%%s-%%d" %s %s`, arg(s), arg(i))
	case 1:
		return s + ` | printf "%q"`
	case 2:
		return s + ` | upper | printf "[%s]"`
	case 3:
		return fmt.Sprintf("print %s %s", arg(g.anyOp(sc)), arg(g.anyOp(sc)))
	case 4:
		return "println " + arg(s)
	case 5:
		return "len " + arg(s)
	case 6:
		return fmt.Sprintf(`and %s %s`, arg(b), arg(s))
	case 7:
		return fmt.Sprintf(`or %s "none"`, arg(s))
	case 8:
		return "not " + arg(b)
	case 9:
		return fmt.Sprintf(`%s %s %s`, g.pick("eq", "ne", "lt", "le", "gt", "ge"), arg(i), arg(g.intOp(sc)))
	case 10:
		return fmt.Sprintf(`%s %s "plain" "m"`, "eq", arg(s))
	case 11:
		return fmt.Sprintf(`%s %s "m"`, g.pick("ne", "lt", "le", "gt", "ge"), arg(s))
	case 12:
		return fmt.Sprintf("%s | add %s", i, arg(g.intOp(sc)))
	case 13:
		return "slice " + arg(s) + " 0"
	case 14:
		return fmt.Sprintf(`printf "%%v" (%s)`, g.value(sc))
	case 15:
		if len(sc.vars) > 0 {
			return pick(g.r, sc.vars).base
		}
	case 16:
		return "epoch"
	}
	if d == "" {
		return g.anyOp(sc)
	}
	switch g.n(10) {
	case 0:
		return fmt.Sprintf(`index %s 2`, sel(d, "Arr"))
	case 1:
		return fmt.Sprintf(`slice %s 1 2`, sel(d, "Arr"))
	case 2:
		return fmt.Sprintf(`call %s %s`, sel(d, "Fn"), arg(s))
	case 3:
		return fmt.Sprintf(`%s %s`, sel(d, "Greet"), arg(s))
	case 4:
		return fmt.Sprintf(`join %s ","`, sel(d, "Tags"))
	case 5:
		return fmt.Sprintf(`check %s`, sel(d, "N"))
	case 6:
		return fmt.Sprintf(`index %s 0`, sel(d, "Items")) // fails on an empty list: error parity
	case 7:
		return fmt.Sprintf(`printf "%%d/%%s" (len %s) %s`, sel(d, "M"), arg(s))
	}
	return g.anyOp(sc)
}

// cond is a pipeline for if and with.
func (g *tgen) cond(sc scope) string {
	d := g.dataBase(sc)
	switch g.n(9) {
	case 0:
		return "not " + arg(g.boolOp(sc))
	case 1:
		return fmt.Sprintf("eq %s 1", arg(g.intOp(sc)))
	case 2:
		return fmt.Sprintf("and %s (gt %s 1)", arg(g.boolOp(sc)), arg(g.intOp(sc)))
	case 3:
		return fmt.Sprintf("or %s %s", arg(g.boolOp(sc)), arg(g.strOp(sc)))
	case 4:
		return g.strOp(sc)
	case 5:
		if d != "" {
			return sel(d, g.pick("Items", "Tags", "M", "P", "Any", "H"))
		}
	case 6:
		return fmt.Sprintf(`ne %s ""`, arg(g.strOp(sc)))
	}
	return g.boolOp(sc)
}

// rangeable is something to range over, with the types it yields.
type rangeable struct {
	expr      string
	key, elem typ
	two       bool   // may declare two variables
	rowKey    string // the row key relative to the element as dot, if any
}

func (g *tgen) rangeables(sc scope) []rangeable {
	out := []rangeable{{"2", tInt, tInt, false, "."}}
	for _, s := range g.sources(sc) {
		b := s.base
		switch s.t {
		case tData:
			out = append(out,
				rangeable{sel(b, "Items"), tInt, tItem, true, ".ID"},
				rangeable{sel(b, "Tags"), tInt, tStr, true, "."},
				rangeable{sel(b, "Arr"), tInt, tStr, true, ""},
				rangeable{sel(b, "M"), tStr, tStr, true, "."},
				rangeable{sel(b, "MI"), tStr, tItem, true, ".ID"},
				rangeable{sel(b, "N"), tInt, tInt, false, "."},
				rangeable{"3", tInt, tInt, false, "."},
				rangeable{"seq " + sel(b, "N"), tInt, tInt, false, ""},
				rangeable{sel(b, "Chan"), tInt, tStr, false, "."},
				rangeable{sel(b, "Seq"), tInt, tStr, false, ""},
				rangeable{sel(b, "Seq2"), tInt, tItemV, true, ".ID"},
				rangeable{"pairs " + sel(b, "M"), tStr, tStr, true, ""},
				rangeable{sel(b, "Tree.Kids"), tInt, tNode, true, ".Name"},
			)
		case tItem, tItemV:
			out = append(out, rangeable{sel(b, "N"), tInt, tInt, false, ""})
		case tNode:
			out = append(out, rangeable{sel(b, "Kids"), tInt, tNode, true, ".Name"})
		case tInt:
			out = append(out, rangeable{b, tInt, tInt, false, "."})
		}
	}
	return out
}

func (g *tgen) newVar() string {
	g.nvar++
	return "$v" + strconv.Itoa(g.nvar)
}

// rangeHead returns the range clause and the body's scope.
func (g *tgen) rangeHead(sc scope) (string, scope, rangeable) {
	rg := pick(g.r, g.rangeables(sc))
	in := sc.nested()
	in.dot, in.loop = rg.elem, true
	switch {
	case rg.two && g.n(3) == 0:
		k, v := g.newVar(), g.newVar()
		in.vars = append(in.vars, src{k, rg.key}, src{v, rg.elem})
		return fmt.Sprintf("range %s, %s := %s", k, v, rg.expr), in, rg
	case g.n(4) == 0:
		v := g.newVar()
		in.vars = append(in.vars, src{v, rg.elem})
		return fmt.Sprintf("range %s := %s", v, rg.expr), in, rg
	}
	return "range " + rg.expr, in, rg
}

// html generates content in HTML text context.
func (g *tgen) html(sc scope) string {
	var b strings.Builder
	n := 1 + g.n(4-min(sc.depth, 3))
	for range n {
		b.WriteString(g.htmlItem(&sc))
	}
	return b.String()
}

var genTexts = []string{"Hello, ", "a &amp; b ", "héllo ✓ ", "\n  ", "x", "&lt;tag&gt;", "日本語", " "}

// htmlItem generates one piece of HTML text content. It may declare a
// variable into sc for the items after it.
func (g *tgen) htmlItem(sc *scope) string {
	deep := sc.depth >= 3
	k := g.n(28)
	if deep {
		k = g.n(6)
	}
	switch k {
	case 0:
		return pick(g.r, genTexts)
	case 1, 2:
		return "<p>" + g.act(g.value(*sc)) + "</p>"
	case 3:
		return g.act(g.value(*sc))
	case 4:
		return g.breakOrContinue(*sc)
	case 5:
		return g.pick("{{/* comment */}}", "{{- /* trimmed */ -}}", "<!-- html comment -->",
			"<!-- c "+g.act(g.value(*sc))+" -->", "<!-- "+g.act("if "+g.cond(*sc))+"c"+g.act("end")+" -->")
	case 6, 7, 8:
		return g.element(*sc)
	case 9, 10:
		return g.ifElse(*sc)
	case 11, 12:
		return g.with(*sc)
	case 13, 14, 15, 16:
		return g.rangeNode(*sc)
	case 17:
		v := g.newVar()
		var decl string
		var t typ
		switch g.n(3) {
		case 0:
			decl, t = g.strOp(*sc), tStr
		case 1:
			decl, t = g.intOp(*sc), tInt
		default:
			decl, t = ".", sc.dot
		}
		sc.vars = append(sc.vars, src{v, t})
		return g.act(v+" := "+decl) + g.act(v)
	case 18:
		return g.assign(*sc)
	case 19, 20:
		return g.call(*sc)
	case 21:
		return g.block(*sc)
	case 22:
		switch g.n(5) {
		case 0:
			// A JSON script holds JS values; a non-JS type holds HTML text.
			return `<script type="application/ld+json">{"a": ` + g.act(g.value(*sc)) + "}</script>"
		case 1:
			return `<script type="text/x-template"><p>` + g.act(g.value(*sc)) + "</p></script>"
		}
		return "<script>" + g.js(*sc, false) + "</script>"
	case 23:
		return "<style>p { " + g.css(*sc, false) + " } .c" + g.act(g.intOp(*sc)) + " { margin: 0 }</style>"
	case 24:
		tag := g.pick("textarea", "title")
		return "<" + tag + ">" + g.rcdata(*sc) + "</" + tag + ">"
	case 25, 27:
		return g.keyedRange(*sc)
	case 26:
		// A range assigning to a variable declared before it: the variable
		// keeps the last element after the range.
		v := g.newVar()
		d := g.dataBase(*sc)
		if d == "" {
			return ""
		}
		return fmt.Sprintf(`{{%s := "none"}}{{range %s = %s}}<i>{{%s}}</i>{{end}}{{%s}}`, v, v, sel(d, "Tags"), v, v)
	}
	return pick(g.r, genTexts)
}

func (g *tgen) breakOrContinue(sc scope) string {
	if !sc.loop {
		return ""
	}
	kw := g.pick("break", "continue")
	if g.n(4) == 0 {
		return g.act(kw)
	}
	return fmt.Sprintf("{{if %s}}%s{{end}}", g.cond(sc), g.act(kw))
}

func (g *tgen) assign(sc scope) string {
	for _, v := range slices.Backward(sc.vars) {
		switch v.t {
		case tStr:
			return g.act(v.base + " = " + g.strOp(sc))
		case tInt:
			return g.act(v.base + " = " + g.intOp(sc))
		}
	}
	return ""
}

func (g *tgen) ifElse(sc scope) string {
	in := sc.nested()
	s := g.act("if "+g.cond(sc)) + g.html(in)
	for range g.n(3) {
		if g.n(2) == 0 {
			s += g.act("else if "+g.cond(sc)) + g.html(in)
		}
	}
	if g.n(2) == 0 {
		s += g.act("else") + g.html(in)
	}
	return s + g.act("end")
}

// with generates with, else with and else; the dot inside takes the type
// of the pipeline.
func (g *tgen) with(sc scope) string {
	head := func() (string, scope) {
		in := sc.nested()
		d := g.dataBase(sc)
		switch g.n(4) {
		case 0:
			if d != "" {
				in.dot = tItem
				return sel(d, "P"), in
			}
		case 1:
			v := g.newVar()
			in.dot = tStr
			in.vars = append(in.vars, src{v, tStr})
			return v + " := " + g.strOp(sc), in
		case 2:
			in.dot = tInt
			return g.intOp(sc), in
		}
		in.dot = tStr
		return g.strOp(sc), in
	}
	h, in := head()
	s := g.act("with "+h) + g.html(in)
	if g.n(2) == 0 {
		h, in = head()
		s += g.act("else with "+h) + g.html(in)
	}
	if g.n(2) == 0 {
		s += g.act("else") + g.html(sc.nested())
	}
	return s + g.act("end")
}

func (g *tgen) rangeNode(sc scope) string {
	head, in, _ := g.rangeHead(sc)
	s := g.act(head) + g.html(in) + g.breakOrContinue(in)
	if g.n(3) == 0 {
		s += g.act("else") + g.html(sc.nested())
	}
	return s + g.act("end")
}

// keyedRange generates a range whose rows start with a data-key attribute.
func (g *tgen) keyedRange(sc scope) string {
	var rg rangeable
	for range 10 {
		if rg = pick(g.r, g.rangeables(sc)); rg.rowKey != "" {
			break
		}
	}
	if rg.rowKey == "" {
		return g.rangeNode(sc)
	}
	in := sc.nested()
	in.dot, in.loop = rg.elem, true
	open := g.pick(`<li data-key="%s">`, `<tr class="row" title="{{.}}" data-key='%s'>`, `<div data-key=%s>`, "\n <li id=\"x\" data-key=\"%s\">")
	open = fmt.Sprintf(open, "{{"+rg.rowKey+"}}")
	if rg.elem != tStr && rg.elem != tInt {
		open = strings.Replace(open, `title="{{.}}"`, `title="{{`+rg.rowKey+`}}"`, 1)
	}
	s := "{{range " + rg.expr + "}}" + open + g.html(in) + g.breakOrContinue(in) + "</li>"
	if g.n(3) == 0 {
		s += "{{else}}<li>none</li>"
	}
	return s + "{{end}}"
}

// call generates a {{template}} call in HTML text context.
func (g *tgen) call(sc scope) string {
	d := g.dataBase(sc)
	switch g.n(6) {
	case 0:
		if d != "" && g.defineTree() {
			return g.act(fmt.Sprintf(`template "tree" %s`, sel(d, "Tree")))
		}
	case 1:
		g.defineZero()
		pipes := []string{"", ".", `""`, "0", "false"}
		if d != "" {
			pipes = append(pipes, sel(d, "Any"), sel(d, "H"), sel(d, "P"))
		}
		return g.act(`template "zero" ` + pick(g.r, pipes))
	case 2:
		if (sc.dot == tItem || sc.dot == tItemV) && g.defineItem() {
			return g.act(`template "item" .`)
		}
		if d != "" && g.defineItem() {
			return fmt.Sprintf(`{{with %s}}{{template "item" .}}{{end}}`, sel(d, "P"))
		}
	case 3:
		if d != "" && g.n(4) == 0 && g.defineItem() {
			return g.act(fmt.Sprintf(`template "item" %s`, sel(d, "P"))) // nil pointer: error parity
		}
	}
	g.defineVal()
	return g.act(fmt.Sprintf(`template "val" %s`, g.value(sc)))
}

// block generates {{block}}, whose body is a new template with its own $.
func (g *tgen) block(sc scope) string {
	g.nblock++
	name := "blk" + strconv.Itoa(g.nblock)
	pipe, t := ".", sc.dot
	if d := g.dataBase(sc); d != "" && g.n(2) == 0 {
		pipe, t = sel(d, "Tree"), tNode
	}
	body := g.html(scope{dot: t, root: t, depth: sc.depth + 1})
	return fmt.Sprintf("{{block %q %s}}%s{{end}}", name, pipe, body)
}

// define adds a named template once; body makes it on first use, and may
// itself define others. It reports false while the body of name is being
// made: a call there would recurse without a bound.
func (g *tgen) define(name string, body func() string) bool {
	if g.busy[name] {
		return false
	}
	if _, ok := g.defs[name]; !ok {
		g.busy[name] = true
		g.defs[name] = body()
		delete(g.busy, name)
	}
	return true
}

// defineVal defines "val", which prints its dot: usable in every context.
func (g *tgen) defineVal() {
	g.define("val", func() string { return "{{.}}" })
}

func (g *tgen) defineZero() {
	g.define("zero", func() string { return "[{{.}}]{{if .}}set{{else}}zero{{end}}" })
}

func (g *tgen) defineItem() bool {
	return g.define("item", func() string {
		return "<b>" + g.html(scope{dot: tItemV, root: tItemV, depth: 2}) + "</b>"
	})
}

// defineTree defines the recursive "tree"; the data bounds its depth.
func (g *tgen) defineTree() bool {
	return g.define("tree", func() string {
		in := scope{dot: tNode, root: tNode, depth: 3}
		row := `<li data-key="{{.Name}}">`
		if g.n(2) == 0 {
			row = "<li>"
		}
		return "<ul>" + g.html(in) + "{{range .Kids}}" + row + `{{template "tree" .}}</li>{{end}}</ul>`
	})
}

// defineBreakout defines a template that, called inside a quoted attribute,
// leaves the attribute, writes HTML text with a call in text context, and
// opens an attribute again.
func (g *tgen) defineBreakout() {
	g.defineVal()
	g.define("breakout", func() string { return `x"><i>{{template "val" .}}</i><a title="y` })
}

// element generates an element with attributes in every attribute context.
func (g *tgen) element(sc scope) string {
	d := g.dataBase(sc)
	switch g.n(13) {
	case 0:
		return `<a href="` + g.url(sc) + `" title="` + g.attr(sc) + `">` + g.html(sc.nested()) + "</a>"
	case 1:
		return `<img src='` + g.url(sc) + `' alt="` + g.attr(sc) + `">`
	case 2:
		return "<a href=" + g.act(g.strOp(sc)) + ">u</a>"
	case 3:
		return "<input value=" + g.pick("", "x") + g.act(g.value(sc)) + " " + g.act("if "+g.cond(sc)) + "checked" + g.act("end") + ">"
	case 4:
		return `<button onclick="` + g.js(sc, true) + `">b</button>`
	case 5:
		return `<div style="` + g.css(sc, true) + `">` + g.html(sc.nested()) + "</div>"
	case 6:
		return `<p class="c ` + g.act(g.strOp(sc)) + `" ` + g.act("if "+g.cond(sc)) + "hidden" + g.act("end") + ">" + g.html(sc.nested()) + "</p>"
	case 7:
		if d != "" {
			return "<span " + g.act(sel(d, "AttrName")) + `="` + g.attr(sc) + `">s</span>`
		}
	case 8:
		return `<img srcset="` + g.act(g.strOp(sc)) + ` 1x, /b.png 2x">`
	case 9:
		g.defineBreakout()
		return `<a title="` + g.act(`template "breakout" `+g.strOp(sc)) + `">t</a>`
	case 10:
		return `<a href="/s?q=` + g.act(g.value(sc)) + `" onmouseover='f(` + g.act(g.value(sc)) + `)'>q</a>`
	case 11:
		return `<iframe srcdoc="` + g.attr(sc) + `"></iframe><form action="` + g.url(sc) + `"></form>`
	}
	return `<span title="` + g.attr(sc) + `">` + g.html(sc.nested()) + "</span>"
}

// attr generates a quoted plain attribute value.
func (g *tgen) attr(sc scope) string {
	var b strings.Builder
	for range 1 + g.n(3) {
		switch k := g.n(8); {
		case k == 0:
			b.WriteString(g.pick("x ", "a&amp;b", "é", " "))
		case k < 3 || sc.depth >= 3:
			b.WriteString(g.act(g.value(sc)))
		case k == 3:
			in := sc.nested()
			b.WriteString("{{if " + g.cond(sc) + "}}" + g.attr(in) + "{{else}}" + g.attr(in) + "{{end}}")
		case k == 4:
			head, in, _ := g.rangeHead(sc)
			b.WriteString("{{" + head + "}}" + g.attr(in) + g.breakOrContinue(in) + "{{end}}")
		case k == 5:
			g.defineVal()
			b.WriteString(`{{template "val" ` + g.value(sc) + "}}")
		default:
			b.WriteString("{{with " + g.strOp(sc) + "}}[{{.}}]{{end}}")
		}
	}
	return b.String()
}

// url generates the value of a URL attribute.
func (g *tgen) url(sc scope) string {
	s := g.act(g.strOp(sc))
	switch g.n(8) {
	case 0:
		return "/p/" + s + "?q=" + g.act(g.value(sc)) + "&amp;n=" + g.act(g.intOp(sc)) + "#" + g.act(g.strOp(sc))
	case 1:
		return "http://x/?a=b&c=" + s
	case 2:
		return "{{if " + g.cond(sc) + "}}" + s + "{{else}}/fallback{{end}}"
	case 3:
		g.defineVal()
		return `{{template "val" ` + g.strOp(sc) + "}}"
	case 4:
		return "mailto:" + s
	case 5:
		return s + "/" + g.act(g.strOp(sc))
	}
	return s
}

// js generates JavaScript; in an attribute it avoids double quotes.
func (g *tgen) js(sc scope, inAttr bool) string {
	var b strings.Builder
	for range 1 + g.n(3) {
		switch g.n(10) {
		case 0:
			b.WriteString("var a = " + g.act(g.value(sc)) + ";")
		case 1:
			if inAttr {
				b.WriteString("var s = '" + g.act(g.value(sc)) + " x';")
			} else {
				b.WriteString(`var s = "` + g.act(g.value(sc)) + ` x";`)
			}
		case 2:
			b.WriteString("var t = `a ${ " + g.act(g.value(sc)) + " } " + g.act(g.strOp(sc)) + "`;")
		case 3:
			b.WriteString("var re = /" + g.act(g.strOp(sc)) + "/i;")
		case 4:
			in := sc.nested()
			b.WriteString("{{if " + g.cond(sc) + "}}f(" + g.act(g.value(in)) + ");{{else}}g();{{end}}")
		case 5:
			head, in, _ := g.rangeHead(sc)
			b.WriteString("[{{" + head + "}}" + g.act(g.anyOp(in)) + ", {{end}}];")
		case 6:
			b.WriteString("/* c */ x();")
			if !inAttr {
				b.WriteString("// line\n")
			}
		case 7:
			g.defineVal()
			v := `{{template "val" ` + g.value(sc) + "}}"
			b.WriteString(g.pick("var o = "+v+";", "var o = '"+v+"';", "var o = `"+v+"`;"))
		case 8:
			if d := g.dataBase(sc); d != "" {
				b.WriteString("var j = {k: " + g.act(sel(d, "Items")) + ", m: " + g.act(sel(d, "M")) + "};")
			}
		default:
			b.WriteString("h('" + g.act(g.strOp(sc)) + "', " + g.act(g.intOp(sc)) + ");")
		}
	}
	return b.String()
}

// css generates declarations; in an attribute it avoids double quotes.
func (g *tgen) css(sc scope, inAttr bool) string {
	var b strings.Builder
	q := `"`
	if inAttr {
		q = "'"
	}
	for range 1 + g.n(3) {
		switch g.n(8) {
		case 0:
			b.WriteString("color: " + g.act(g.strOp(sc)) + "; ")
		case 1:
			b.WriteString("width: " + g.act(g.intOp(sc)) + "px; ")
		case 2:
			b.WriteString("background: url(" + g.act(g.strOp(sc)) + "); ")
		case 3:
			b.WriteString("background: url(" + q + g.act(g.strOp(sc)) + q + "); ")
		case 4:
			b.WriteString("font-family: " + q + g.act(g.value(sc)) + q + "; ")
		case 5:
			b.WriteString("{{if " + g.cond(sc) + "}}display: none; {{end}}")
		case 6:
			g.defineVal()
			b.WriteString(`color: {{template "val" ` + g.strOp(sc) + "}}; ")
		default:
			b.WriteString("/* c */ ")
		}
	}
	return b.String()
}

// rcdata generates the content of a textarea or title.
func (g *tgen) rcdata(sc scope) string {
	switch g.n(5) {
	case 0:
		return "a < b & c " + g.act(g.value(sc))
	case 1:
		return "{{if " + g.cond(sc) + "}}" + g.act(g.value(sc)) + "{{end}}"
	case 2:
		head, in, _ := g.rangeHead(sc)
		return "{{" + head + "}}" + g.act(g.anyOp(in)) + " {{end}}"
	case 3:
		g.defineVal()
		return `{{template "val" ` + g.value(sc) + "}}"
	}
	return g.act(g.value(sc))
}

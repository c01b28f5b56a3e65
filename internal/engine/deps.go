package engine

import (
	"html/template"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"
)

// The analysis of what a range's body reads (see memo.go).

// memoRange is a range whose rows a rendering may copy from the last tree.
type memoRange struct {
	id      int32
	inv     []string // $ and the outer variables the body reads, as rows receives them
	invDeps []dep    // reads of those
	rowDeps []dep    // reads of the row's element, its index and nested elements
	index   string   // name of the index variable, when the body uses it
	hasElse bool
	slots   int32 // path step caches its deps use
}

// direct reports whether the rewrite's outer range yields the inner range's
// collections themselves: when no else list needs the original dot and the
// body does not use the index.
func (mr *memoRange) direct() bool { return !mr.hasElse && mr.index == "" }

type depOp uint8

const (
	depDeep  depOp = iota // the value and everything reachable from it
	depTruth              // only whether it is true, as if and with see it
	depEach               // each element, as a range walks it, read by inner
)

// A dep's root is a slot of the environment: rootElem, rootIndex, or
// rootNested+d for the element of the d-th nested range (d from 0);
// negative roots are invariants, -1-k for the k-th of memoRange.inv.
const (
	rootElem   = 0
	rootIndex  = 1
	rootNested = 2
	rootNone   = 1 << 14      // a value the other reads determine, or a constant
	rootDollar = rootNone + 1 // $ of the range's own template, before the body reads it
)

// dep is one read of a range's body.
type dep struct {
	op    depOp
	root  int16
	path  []string // fields or map keys from the root
	inner []dep    // depEach: reads of each element
	elem  int16    // depEach: the root of the element in inner
	slot  int32    // the first of len(path) step caches
}

// aval is where a value the body computes comes from.
type aval struct {
	root int16
	path []string
}

var none = aval{root: rootNone}

func (v aval) known() bool { return v.root != rootNone }

func (v aval) field(idents []string) aval {
	if !v.known() || len(idents) == 0 {
		return v
	}
	return aval{root: v.root, path: append(v.path[:len(v.path):len(v.path)], idents...)}
}

// binding is a variable the body can see. Variables declared outside the
// range's body are not bindings: they are invariants.
type binding struct {
	name     string
	v        aval
	assigned bool
}

// frame is what an analysed node sees.
type frame struct {
	dot, dollar aval
	vars        []*binding
	level       int  // nested ranges with an element root around the node
	inRange     bool // in the range's own template, where outer variables exist
}

func (sc *frame) nested() *frame {
	c := *sc
	c.vars = c.vars[:len(c.vars):len(c.vars)]
	return &c
}

// depNode is a dep under construction; inner lists stay addressable.
type depNode struct {
	d     dep
	inner *depList
}

type depList []*depNode

// analysisBudget bounds the nodes one range's analysis visits, templates
// called from it included.
const analysisBudget = 20000

type analyzer struct {
	rules  *readRules
	set    map[string]*template.Template
	names  map[string]bool
	mr     *memoRange
	ok     bool
	calls  []string
	budget int
	inv    *depList
	levels []*depList // levels[d]: reads rooted at nesting level d (0: the row)
}

// analyzeRanges finds the ranges of the templates reachable from entry
// whose rows may be reused, on c's escaped trees before they are
// instrumented.
func analyzeRanges(c *compiler, entry string) map[*parse.RangeNode]*memoRange {
	names := map[string]bool{}
	out := map[*parse.RangeNode]*memoRange{}
	seen := map[string]bool{entry: true}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, x := range n.Nodes {
					walk(x)
				}
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			if mr := analyzeRange(c, names, n); mr != nil {
				mr.id = int32(len(c.memo))
				c.memo = append(c.memo, mr)
				out[n] = mr
			}
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			if t := c.set[n.Name]; t != nil && !seen[n.Name] {
				seen[n.Name] = true
				walk(t.Tree.Root)
			}
		}
	}
	walk(c.set[entry].Tree.Root)
	if c.prog.root == nil {
		c.prog.reads.names = names
	}
	return out
}

// analyzeRange returns what r's body reads, or nil if its rows cannot be
// reused.
func analyzeRange(c *compiler, names map[string]bool, r *parse.RangeNode) *memoRange {
	if r.Pipe.IsAssign || leaves(r.List, parse.NodeBreak) || leaves(r.ElseList, parse.NodeContinue) {
		return nil
	}
	mr := &memoRange{hasElse: r.ElseList != nil}
	rows, inv := depList{}, depList{}
	a := &analyzer{rules: c.prog.reads, set: c.set, names: names, mr: mr, ok: true, budget: analysisBudget,
		inv: &inv, levels: []*depList{&rows}}
	sc := &frame{dot: aval{root: rootElem}, dollar: aval{root: rootDollar}, level: 0, inRange: true}
	var index *binding
	switch len(r.Pipe.Decl) {
	case 1:
		sc.vars = []*binding{{name: r.Pipe.Decl[0].Ident[0], v: aval{root: rootElem}}}
	case 2:
		index = &binding{name: r.Pipe.Decl[0].Ident[0], v: aval{root: rootIndex}}
		sc.vars = []*binding{index, {name: r.Pipe.Decl[1].Ident[0], v: aval{root: rootElem}}}
	}
	a.list(sc, r.List)
	if !a.ok {
		return nil
	}
	mr.invDeps = a.flatten(inv)
	mr.rowDeps = a.flatten(rows)
	if index != nil && usesRoot(mr.rowDeps, rootIndex) {
		if mentions(r.ElseList, index.name) {
			return nil // the else list would lose the variable to the rewrite
		}
		mr.index = index.name
	}
	return mr
}

// leaves reports whether l holds a break or continue (kind) that leaves the
// list itself, not a range nested in it.
func leaves(l *parse.ListNode, kind parse.NodeType) bool {
	if l == nil {
		return false
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.BreakNode, *parse.ContinueNode:
			if n.Type() == kind {
				return true
			}
		case *parse.IfNode:
			if leaves(n.List, kind) || leaves(n.ElseList, kind) {
				return true
			}
		case *parse.WithNode:
			if leaves(n.List, kind) || leaves(n.ElseList, kind) {
				return true
			}
		case *parse.RangeNode:
			// A continue in a nested range's else list continues this range.
			if kind == parse.NodeContinue && leaves(n.ElseList, kind) {
				return true
			}
		}
	}
	return false
}

// mentions reports whether a variable named name appears in l.
func mentions(l *parse.ListNode, name string) bool {
	return l != nil && strings.Contains(l.String(), name)
}

func usesRoot(ds []dep, root int16) bool {
	for _, d := range ds {
		if d.root == root || usesRoot(d.inner, root) {
			return true
		}
	}
	return false
}

func (a *analyzer) fail() { a.ok = false }

// invariant returns the root of $ or an outer variable, adding it to the
// values rows receives.
func (a *analyzer) invariant(name string) aval {
	for k, n := range a.mr.inv {
		if n == name {
			return aval{root: int16(-1 - k)}
		}
	}
	a.mr.inv = append(a.mr.inv, name)
	return aval{root: int16(-len(a.mr.inv))}
}

// read adds a read of v to the list of its root's level.
func (a *analyzer) read(v aval, op depOp) *depNode {
	if !v.known() {
		return nil
	}
	l := a.inv
	if v.root >= 0 {
		level := 0
		if v.root >= rootNested {
			level = int(v.root-rootNested) + 1
		}
		l = a.levels[level]
	}
	for _, n := range *l {
		if n.d.op == op && n.d.root == v.root && slices.Equal(n.d.path, v.path) {
			return n
		}
	}
	n := &depNode{d: dep{op: op, root: v.root, path: v.path}}
	*l = append(*l, n)
	return n
}

func (a *analyzer) flatten(l depList) []dep {
	out := make([]dep, 0, len(l))
	for _, n := range l {
		d := n.d
		d.slot = a.mr.slots
		a.mr.slots += int32(len(d.path))
		if n.inner != nil {
			d.inner = a.flatten(*n.inner)
		}
		out = append(out, d)
	}
	return out
}

func (a *analyzer) addNames(idents []string) {
	for _, id := range idents {
		a.names[id] = true
	}
}

func (a *analyzer) list(sc *frame, l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		if a.budget--; a.budget < 0 {
			a.fail()
		}
		if !a.ok {
			return
		}
		a.node(sc, n)
	}
}

func (a *analyzer) node(sc *frame, n parse.Node) {
	switch n := n.(type) {
	case *parse.ActionNode:
		v := a.pipe(sc, n.Pipe)
		if len(n.Pipe.Decl) == 0 {
			a.read(v, depDeep)
			return
		}
		a.declare(sc, n.Pipe, v)
	case *parse.IfNode:
		in := sc.nested()
		v := a.pipe(in, n.Pipe)
		a.declare(in, n.Pipe, v)
		a.read(v, depTruth)
		a.list(in.nested(), n.List)
		a.list(in.nested(), n.ElseList)
	case *parse.WithNode:
		in := sc.nested()
		v := a.pipe(in, n.Pipe)
		a.declare(in, n.Pipe, v)
		a.read(v, depTruth)
		body := in.nested()
		body.dot = v
		a.list(body, n.List)
		a.list(in.nested(), n.ElseList)
	case *parse.RangeNode:
		a.nestedRange(sc, n)
	case *parse.TemplateNode:
		a.call(sc, n)
	}
}

// declare binds or assigns the variables of p to v.
func (a *analyzer) declare(sc *frame, p *parse.PipeNode, v aval) {
	for _, d := range p.Decl {
		name := d.Ident[0]
		if !p.IsAssign {
			sc.vars = append(sc.vars, &binding{name: name, v: v})
			continue
		}
		b := lookup(sc, name)
		if b == nil {
			a.fail() // an assignment to a variable declared outside the body
			return
		}
		if !b.assigned {
			// Any use may see the value before this assignment.
			a.read(b.v, depDeep)
			b.assigned = true
		}
		a.read(v, depDeep)
		b.v = none
	}
}

func lookup(sc *frame, name string) *binding {
	for i := len(sc.vars) - 1; i >= 0; i-- {
		if sc.vars[i].name == name {
			return sc.vars[i]
		}
	}
	return nil
}

// nestedRange reads a range inside the body: each element of a collection
// the body reaches by fields, or the collection whole.
func (a *analyzer) nestedRange(sc *frame, q *parse.RangeNode) {
	in := sc.nested()
	v := a.pipe(in, q.Pipe)
	body := in.nested()
	elem := none
	if v.known() {
		// At the body's own level, whatever v's root: the element's reads
		// need the values of every level around them.
		n := &depNode{d: dep{op: depEach, root: v.root, path: v.path, elem: int16(rootNested + sc.level)}, inner: &depList{}}
		*a.levels[sc.level] = append(*a.levels[sc.level], n)
		a.levels = append(a.levels[:sc.level+1], n.inner)
		body.level = sc.level + 1
		elem = aval{root: int16(rootNested + sc.level)}
	} else {
		a.read(v, depDeep)
	}
	body.dot = elem
	switch {
	case q.Pipe.IsAssign:
		a.declare(in, q.Pipe, v) // assigned the elements: reads v whole
	case len(q.Pipe.Decl) == 1:
		body.vars = append(body.vars, &binding{name: q.Pipe.Decl[0].Ident[0], v: elem})
	case len(q.Pipe.Decl) == 2:
		// The index or key is part of what the element's read records.
		body.vars = append(body.vars, &binding{name: q.Pipe.Decl[0].Ident[0], v: none},
			&binding{name: q.Pipe.Decl[1].Ident[0], v: elem})
	}
	a.list(body, q.List)
	a.levels = a.levels[:sc.level+1]
	if q.ElseList != nil {
		// The else list sees the variables set to the collection.
		els := in.nested()
		if !q.Pipe.IsAssign {
			for _, d := range q.Pipe.Decl {
				els.vars = append(els.vars, &binding{name: d.Ident[0], v: v})
			}
		}
		a.list(els, q.ElseList)
	}
}

// call reads a template call: the callee's reads, with its dot and $ the
// argument. A recursive call reads the argument whole.
func (a *analyzer) call(sc *frame, t *parse.TemplateNode) {
	arg := none
	if t.Pipe != nil {
		arg = a.pipe(sc, t.Pipe)
	}
	callee := a.callee(t.Name)
	if callee == nil {
		a.fail()
		return
	}
	for _, c := range a.calls {
		if c == callee.Name() {
			a.read(arg, depDeep)
			a.addAllNames(callee.Tree.Root)
			return
		}
	}
	a.calls = append(a.calls, callee.Name())
	a.list(&frame{dot: arg, dollar: arg, level: sc.level}, callee.Tree.Root)
	a.calls = a.calls[:len(a.calls)-1]
}

// callee returns the template a call reaches. A call in a context other
// than HTML text reaches a copy of a template that html/template escaped
// for that context and keeps out of the set: it reads what the original
// reads.
func (a *analyzer) callee(name string) *template.Template {
	if t := a.set[name]; t != nil {
		return t
	}
	if i := strings.Index(name, "$htmltemplate_"); i > 0 {
		return a.callee(name[:i])
	}
	return nil
}

// addAllNames adds every field name of n and of the templates it calls.
func (a *analyzer) addAllNames(n parse.Node) {
	seen := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.FieldNode:
			a.addNames(n.Ident)
		case *parse.ChainNode:
			a.addNames(n.Field)
			walk(n.Node)
		case *parse.VariableNode:
			a.addNames(n.Ident[1:])
		case *parse.ListNode:
			if n != nil {
				for _, x := range n.Nodes {
					walk(x)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					for _, x := range c.Args {
						walk(x)
					}
				}
			}
		case *parse.IfNode:
			walk(&n.BranchNode)
		case *parse.WithNode:
			walk(&n.BranchNode)
		case *parse.RangeNode:
			walk(&n.BranchNode)
		case *parse.BranchNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
			if t := a.callee(n.Name); t != nil && !seen[t.Name()] {
				seen[t.Name()] = true
				walk(t.Tree.Root)
			}
		}
	}
	walk(n)
}

// pipe returns where the value of p comes from, reading the arguments of
// its functions whole.
func (a *analyzer) pipe(sc *frame, p *parse.PipeNode) aval {
	v := none
	for i, cmd := range p.Cmds {
		v = a.command(sc, cmd, v, i > 0)
	}
	return v
}

func (a *analyzer) command(sc *frame, cmd *parse.CommandNode, final aval, hasFinal bool) aval {
	first := cmd.Args[0]
	if id, ok := first.(*parse.IdentifierNode); ok {
		if !a.rules.pure(id.Ident) || id.Ident == "printf" && !plainFormat(cmd.Args[1:]) {
			a.fail()
			return none
		}
		for _, arg := range cmd.Args[1:] {
			a.read(a.operand(sc, arg), depDeep)
		}
		if hasFinal {
			a.read(final, depDeep)
		}
		return none
	}
	if len(cmd.Args) > 1 || hasFinal {
		a.fail() // a method call, or an error
		return none
	}
	return a.operand(sc, first)
}

// plainFormat reports whether printf's arguments start with a literal format
// without %p: the only verb that prints the address of a slice or a map,
// which a record of values does not hold.
func plainFormat(args []parse.Node) bool {
	if len(args) == 0 {
		return false
	}
	f, ok := args[0].(*parse.StringNode)
	if !ok {
		return false
	}
	s := f.Text
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		for i < len(s) && strings.IndexByte("+-# 0123456789.*[]", s[i]) >= 0 {
			i++
		}
		if i < len(s) && s[i] == 'p' {
			return false
		}
	}
	return true
}

func (a *analyzer) operand(sc *frame, n parse.Node) aval {
	switch n := n.(type) {
	case *parse.DotNode:
		return sc.dot
	case *parse.FieldNode:
		a.addNames(n.Ident)
		return sc.dot.field(n.Ident)
	case *parse.VariableNode:
		a.addNames(n.Ident[1:])
		return a.variable(sc, n.Ident[0]).field(n.Ident[1:])
	case *parse.ChainNode:
		a.addNames(n.Field)
		return a.operand(sc, n.Node).field(n.Field)
	case *parse.PipeNode:
		return a.pipe(sc, n)
	case *parse.IdentifierNode:
		if !a.rules.pure(n.Ident) {
			a.fail()
		}
	}
	return none
}

// variable returns the value of a variable the body names.
func (a *analyzer) variable(sc *frame, name string) aval {
	if name == "$" && sc.dollar.root == rootDollar {
		return a.invariant("$") // rows receives $ only if the body reads it
	}
	if name == "$" {
		return sc.dollar
	}
	if b := lookup(sc, name); b != nil {
		return b.v
	}
	if !sc.inRange {
		a.fail()
		return none
	}
	return a.invariant(name)
}

// readRules says which functions are pure and which methods a fingerprint
// must not let the output depend on.
type readRules struct {
	userFuncs map[string]bool // names the FuncMap defines; nil if unknown
	names     map[string]bool // field names the reusable ranges use; set once by the first compile
}

// newReadRules reads the names of the template's own functions. They take
// the place of builtins of the same name, and only builtins are known to
// be pure. text/template does not export its FuncMap: the names are read by
// reflection, and if that fails (a new Go changed the fields) no builtin is
// taken as pure. TestUserFuncNames fails then.
func newReadRules(t *template.Template) *readRules {
	return &readRules{userFuncs: userFuncNames(t)}
}

func userFuncNames(t *template.Template) (names map[string]bool) {
	defer func() {
		if recover() != nil {
			names = nil
		}
	}()
	v := reflect.ValueOf(t).Elem().FieldByName("text")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	common := v.Elem().FieldByName("common")
	if !common.IsValid() || common.Kind() != reflect.Pointer || common.IsNil() {
		return nil
	}
	funcs := common.Elem().FieldByName("parseFuncs")
	if !funcs.IsValid() || funcs.Kind() != reflect.Map || funcs.Type().Key().Kind() != reflect.String {
		return nil
	}
	names = map[string]bool{}
	for _, k := range funcs.MapKeys() {
		names[k.String()] = true
	}
	return names
}

// pureBuiltins are text/template's functions that call no user code of
// their own (what they print may: readers check the values' methods).
var pureBuiltins = map[string]bool{
	"and": true, "or": true, "not": true, "len": true, "index": true, "slice": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true,
}

// pure reports whether the function name calls no user code: one of
// html/template's escapers (added after the FuncMap, so never replaced), or
// a builtin the FuncMap does not replace.
func (r *readRules) pure(name string) bool {
	if strings.HasPrefix(name, "_html_template_") || name == "_eval_args_" {
		return true
	}
	return r.userFuncs != nil && pureBuiltins[name] && !r.userFuncs[name]
}

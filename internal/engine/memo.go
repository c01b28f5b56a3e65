package engine

import (
	"errors"
	"html/template"
	"reflect"
	"strconv"
	"strings"
	"text/template/parse"
)

// Rows that need not run again.
//
// An update renders the page's new data, but a row of a range whose inputs
// are the same as when the page's last tree rendered it would render the
// same bytes again. Such a row is copied from the last tree instead of
// executed. Its inputs are what the range's body reads, found from the
// escaped parse tree by deps.go: fields and map entries of the row's
// element, of $ and of variables declared outside the range, and the index
// when the body uses it. Only bodies that call no user code qualify: their
// functions are html/template's escapers and text/template's builtins (not
// redefined by the template's FuncMap); a method call with arguments, a
// user function or call anywhere the body or a template it calls could
// reach keeps the range out, and a field that turns out to be a method at
// run time keeps its row out.
//
// A row's inputs are recorded as bytes (inputs.go): the values read,
// followed through pointers and interfaces, with the dynamic type at every
// interface, so that two rows with the same bytes render the same output.
// Values, not addresses: data changed in place since the last tree reads
// differently. A value the output prints whole is recorded with the
// addresses of its pointers as well as their targets, as printing can show
// an address.
//
// text/template cannot skip an iteration, so a memo instance rewrites every
// qualifying range
//
//	{{range $i, $e := PIPE}}BODY{{else}}ELSE{{end}}
//
// as
//
//	{{range $o := rows ID (PIPE) . $ $x...}}{{range $i, $e := run $o}}BODY{{else}}ELSE{{end}}{{end}}
//
// (or with {{range $i, $e := $o}} inside, when there is no ELSE and the
// body does not use the index), where rows, run and index are functions of
// the instance (funcMap), $o is a variable no template can name, . is
// passed only when there is an ELSE, and $ $x... are the values of $ and of
// the outer variables the body reads. For a non-empty slice, rows reads the
// rows' inputs one by one, decides for each whether to copy it or execute
// it, and returns one item for each contiguous run of rows to execute: the
// run itself, or its name for run, which returns it. A run is a slice of
// the original, so elements are addressable and aliased exactly as in the
// original range. A row whose inputs cannot be read may call user code,
// which could change what the rows after it read: rows then returns an
// iterator that decides those rows only after that row executed. For
// anything else rows returns one item, the collection itself or the
// original dot (aliased, so that ELSE sees it; run then returns the
// collection), and the inner range is the original. A body that uses the
// index declares it first, from the run's start and the index within it.
//
// The walker learns the decisions from the plans rows makes, one per call,
// in the order of the calls, which is the order of the ranges' begin
// markers. A rendering whose rewritten execution fails is run again on the
// pristine instance, whose errors are exactly Execute's.

// errAbort makes a memo execution fail, so that the pristine instance runs.
var errAbort = errors.New("engine: a rewritten range cannot reproduce this case")

// runStart is the item the rewritten outer range yields for a run of rows
// to execute: where the run is in renderState.runs.
type runStart int

var runStartType = reflect.TypeFor[runStart]()

// rewriteFuncs are the names of the functions the rewrite calls, and of
// the variables it declares.
type rewriteFuncs struct {
	rows, run, index string
}

// Variables no template can name: the lexer only makes names of letters,
// digits and underscores.
const (
	varRun   = "$\x00run"
	varIndex = "$\x00index"
)

// newRewriteFuncs picks function names that no template of clone's set
// uses, so that the rewrite never takes the place of a user's function.
func newRewriteFuncs(clone *template.Template) rewriteFuncs {
	var src strings.Builder
	for _, x := range clone.Templates() {
		if x.Tree != nil && x.Tree.Root != nil {
			src.WriteString(x.Tree.Root.String())
		}
	}
	name := func(base string) string {
		n := base
		for i := 0; strings.Contains(src.String(), n); i++ {
			n = base + strconv.Itoa(i)
		}
		return n
	}
	return rewriteFuncs{rows: name("livetemplateRows"), run: name("livetemplateRun"), index: name("livetemplateIndex")}
}

// funcMap binds the rewrite's functions to inst.
func (inst *instance) funcMap() template.FuncMap {
	f := inst.prog.funcs
	return template.FuncMap{f.rows: inst.rows, f.run: inst.run, f.index: inst.index}
}

// rewrite returns the outer range that replaces r in a memo instance, and
// changes r as the package comment shows.
func (f rewriteFuncs) rewrite(r *parse.RangeNode, mr *memoRange) parse.Node {
	pos, line := r.Pos, r.Line
	args := []parse.Node{
		parse.NewIdentifier(f.rows).SetPos(pos),
		&parse.NumberNode{NodeType: parse.NodeNumber, Pos: pos, IsInt: true, Int64: int64(mr.id), Text: strconv.Itoa(int(mr.id))},
		&parse.PipeNode{NodeType: parse.NodePipe, Pos: r.Pipe.Pos, Line: r.Pipe.Line, Cmds: r.Pipe.Cmds},
	}
	if mr.hasElse {
		args = append(args, &parse.DotNode{NodeType: parse.NodeDot, Pos: pos})
	}
	for _, name := range mr.inv {
		args = append(args, variable(pos, name))
	}
	outer := &parse.RangeNode{BranchNode: parse.BranchNode{
		NodeType: parse.NodeRange, Pos: pos, Line: line,
		Pipe: pipe(pos, line, []*parse.VariableNode{variable(pos, varRun)}, args...),
		List: &parse.ListNode{NodeType: parse.NodeList, Pos: pos, Nodes: []parse.Node{r}},
	}}
	decl := r.Pipe.Decl
	if mr.index != "" {
		// The body declares the index itself, from the run's start.
		decl = []*parse.VariableNode{variable(pos, varIndex), decl[1]}
		set := &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Line: line, Pipe: pipe(pos, line,
			[]*parse.VariableNode{variable(pos, mr.index)},
			parse.NewIdentifier(f.index).SetPos(pos), variable(pos, varRun), variable(pos, varIndex))}
		// After the iteration's marker, which must stay its first write.
		r.List.Nodes = append([]parse.Node{r.List.Nodes[0], set}, r.List.Nodes[1:]...)
	}
	if mr.direct() {
		// The outer range's items are the collections themselves.
		r.Pipe = pipe(r.Pipe.Pos, r.Pipe.Line, decl, variable(pos, varRun))
		return outer
	}
	r.Pipe = pipe(r.Pipe.Pos, r.Pipe.Line, decl, parse.NewIdentifier(f.run).SetPos(pos), variable(pos, varRun))
	return outer
}

func variable(pos parse.Pos, name string) *parse.VariableNode {
	return &parse.VariableNode{NodeType: parse.NodeVariable, Pos: pos, Ident: []string{name}}
}

// pipe makes a pipeline of one command.
func pipe(pos parse.Pos, line int, decl []*parse.VariableNode, args ...parse.Node) *parse.PipeNode {
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: args}
	return &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Line: line, Decl: decl, Cmds: []*parse.CommandNode{cmd}}
}

// rows is the rewritten outer range's collection: see the package comment.
// rest is dot, when the range has an else list, then the values of $ and
// of the outer variables the body reads.
func (inst *instance) rows(id int, coll reflect.Value, rest ...reflect.Value) (reflect.Value, error) {
	st := &inst.st
	st.calls++
	st.cur = coll
	mr := inst.prog.memo[id]
	var dot reflect.Value
	if mr.hasElse {
		dot, rest = rest[0], rest[1:]
	}
	v, _ := indirect(coll)
	memo := st.opaque == 0 && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array && v.CanAddr()) && v.Len() > 0
	if memo {
		pl := st.newPlan(int32(id))
		if st.startOccurrence(pl, mr, v.Type().Elem(), rest) {
			return st.decide(pl, mr, v, rest), nil
		}
		pl.fallback = true
	} else if st.opaque == 0 {
		st.newPlan(int32(id)).fallback = true
	}
	if mr.direct() {
		return boxOne(coll)
	}
	return aliasOne(dot, mr.hasElse)
}

// boxOne returns a collection of one item, coll, for the inner range of a
// range without an else list: it ranges over the item as over coll (an
// array in it is a copy, but coll is then one that was not addressable).
func boxOne(coll reflect.Value) (reflect.Value, error) {
	if !coll.IsValid() {
		return reflect.ValueOf([]any{nil}), nil
	}
	if !coll.CanInterface() {
		return reflect.Value{}, errAbort
	}
	return reflect.ValueOf([]any{coll.Interface()}), nil
}

// aliasOne returns a collection of one element that is dot itself, as
// addressable as dot is, so that the else list of the inner range runs
// with the original dot. Without an else list any one element will do.
func aliasOne(dot reflect.Value, needed bool) (reflect.Value, error) {
	switch {
	case !needed:
		return reflect.ValueOf([1]bool{}), nil
	case !dot.IsValid() || !dot.CanInterface():
		return reflect.Value{}, errAbort
	case dot.CanAddr():
		return reflect.SliceAt(dot.Type(), dot.Addr().UnsafePointer(), 1), nil
	}
	a := reflect.New(reflect.ArrayOf(1, dot.Type())).Elem()
	a.Index(0).Set(dot)
	return reflect.ValueOf(a.Interface()), nil
}

// run is the inner range's collection: the run of rows to execute that o,
// the outer range's item, names, or else the original collection.
func (inst *instance) run(o reflect.Value) reflect.Value {
	if o.Type() != runStartType {
		return inst.st.cur
	}
	r := inst.st.runs[o.Int()]
	return r.v.Slice(r.start, r.end)
}

// index returns the index of the row that executes: i within the run that
// o names, or i itself when the range is not reusing rows.
func (inst *instance) index(o, i reflect.Value) reflect.Value {
	if o.Type() != runStartType {
		return i
	}
	return reflect.ValueOf(inst.st.runs[o.Int()].start + int(i.Int()))
}

// indirect is text/template's: it follows pointers and interfaces to the
// value, stopping at a nil one.
func indirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

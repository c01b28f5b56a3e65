package engine

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"
	"unsafe"
)

// escapeWrapper names the template Compile adds to the clone so that
// html/template escapes the entry without running it (see wrapperName).
const escapeWrapper = "\x00livetemplate-escape"

// ErrExecuted is returned by Compile for a template that has already been
// executed: html/template then forbids the Clone that Compile needs.
var ErrExecuted = errors.New("template was executed before it was compiled; compile it before its first Execute")

// Program is a template compiled for live rendering. It is safe for
// concurrent use.
type Program struct {
	name    string
	src     *template.Template // an unexecuted clone of the user's template, for new instances
	root    *list
	statics []statics // by statics id
	kinds   []markerKind
	memo    []*memoRange // ranges whose rows a rendering may reuse, by id
	reads   *readRules   // what fingerprints may read (deps.go)
	funcs   rewriteFuncs
	width   int // bytes of a fragment's head in a tree's encoding

	maxHTML int // MaxHTML; lower in tests

	hint atomic.Pointer[sizes] // of the last tree, for a rendering without one

	mu       sync.Mutex
	idle     []*instance // memo instances not rendering
	pristine struct {
		once sync.Once
		inst *instance
		err  error
	}
}

// instance is one escaped, instrumented clone of the template. A memo
// instance renders one data value at a time: the functions its rewritten
// ranges call find the rendering in progress through it. The pristine
// instance has no rewrite, holds no state and is shared.
type instance struct {
	prog *Program
	tmpl *template.Template

	// markers holds one byte per marker text node. A Write whose bytes start
	// inside it is a marker; markerBase is the address of markers[0].
	markers    []byte
	markerBase uintptr

	memo bool
	st   renderState // the rendering in progress (memo instances)
}

// statics is the literal text around the dynamic values of a fragment.
type statics struct {
	parts []string
	json  []byte // parts encoded as a JSON array, ready to send
}

type markerKind uint8

const (
	markPlain       markerKind = iota
	markOpaqueBegin            // starts the output of a call in a non-text context
	markOpaqueEnd
)

type opKind uint8

const (
	opText     opKind = iota // n literal writes
	opValue                  // a printing action: one text slot
	opBranch                 // if or with: a fragment slot
	opRange                  // range: a comprehension or else-fragment slot
	opCall                   // {{template}} in HTML text: a fragment slot
	opOpaque                 // {{template}} in any other context: one text slot
	opBreak                  // {{break}}
	opContinue               // {{continue}}
)

// op is one step of a compiled list. Which fields are used depends on kind.
type op struct {
	kind opKind
	n    int32  // opText: number of writes
	text string // opText: the literal text (for statics)

	body, alt *list // branch: then, else; range: body, else; call: callee
	m0, m1    int32 // markers. branch: then, else; range: iteration, else; opaque: begin, end
	m2        int32 // range: end marker
	mb        int32 // range with memo >= 0: the marker before it (memo instances)
	memo      int32 // range: id of its memoRange, or -1

	cut  int32 // statics id of the enclosing list cut after this op, or -1
	key  int32 // range: slot of the body holding the row key, or -1
	exit bool  // this op may end its list early (break or continue inside)
}

// list is a compiled parse.ListNode.
type list struct {
	ops []op
	sid int32
}

type compiler struct {
	prog    *Program
	inst    *instance
	set     map[string]*template.Template
	done    map[string]*list
	markers []*parse.TextNode
	kinds   []markerKind
	byParts map[string]int32
	statics []statics
	ranges  map[*parse.RangeNode]*memoRange
	memo    []*memoRange
}

// Compile prepares t for live rendering. The entry is t itself (t.Name());
// its associated templates may be called with {{template}} or {{block}}.
// Compile works on clones: t is not modified and stays usable. It returns
// html/template's escaping errors, and ErrExecuted for a template that has
// already been executed.
func Compile(t *template.Template) (*Program, error) {
	if t == nil {
		return nil, errors.New("engine: nil template")
	}
	src, err := t.Clone()
	if err != nil {
		return nil, fmt.Errorf("engine: template %q: %w", t.Name(), ErrExecuted)
	}
	p := &Program{name: t.Name(), src: src, maxHTML: MaxHTML, reads: newReadRules(src)}
	inst, err := p.newInstance(true)
	if err != nil {
		return nil, err
	}
	p.idle = append(p.idle, inst)
	return p, nil
}

// newInstance escapes and instruments a new clone of the template. The
// first instance also compiles the program; every later one must come out
// the same, as it is made by the same steps from the same source.
func (p *Program) newInstance(memo bool) (*instance, error) {
	clone, err := p.src.Clone()
	if err != nil {
		return nil, fmt.Errorf("engine: template %q: internal error: clone: %w", p.name, err)
	}
	if err := escape(clone); err != nil {
		return nil, err
	}
	inst := &instance{prog: p, tmpl: clone, memo: memo}
	c := &compiler{
		prog:    p,
		inst:    inst,
		set:     make(map[string]*template.Template),
		done:    make(map[string]*list),
		byParts: make(map[string]int32),
	}
	for _, x := range clone.Templates() {
		c.set[x.Name()] = x
	}
	if p.root == nil {
		p.funcs = newRewriteFuncs(clone)
	}
	c.ranges = analyzeRanges(c, p.name)
	root := c.template(p.name)
	c.placeMarkers()
	if memo {
		clone.Funcs(inst.funcMap())
	}
	if p.root == nil {
		p.root, p.statics, p.kinds, p.memo = root, c.statics, c.kinds, c.memo
		p.width = fragWidth(len(c.statics))
		return inst, nil
	}
	if !c.same(p) {
		return nil, fmt.Errorf("engine: template %q: internal error: a new instance compiled differently", p.name)
	}
	return inst, nil
}

// same reports whether c compiled what the program holds.
func (c *compiler) same(p *Program) bool {
	if len(c.statics) != len(p.statics) || len(c.kinds) != len(p.kinds) || len(c.memo) != len(p.memo) {
		return false
	}
	for i := range c.statics {
		if !slices.Equal(c.statics[i].parts, p.statics[i].parts) {
			return false
		}
	}
	return slices.Equal(c.kinds, p.kinds)
}

// fragWidth returns the bytes of a fragment head that holds any statics id
// below n (a uvarint of sid<<2|1).
func fragWidth(n int) int {
	w := 1
	for x := uint64(n) << 2; x >= 0x80; x >>= 7 {
		w++
	}
	return w
}

// errEscaped stops the escape wrapper's execution before it calls anything.
var errEscaped = errors.New("escaped")

// escapeStop is the data of the escape wrapper, whose first action calls
// Stop. A method of the data, unlike a template function, adds no name to
// the FuncMap that the user's templates share.
type escapeStop struct{}

// Stop ends the escape wrapper's execution.
func (escapeStop) Stop() (string, error) { return "", errEscaped }

// escape makes html/template escape clone's entry and every template it
// reaches, without executing any of them. It executes a wrapper that first
// stops with errEscaped and then calls the entry: html/template escapes the
// whole wrapper before executing it, and the execution stops before the
// call, so nothing of the user's runs. The wrapper starts and ends where the
// entry does, so its escaping errors are the entry's. The entry's later first
// Execute finds the escaper's memoized result and rewrites nothing again.
//
// The wrapper is parsed with the default delimiters: a template made with
// New inherits the delimiters of the set, which are the user's.
func escape(clone *template.Template) error {
	name := clone.Name()
	if clone.Tree == nil {
		return fmt.Errorf("template: %q is an incomplete or empty template", name)
	}
	wrapper := wrapperName(clone)
	src := "{{.Stop}}{{template " + strconv.Quote(name) + " .}}"
	w, err := clone.New(wrapper).Delims("{{", "}}").Parse(src)
	if err != nil {
		return fmt.Errorf("engine: template %q: internal error: escape wrapper: %w", name, err)
	}
	return escapeOutcome(name, wrapper, w.Execute(io.Discard, escapeStop{}))
}

// escapeOutcome interprets err, the result of executing the escape wrapper
// of the entry: success is only the stop that the wrapper was made to reach.
// An escaping error is the entry's; anything else, no error included (a
// wrapper that ran to its end did not stop where it was made to), is an
// internal error and never success.
func escapeOutcome(entry, wrapper string, err error) error {
	if errors.Is(err, errEscaped) {
		return nil
	}
	var e *template.Error
	if errors.As(err, &e) {
		if e.Name != wrapper {
			return err
		}
		renamed := *e
		renamed.Name = entry
		return &renamed
	}
	if err == nil {
		return fmt.Errorf("engine: template %q: internal error: the escape wrapper ran to its end", entry)
	}
	return fmt.Errorf("engine: template %q: internal error: escaping: %w", entry, err)
}

// wrapperName returns a name for the escape wrapper that no template of
// clone's set has or calls: the wrapper must neither replace a template of
// the user's nor answer a call that html/template finds undefined.
func wrapperName(clone *template.Template) string {
	var src strings.Builder
	for _, x := range clone.Templates() {
		if x.Tree != nil && x.Tree.Root != nil {
			src.WriteString(x.Tree.Root.String())
		}
	}
	name := escapeWrapper
	for i := 0; clone.Lookup(name) != nil || strings.Contains(src.String(), strconv.Quote(name)); i++ {
		name = escapeWrapper + strconv.Itoa(i)
	}
	return name
}

// template compiles the escaped tree of the named template, once.
func (c *compiler) template(name string) *list {
	if l, ok := c.done[name]; ok {
		return l
	}
	l := &list{}
	c.done[name] = l // before compiling the body, so recursion finds it
	*l = *c.list(c.set[name].Tree.Root)
	return l
}

// list compiles a list node and inserts the markers the walk needs into it.
func (c *compiler) list(ln *parse.ListNode) *list {
	l := &list{}
	nodes := make([]parse.Node, 0, len(ln.Nodes))
	for _, n := range ln.Nodes {
		nodes = append(nodes, c.node(l, n)...)
	}
	ln.Nodes = nodes
	c.finish(l)
	return l
}

// node compiles one node into l and returns what replaces it in its list.
func (c *compiler) node(l *list, n parse.Node) []parse.Node {
	switch n := n.(type) {
	case *parse.TextNode:
		if k := len(l.ops); k > 0 && l.ops[k-1].kind == opText {
			l.ops[k-1].n++
			l.ops[k-1].text += string(n.Text)
		} else {
			l.ops = append(l.ops, op{kind: opText, n: 1, text: string(n.Text)})
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) == 0 {
			l.ops = append(l.ops, op{kind: opValue})
		}
	case *parse.IfNode:
		l.ops = append(l.ops, c.branch(&n.BranchNode))
	case *parse.WithNode:
		l.ops = append(l.ops, c.branch(&n.BranchNode))
	case *parse.RangeNode:
		o, nodes := c.rangeOp(n)
		l.ops = append(l.ops, o)
		return nodes
	case *parse.TemplateNode:
		if _, ok := c.set[n.Name]; ok {
			l.ops = append(l.ops, op{kind: opCall, body: c.template(n.Name)})
			break
		}
		// html/template derived this callee for a non-text context and kept
		// it out of reach; its output becomes one value between two markers.
		begin, m0 := c.marker(markOpaqueBegin)
		end, m1 := c.marker(markOpaqueEnd)
		l.ops = append(l.ops, op{kind: opOpaque, m0: m0, m1: m1})
		return []parse.Node{begin, n, end}
	case *parse.BreakNode:
		l.ops = append(l.ops, op{kind: opBreak, exit: true})
	case *parse.ContinueNode:
		l.ops = append(l.ops, op{kind: opContinue, exit: true})
	}
	return []parse.Node{n}
}

// branch compiles an if or with. Both lists start with a marker that tells
// the walk which one ran; a missing else gets a list holding only its marker.
func (c *compiler) branch(b *parse.BranchNode) op {
	if b.ElseList == nil {
		b.ElseList = &parse.ListNode{NodeType: parse.NodeList, Pos: b.Pos}
	}
	o := op{kind: opBranch}
	o.body, o.m0 = c.markedList(b.List)
	o.alt, o.m1 = c.markedList(b.ElseList)
	o.exit = o.body.mayExit() || o.alt.mayExit()
	return o
}

// rangeOp compiles a range: a marker starts every iteration and the else
// list, and a marker after the range ends it. It returns what replaces the
// range in its list. A range whose rows may be reused is rewritten in memo
// instances (memo.go) and gets one more marker before it.
func (c *compiler) rangeOp(r *parse.RangeNode) (op, []parse.Node) {
	mr := c.ranges[r]
	o := op{kind: opRange, key: -1, memo: -1}
	o.body, o.m0 = c.markedList(r.List)
	o.m1 = -1
	if r.ElseList != nil {
		o.alt, o.m1 = c.markedList(r.ElseList)
		// A break in the else list ends this range, but a continue there
		// continues the enclosing range (text/template recovers only break
		// in a range): it leaves the list that holds this range early.
		o.exit = o.alt.mayExit()
	}
	end, m2 := c.marker(markPlain)
	o.m2 = m2
	o.key = rowKeySlot(o.body)
	if mr == nil {
		return o, []parse.Node{r, end}
	}
	begin, mb := c.marker(markPlain)
	o.memo, o.mb = mr.id, mb
	if !c.inst.memo {
		return o, []parse.Node{r, end}
	}
	return o, []parse.Node{begin, c.prog.funcs.rewrite(r, mr), end}
}

// markedList compiles ln and puts a new marker at its start.
func (c *compiler) markedList(ln *parse.ListNode) (*list, int32) {
	l := c.list(ln)
	m, id := c.marker(markPlain)
	ln.Nodes = append([]parse.Node{m}, ln.Nodes...)
	return l, id
}

func (l *list) mayExit() bool {
	for i := range l.ops {
		if l.ops[i].exit {
			return true
		}
	}
	return false
}

// marker makes a marker text node; its byte is placed by placeMarkers.
func (c *compiler) marker(kind markerKind) (*parse.TextNode, int32) {
	n := &parse.TextNode{NodeType: parse.NodeText}
	c.markers = append(c.markers, n)
	c.kinds = append(c.kinds, kind)
	return n, int32(len(c.markers) - 1)
}

// placeMarkers gives every marker node one byte of a single array, so that a
// Write can be recognised as a marker by its address alone.
func (c *compiler) placeMarkers() {
	inst := c.inst
	inst.markers = make([]byte, len(c.markers)+1) // +1: never empty
	inst.markerBase = uintptr(unsafe.Pointer(&inst.markers[0]))
	for i, n := range c.markers {
		n.Text = inst.markers[i : i+1 : i+1]
	}
}

// finish assigns statics ids to l as a whole and to every early exit point.
func (c *compiler) finish(l *list) {
	l.sid = c.staticsID(l.ops)
	for i := range l.ops {
		l.ops[i].cut = -1
		if l.ops[i].exit {
			l.ops[i].cut = c.staticsID(l.ops[:i+1])
		}
	}
}

// staticsID returns the id of the statics of ops, shared by every list with
// the same literal text around its slots.
func (c *compiler) staticsID(ops []op) int32 {
	parts := []string{""}
	for _, o := range ops {
		switch o.kind {
		case opText:
			parts[len(parts)-1] += o.text
		case opValue, opBranch, opRange, opCall, opOpaque:
			parts = append(parts, "")
		}
	}
	key := ""
	for _, s := range parts {
		key += strconv.Itoa(len(s)) + ":" + s
	}
	if id, ok := c.byParts[key]; ok {
		return id
	}
	id := int32(len(c.statics))
	c.byParts[key] = id
	c.statics = append(c.statics, statics{parts: parts, json: appendStrings(nil, parts)})
	return id
}

// Name returns the name of the template the program renders.
func (p *Program) Name() string { return p.name }

package engine

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
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
	tmpl    *template.Template // the escaped, instrumented clone's entry
	root    *list
	statics []statics // by statics id

	// markers holds one byte per marker text node. A Write whose bytes start
	// inside it is a marker; markerBase is the address of markers[0].
	markers    []byte
	markerBase uintptr

	maxHTML int // MaxHTML; lower in tests

	// Sizes of the last tree, so that the next render allocates once.
	lastSize, lastVals atomic.Int64
}

// statics is the literal text around the dynamic values of a fragment.
type statics struct {
	parts []string
	json  []byte // parts encoded as a JSON array, ready to send
}

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
	set     map[string]*template.Template
	done    map[string]*list
	markers []*parse.TextNode
	byParts map[string]int32
}

// Compile prepares t for live rendering. The entry is t itself (t.Name());
// its associated templates may be called with {{template}} or {{block}}.
// Compile works on a clone: t is not modified and stays usable. It returns
// html/template's escaping errors, and ErrExecuted for a template that has
// already been executed.
func Compile(t *template.Template) (*Program, error) {
	if t == nil {
		return nil, errors.New("engine: nil template")
	}
	clone, err := t.Clone()
	if err != nil {
		return nil, fmt.Errorf("engine: template %q: %w", t.Name(), ErrExecuted)
	}
	if err := escape(clone); err != nil {
		return nil, err
	}
	c := &compiler{
		prog:    &Program{name: t.Name(), tmpl: clone, maxHTML: MaxHTML},
		set:     make(map[string]*template.Template),
		done:    make(map[string]*list),
		byParts: make(map[string]int32),
	}
	for _, x := range clone.Templates() {
		c.set[x.Name()] = x
	}
	c.prog.root = c.template(t.Name())
	c.placeMarkers()
	return c.prog, nil
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
		o, end := c.rangeOp(n)
		l.ops = append(l.ops, o)
		return []parse.Node{n, end}
	case *parse.TemplateNode:
		if _, ok := c.set[n.Name]; ok {
			l.ops = append(l.ops, op{kind: opCall, body: c.template(n.Name)})
			break
		}
		// html/template derived this callee for a non-text context and kept
		// it out of reach; its output becomes one value between two markers.
		begin, m0 := c.marker()
		end, m1 := c.marker()
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
// list, and a marker after the range ends it.
func (c *compiler) rangeOp(r *parse.RangeNode) (op, *parse.TextNode) {
	o := op{kind: opRange, key: -1}
	o.body, o.m0 = c.markedList(r.List)
	o.m1 = -1
	if r.ElseList != nil {
		o.alt, o.m1 = c.markedList(r.ElseList)
		// A break in the else list ends this range, but a continue there
		// continues the enclosing range (text/template recovers only break
		// in a range): it leaves the list that holds this range early.
		o.exit = o.alt.mayExit()
	}
	end, m2 := c.marker()
	o.m2 = m2
	o.key = rowKeySlot(o.body)
	return o, end
}

// markedList compiles ln and puts a new marker at its start.
func (c *compiler) markedList(ln *parse.ListNode) (*list, int32) {
	l := c.list(ln)
	m, id := c.marker()
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
func (c *compiler) marker() (*parse.TextNode, int32) {
	n := &parse.TextNode{NodeType: parse.NodeText}
	c.markers = append(c.markers, n)
	return n, int32(len(c.markers) - 1)
}

// placeMarkers gives every marker node one byte of a single array, so that a
// Write can be recognised as a marker by its address alone.
func (c *compiler) placeMarkers() {
	p := c.prog
	p.markers = make([]byte, len(c.markers)+1) // +1: never empty
	p.markerBase = uintptr(unsafe.Pointer(&p.markers[0]))
	for i, n := range c.markers {
		n.Text = p.markers[i : i+1 : i+1]
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
	id := int32(len(c.prog.statics))
	c.byParts[key] = id
	c.prog.statics = append(c.prog.statics, statics{parts: parts, json: appendStrings(nil, parts)})
	return id
}

// Name returns the name of the template the program renders.
func (p *Program) Name() string { return p.name }

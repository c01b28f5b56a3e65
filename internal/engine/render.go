package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// write is one Write call seen during an execution: html[off:end], or a
// marker (then off == end, the position in html where it was written).
type write struct {
	off, end int32
	marker   int32 // -1 for output
}

// recorder is the io.Writer an execution writes to.
type recorder struct {
	inst   *instance
	html   []byte
	writes []write
}

// ErrTooLarge is returned by Render when the output would pass MaxHTML.
var ErrTooLarge = errors.New("engine: rendered HTML exceeds MaxHTML")

// MaxHTML is the largest output Render accepts: the tree addresses its
// values with 32-bit offsets.
const MaxHTML = math.MaxInt32

func (r *recorder) Write(p []byte) (int, error) {
	if len(p) > r.inst.prog.maxHTML-len(r.html) {
		return 0, ErrTooLarge
	}
	off := int32(len(r.html))
	if len(p) == 1 {
		// Markers are told apart by address: no output can be taken for one.
		d := uintptr(unsafe.Pointer(unsafe.SliceData(p))) - r.inst.markerBase
		if d < uintptr(len(r.inst.markers)) {
			r.writes = append(r.writes, write{off: off, end: off, marker: int32(d)})
			if r.inst.memo {
				r.inst.st.marker(r.inst.prog.kinds[d])
			}
			return 1, nil
		}
	}
	r.html = append(r.html, p...)
	r.writes = append(r.writes, write{off: off, end: int32(len(r.html)), marker: -1})
	return len(p), nil
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

// Render executes the template with data and returns the resulting tree. The
// HTML and the errors are exactly those of html/template's Execute; on error
// no tree is returned.
func (p *Program) Render(data any) (*Tree, error) {
	return p.RenderFrom(nil, data)
}

// RenderFrom is Render for a page that holds prev, its last tree of this
// program: rows of ranges whose inputs did not change since prev are copied
// from it instead of executed (see memo.go). Its result is the same as
// Render's. prev may be nil, and is ignored if it is of another program.
func (p *Program) RenderFrom(prev *Tree, data any) (*Tree, error) {
	if prev != nil && prev.prog != p {
		prev = nil
	}
	inst, err := p.acquire()
	if err != nil {
		return nil, err
	}
	t, err, reran := inst.render(prev, data)
	p.release(inst)
	if err != nil && reran {
		// The rewritten ranges ran: the exact error (or, if user code
		// behaves differently this time, a tree) is the unrewritten
		// template's.
		return p.renderPristine(data)
	}
	return t, err
}

// render executes inst with data. reran reports whether an error may come
// from the rewrite, so that the pristine instance must be asked instead.
func (inst *instance) render(prev *Tree, data any) (t *Tree, err error, reran bool) {
	w := walkers.Get().(*walker)
	defer w.release()
	w.rec = recorder{inst: inst, html: w.rec.html[:0], writes: w.rec.writes[:0]}
	if inst.memo {
		inst.st.start(inst, prev)
		defer inst.st.stop()
	}
	if err := inst.tmpl.Execute(&w.rec, data); err != nil {
		return nil, err, inst.memo && inst.st.calls > 0
	}
	t, err = w.build(inst, prev)
	return t, err, false
}

// renderPristine renders data with the instance that has no rewrite.
func (p *Program) renderPristine(data any) (*Tree, error) {
	pr := &p.pristine
	pr.once.Do(func() { pr.inst, pr.err = p.newInstance(false) })
	if pr.err != nil {
		return nil, pr.err
	}
	t, err, _ := pr.inst.render(nil, data)
	return t, err
}

// acquire returns a memo instance that no rendering uses, making one if
// every instance is busy.
func (p *Program) acquire() (*instance, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	p.mu.Unlock()
	return p.newInstance(true)
}

// release keeps inst for the next rendering, unless maxIdle are idle
// already: a burst of renderings that start before others end (pages
// updated from many goroutines) needs as many instances, and making one
// costs about a compilation, so they are kept; beyond maxIdle, what a
// larger burst made is left to the collector.
func (p *Program) release(inst *instance) {
	p.mu.Lock()
	if len(p.idle) < maxIdle {
		p.idle = append(p.idle, inst)
	}
	p.mu.Unlock()
}

// maxIdle is how many idle instances a program keeps.
const maxIdle = 64

// walker rebuilds the tree from the writes of one execution by stepping
// through the compiled program in the same order as the execution did, and
// writes the tree's encoding (tree.go).
type walker struct {
	rec  recorder
	inst *instance
	prev *Tree
	next int    // index of the next write to consume
	enc  []byte // the encoding being built
	used []uint64

	plan   int       // index of the next plan (memo.go) to consume
	kept   int       // rows copied from prev
	reused int       // HTML bytes of the rows copied from prev
	memo   memo      // the new tree's memo
	rows   []memoRow // memo rows of the occurrences being walked
}

type exit uint8

const (
	exitNone exit = iota
	exitBreak
	exitContinue
)

// errDesync means the writes did not follow the program: a bug, reported
// rather than turned into a wrong tree.
type errDesync struct{ at int }

func (w *walker) build(inst *instance, prev *Tree) (t *Tree, err error) {
	p := inst.prog
	defer func() {
		if r := recover(); r != nil {
			d, ok := r.(errDesync)
			if !ok {
				panic(r)
			}
			t, err = nil, fmt.Errorf("engine: template %q: internal error: output out of step with the program at write %d", p.name, d.at)
		}
	}()
	w.inst, w.prev, w.next, w.plan, w.reused, w.kept = inst, prev, 0, 0, 0, 0
	w.used = make([]uint64, (len(p.statics)+63)/64)
	w.rows = w.rows[:0]
	w.alloc(p, prev)
	w.list(p.root)
	if w.next != len(w.rec.writes) {
		panic(errDesync{w.next})
	}
	size := len(w.rec.html) + w.reused
	if size > p.maxHTML || len(w.enc) > math.MaxInt32 || len(w.memo.keys) > math.MaxInt32 {
		return nil, ErrTooLarge // the tree addresses its bytes with 32-bit offsets
	}
	if w.kept > 0 {
		// A copied row's statics are used by prev; keeping prev's set makes
		// this one a superset of what the tree uses, which is all a full
		// tree and a diff need (docs/protocol.md).
		for i := range w.used {
			w.used[i] |= prev.used[i]
		}
	}
	p.hint.Store(&sizes{enc: len(w.enc), keys: len(w.memo.keys), rows: len(w.memo.rows), occs: len(w.memo.occs)})
	t = &Tree{prog: p, enc: fit(w.enc), size: size, used: w.used, memo: w.memo.fit(), kept: w.kept}
	w.enc, w.memo = nil, memo{}
	return t, nil
}

// sizes are the lengths of a tree's slices.
type sizes struct{ enc, keys, rows, occs int }

// alloc makes the slices of the new tree with room for what prev (or the
// program's last tree) held, so that they need not grow: a rendering that
// reuses rows mostly copies them, and most trees of a page are alike.
func (w *walker) alloc(p *Program, prev *Tree) {
	var n sizes
	if prev != nil {
		m := prev.recorded()
		n = sizes{enc: len(prev.enc), keys: len(m.keys), rows: len(m.rows), occs: len(m.occs)}
	} else if h := p.hint.Load(); h != nil {
		n = *h
	}
	w.enc = make([]byte, 0, n.enc+n.enc/16+64)
	w.memo = memo{
		keys: make([]byte, 0, n.keys+n.keys/16),
		rows: make([]memoRow, 0, n.rows+n.rows/16),
		occs: make([]memoOcc, 0, n.occs),
	}
}

// fit returns s, or a copy of it without the spare room if that is large:
// an idle page keeps its tree.
func fit[S ~[]E, E any](s S) S {
	if cap(s)-len(s) <= len(s)/8+8 {
		return s
	}
	return append(make(S, 0, len(s)), s...)
}

func (w *walker) release() {
	w.rec.inst, w.inst, w.prev = nil, nil, nil
	w.used, w.enc, w.memo = nil, nil, memo{}
	walkers.Put(w)
}

func (w *walker) take() write {
	if w.next >= len(w.rec.writes) {
		panic(errDesync{w.next})
	}
	wr := w.rec.writes[w.next]
	w.next++
	return wr
}

func (w *walker) output() write {
	wr := w.take()
	if wr.marker >= 0 {
		panic(errDesync{w.next - 1})
	}
	return wr
}

func (w *walker) marker() int32 {
	wr := w.take()
	if wr.marker < 0 {
		panic(errDesync{w.next - 1})
	}
	return wr.marker
}

// text appends a text value.
func (w *walker) text(b []byte) {
	w.enc = binary.AppendUvarint(w.enc, uint64(len(b))<<2|kindText)
	w.enc = append(w.enc, b...)
}

// openFrag reserves a fragment's head and returns where it is.
func (w *walker) openFrag() int {
	at := len(w.enc)
	for range w.inst.prog.width {
		w.enc = append(w.enc, 0)
	}
	return at
}

// closeFrag writes the head reserved at at for statics sid.
func (w *walker) closeFrag(at int, sid int32) {
	x := uint64(sid)<<2 | kindFrag
	width := w.inst.prog.width
	for k := range width - 1 {
		w.enc[at+k] = byte(x) | 0x80
		x >>= 7
	}
	w.enc[at+width-1] = byte(x)
	w.used[sid/64] |= 1 << (sid % 64)
}

// openComp appends a comprehension's head and reserves its row count.
func (w *walker) openComp(key int32) int {
	w.enc = binary.AppendUvarint(w.enc, uint64(key+1)<<2|kindComp)
	at := len(w.enc)
	w.enc = append(w.enc, 0, 0, 0, 0)
	return at
}

// openRow reserves a row's length and returns where it is.
func (w *walker) openRow() int {
	at := len(w.enc)
	w.enc = append(w.enc, 0, 0, 0, 0)
	return at
}

// closeCount writes n, a row count or a row's length, at at.
func (w *walker) closeCount(at, n int) {
	binary.LittleEndian.PutUint32(w.enc[at:], uint32(n))
}

// list walks one run of a list and appends its fragment. It reports whether
// it was left early by a break or continue.
func (w *walker) list(l *list) exit {
	at := w.openFrag()
	for i := range l.ops {
		o := &l.ops[i]
		e := exitNone
		switch o.kind {
		case opText:
			for range o.n {
				w.output()
			}
		case opValue:
			wr := w.output()
			w.text(w.rec.html[wr.off:wr.end])
		case opBranch:
			switch w.marker() {
			case o.m0:
				e = w.list(o.body)
			case o.m1:
				e = w.list(o.alt)
			default:
				panic(errDesync{w.next - 1})
			}
		case opRange:
			e = w.rangeVal(o)
		case opCall:
			w.list(o.body)
		case opOpaque:
			w.opaque(o)
		case opBreak:
			e = exitBreak
		case opContinue:
			e = exitContinue
		}
		if e != exitNone {
			w.closeFrag(at, o.cut)
			return e
		}
	}
	w.closeFrag(at, l.sid)
	return exitNone
}

// rangeVal walks a range: its rows as a comprehension, or its else list. It
// reports exitContinue when a continue in the else list left the range, and
// with it the enclosing iteration, before the range's end marker.
func (w *walker) rangeVal(o *op) exit {
	if o.memo >= 0 && w.inst.memo {
		if w.marker() != o.mb {
			panic(errDesync{w.next - 1})
		}
		if pl := w.takePlan(); !pl.fallback {
			w.memoRows(o, pl)
			return exitNone
		}
	}
	m := w.marker()
	if m == o.m1 {
		e := w.list(o.alt)
		if e == exitContinue {
			return e
		}
		if w.marker() != o.m2 {
			panic(errDesync{w.next - 1})
		}
		return exitNone
	}
	count := w.openComp(o.key)
	n := 0
	for m == o.m0 {
		row := w.openRow()
		e := w.list(o.body)
		w.closeCount(row, len(w.enc)-row-4)
		n++
		m = w.marker()
		if e == exitBreak {
			break
		}
	}
	if m != o.m2 {
		panic(errDesync{w.next - 1})
	}
	w.closeCount(count, n)
	return exitNone
}

// opaque takes everything between a begin marker and its matching end
// marker as one text value. The callee may reach this call site again
// through templates that are instrumented, hence the depth.
func (w *walker) opaque(o *op) {
	if w.marker() != o.m0 {
		panic(errDesync{w.next - 1})
	}
	start := w.rec.writes[w.next-1].off
	for depth := 1; ; {
		wr := w.take()
		switch wr.marker {
		case o.m0:
			depth++
		case o.m1:
			depth--
			if depth == 0 {
				w.text(w.rec.html[start:wr.off])
				return
			}
		}
	}
}

package engine

import (
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
	prog   *Program
	html   []byte
	writes []write
}

// ErrTooLarge is returned by Render when the output would pass MaxHTML.
var ErrTooLarge = errors.New("engine: rendered HTML exceeds MaxHTML")

// MaxHTML is the largest output Render accepts: the tree addresses its HTML
// with 32-bit offsets.
const MaxHTML = math.MaxInt32

func (r *recorder) Write(p []byte) (int, error) {
	if len(p) > r.prog.maxHTML-len(r.html) {
		return 0, ErrTooLarge
	}
	off := int32(len(r.html))
	if len(p) == 1 {
		// Markers are told apart by address: no output can be taken for one.
		d := uintptr(unsafe.Pointer(unsafe.SliceData(p))) - r.prog.markerBase
		if d < uintptr(len(r.prog.markers)) {
			r.writes = append(r.writes, write{off: off, end: off, marker: int32(d)})
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
	w := walkers.Get().(*walker)
	defer w.release()
	w.rec = recorder{prog: p, html: make([]byte, 0, p.sizeHint()), writes: w.rec.writes[:0]}
	if err := p.tmpl.Execute(&w.rec, data); err != nil {
		return nil, err
	}
	return w.build()
}

// sizeHint guesses the HTML size from the last render, to allocate once.
func (p *Program) sizeHint() int {
	return int(p.lastSize.Load()) + 64
}

// walker rebuilds the tree from the writes of one execution by stepping
// through the compiled program in the same order as the execution did.
type walker struct {
	rec   recorder
	next  int   // index of the next write to consume
	stack []val // values of the fragments being built
	vals  []val
	used  []uint64
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

func (w *walker) build() (t *Tree, err error) {
	p := w.rec.prog
	defer func() {
		if r := recover(); r != nil {
			d, ok := r.(errDesync)
			if !ok {
				panic(r)
			}
			t, err = nil, fmt.Errorf("engine: template %q: internal error: output out of step with the program at write %d", p.name, d.at)
		}
	}()
	w.next = 0
	w.stack = w.stack[:0]
	w.vals = make([]val, 0, p.valsHint())
	w.used = make([]uint64, (len(p.statics)+63)/64)
	root, _ := w.list(p.root)
	if w.next != len(w.rec.writes) {
		panic(errDesync{w.next})
	}
	p.lastSize.Store(int64(len(w.rec.html)))
	p.lastVals.Store(int64(len(w.vals)))
	return &Tree{prog: p, html: w.rec.html, vals: w.vals, root: root, used: w.used}, nil
}

func (p *Program) valsHint() int { return int(p.lastVals.Load()) + 8 }

func (w *walker) release() {
	w.rec.html, w.rec.prog = nil, nil
	w.vals, w.used = nil, nil
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

// list walks one run of a list and returns its fragment, and whether it was
// left early by a break or continue.
func (w *walker) list(l *list) (val, exit) {
	base := len(w.stack)
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
			w.stack = append(w.stack, val{kind: kindText, a: wr.off, b: wr.end})
		case opBranch:
			var v val
			switch w.marker() {
			case o.m0:
				v, e = w.list(o.body)
			case o.m1:
				v, e = w.list(o.alt)
			default:
				panic(errDesync{w.next - 1})
			}
			w.stack = append(w.stack, v)
		case opRange:
			var v val
			v, e = w.rangeVal(o)
			w.stack = append(w.stack, v)
		case opCall:
			v, _ := w.list(o.body)
			w.stack = append(w.stack, v)
		case opOpaque:
			w.stack = append(w.stack, w.opaque(o))
		case opBreak:
			e = exitBreak
		case opContinue:
			e = exitContinue
		}
		if e != exitNone {
			return w.pop(kindFrag, o.cut, base), e
		}
	}
	return w.pop(kindFrag, l.sid, base), exitNone
}

// rangeVal walks a range: its rows as a comprehension, or its else list. It
// reports exitContinue when a continue in the else list left the range, and
// with it the enclosing iteration, before the range's end marker.
func (w *walker) rangeVal(o *op) (val, exit) {
	m := w.marker()
	if m == o.m1 {
		v, e := w.list(o.alt)
		if e == exitContinue {
			return v, e
		}
		if w.marker() != o.m2 {
			panic(errDesync{w.next - 1})
		}
		return v, exitNone
	}
	base := len(w.stack)
	for m == o.m0 {
		row, e := w.list(o.body)
		w.stack = append(w.stack, row)
		m = w.marker()
		if e == exitBreak {
			break
		}
	}
	if m != o.m2 {
		panic(errDesync{w.next - 1})
	}
	return w.pop(kindComp, o.key, base), exitNone
}

// opaque takes everything between a begin marker and its matching end
// marker as one text value. The callee may reach this call site again
// through templates that are instrumented, hence the depth.
func (w *walker) opaque(o *op) val {
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
				return val{kind: kindText, a: start, b: wr.off}
			}
		}
	}
}

// pop moves the values pushed since base into vals as one fragment or
// comprehension.
func (w *walker) pop(kind valKind, sid int32, base int) val {
	start := int32(len(w.vals))
	w.vals = append(w.vals, w.stack[base:]...)
	w.stack = w.stack[:base]
	if kind == kindFrag {
		w.used[sid/64] |= 1 << (sid % 64)
	}
	return val{kind: kind, sid: sid, a: start, b: int32(len(w.vals))}
}

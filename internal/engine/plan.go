package engine

import (
	"bytes"
	"hash/maphash"
	"iter"
	"math"
	"reflect"
	"unsafe"
)

// A rendering's decisions about rows (see memo.go): the state rows keeps,
// the plans it makes for the walker, and the memo a tree keeps for the next
// rendering.

// span is a range of bytes of a key arena; n < 0 is no span.
type span struct{ off, n int32 }

var noSpan = span{n: -1}

func (s span) of(b []byte) []byte { return b[s.off : s.off+s.n] }

// memo is what a tree keeps so that the next rendering can copy its rows.
type memo struct {
	keys []byte // inputs of the rows and invariants of the occurrences
	rows []memoRow
	occs []memoOcc
}

// memoRow is a row whose inputs were recorded.
type memoRow struct {
	key  span
	row  int32 // start of the row in the encoding (its 4-byte length)
	html int32 // bytes of HTML it renders
}

// memoOcc is one execution of a reusable range: its rows are rows[start:end].
type memoOcc struct {
	id         int32
	inv        span
	start, end int32
}

func (m *memo) addKey(k []byte) span {
	s := span{off: int32(len(m.keys)), n: int32(len(k))}
	m.keys = append(m.keys, k...)
	return s
}

// fit returns m in slices without much spare room, or nil if it is empty.
func (m memo) fit() *memo {
	if len(m.occs) == 0 {
		return nil
	}
	return &memo{keys: fit(m.keys), rows: fit(m.rows), occs: fit(m.occs)}
}

// plan is what one call of rows decided: every row copied (src >= 0, from
// prev's memo) or executed, in the order of the output.
type plan struct {
	id       int32
	fallback bool // the original range ran: no rows were decided
	occ      int32
	inv      span
	rows     []planRow
	list     []runStart // the runs to execute: the outer range's collection,
	items    []any      // or their rows, for a direct range
}

type planRow struct {
	src int32 // prev memo row copied, or -1
	key span  // inputs: prev's for a copied row, in renderState.keys for an executed one
}

// renderState is the rendering a memo instance is doing.
type renderState struct {
	prev   *Tree
	calls  int           // calls of rows
	opaque int           // depth of calls in non-text contexts being written
	cur    reflect.Value // what run returns for the original range
	runs   []runSpan     // what run returns for the outer range's items
	plans  []*plan
	spare  []*plan
	occ    []int32 // per memo id: occurrences so far
	keys   []byte
	read   reader
	seeds  [2]maphash.Seed
	index  []prevIndex // per memo id
	built  bool        // index holds prev's occurrences
}

// prevIndex finds the rows prev recorded for one memo id.
type prevIndex struct {
	occs  []int32                     // prev.memo.occs of the id, in order
	byKey map[string]map[string]int32 // invariants, then row inputs: prev memo row
}

func (st *renderState) start(inst *instance, prev *Tree) {
	if st.occ == nil {
		p := inst.prog
		st.occ = make([]int32, len(p.memo))
		st.index = make([]prevIndex, len(p.memo))
		st.read = newReader(p)
		st.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	}
	st.prev, st.calls, st.opaque, st.built = prev, 0, 0, false
	st.keys = st.keys[:0]
	clear(st.occ)
}

func (st *renderState) stop() {
	for _, pl := range st.plans {
		pl.rows = pl.rows[:0]
		clear(pl.items)
		st.spare = append(st.spare, pl)
	}
	st.plans = st.plans[:0]
	st.prev, st.cur = nil, reflect.Value{}
	clear(st.runs)
	st.runs = st.runs[:0]
	for i := range st.index {
		st.index[i] = prevIndex{occs: st.index[i].occs[:0]}
	}
	clear(st.read.env)
	clear(st.read.inv)
	st.read.inv = nil
}

// marker follows the recorder's markers: rows reuses nothing while the
// output of a call in a non-text context is being written, whose bytes the
// walker keeps as one value.
func (st *renderState) marker(kind markerKind) {
	switch kind {
	case markOpaqueBegin:
		st.opaque++
	case markOpaqueEnd:
		st.opaque--
	}
}

func (st *renderState) newPlan(id int32) *plan {
	var pl *plan
	if n := len(st.spare); n > 0 {
		pl = st.spare[n-1]
		st.spare = st.spare[:n-1]
	} else {
		pl = new(plan)
	}
	pl.id, pl.fallback, pl.inv, pl.occ = id, false, noSpan, -1
	st.plans = append(st.plans, pl)
	return pl
}

// startOccurrence records the invariants of a new occurrence of mr. It
// reports false if they cannot be recorded.
func (st *renderState) startOccurrence(pl *plan, mr *memoRange, elem reflect.Type, inv []reflect.Value) bool {
	s, ok := st.record(func(dst []byte) ([]byte, bool) { return st.read.invariants(dst, mr, elem, inv) })
	if !ok {
		return false
	}
	pl.inv = s
	pl.occ = st.occ[mr.id]
	st.occ[mr.id]++
	return true
}

// maxExact is the longest record of inputs kept as it is; a longer one is
// kept as a 128-bit keyed hash of it.
const maxExact = 64

const tagHashed byte = 0xff

// record appends what read appends to the key arena and returns its span.
func (st *renderState) record(read func([]byte) ([]byte, bool)) (span, bool) {
	off := len(st.keys)
	b, ok := read(st.keys)
	if !ok || len(b) > math.MaxInt32-maxExact {
		st.keys = b[:off]
		return noSpan, false
	}
	if len(b)-off > maxExact {
		h0, h1 := maphash.Bytes(st.seeds[0], b[off:]), maphash.Bytes(st.seeds[1], b[off:])
		b = append(b[:off], tagHashed)
		b = append(b, byte(h0), byte(h0>>8), byte(h0>>16), byte(h0>>24), byte(h0>>32), byte(h0>>40), byte(h0>>48), byte(h0>>56))
		b = append(b, byte(h1), byte(h1>>8), byte(h1>>16), byte(h1>>24), byte(h1>>32), byte(h1>>40), byte(h1>>48), byte(h1>>56))
	}
	st.keys = b
	return span{off: int32(off), n: int32(len(b) - off)}, true
}

// runSpan is a run of rows to execute: v[start:end].
type runSpan struct {
	v          reflect.Value
	start, end int
}

// decide returns the outer range's collection for an occurrence of mr over
// v: the runs of rows to execute. A row's inputs are read just before it is
// decided, after every row before it that may call user code executed, so
// that such a row (one whose inputs could not be read) cannot have changed
// what a later row was decided on. While there is none, every row is
// decided at once, and the collection is a slice; from the first one on, an
// iterator decides the rows after each run as it comes.
func (st *renderState) decide(pl *plan, mr *memoRange, v reflect.Value, inv []reflect.Value) reflect.Value {
	d := decider{st: st, pl: pl, mr: mr, v: v, inv: inv, c: cursor{from: st.prevOcc(pl)}, recording: true}
	list := pl.list[:0]
	for {
		run, unsure, ok := d.next()
		if ok {
			list = append(list, run)
		}
		pl.list = list
		if !ok {
			return st.items(pl, mr)
		}
		if unsure {
			lazy, decided := d, list
			runs := func(yield func(runStart) bool) {
				for _, r := range decided {
					if !yield(r) {
						return
					}
				}
				for run, _, ok := lazy.next(); ok; run, _, ok = lazy.next() {
					if !yield(run) {
						return
					}
				}
			}
			if !mr.direct() {
				return reflect.ValueOf(iter.Seq[runStart](runs))
			}
			return reflect.ValueOf(iter.Seq[any](func(yield func(any) bool) {
				runs(func(r runStart) bool { return yield(st.slice(r)) })
			}))
		}
	}
}

// items returns the outer range's collection for the runs of list: the
// runs' names for run, or the runs themselves.
func (st *renderState) items(pl *plan, mr *memoRange) reflect.Value {
	if !mr.direct() {
		return reflect.ValueOf(&pl.list).Elem()
	}
	pl.items = pl.items[:0]
	for _, r := range pl.list {
		pl.items = append(pl.items, st.slice(r))
	}
	return reflect.ValueOf(&pl.items).Elem()
}

// slice returns the rows of run r.
func (st *renderState) slice(r runStart) any {
	s := st.runs[r]
	return s.v.Slice(s.start, s.end).Interface()
}

// decider decides the rows of one occurrence, in order.
type decider struct {
	st        *renderState
	pl        *plan
	mr        *memoRange
	v         reflect.Value
	inv       []reflect.Value
	c         cursor
	j         int  // the next row to decide
	recording bool // rows' inputs are read; false once that is pointless
	impure    int  // rows in a row whose inputs could not be read
	recheck   bool // the last run ended with such a row
}

// next decides rows until a run of rows to execute is complete, and
// returns it; ok is false when every row is decided. A run ends before a
// row to copy, at the end, and after a row that may call user code: unsure
// reports that the rows after it must be decided after it executes.
func (d *decider) next() (run runStart, unsure, ok bool) {
	st, pl, n := d.st, d.pl, d.v.Len()
	if d.recheck {
		// The invariants read as they did, or no row can be copied.
		d.recheck = false
		d.recording = d.recording && st.sameInvariants(pl, d.mr, d.v.Type().Elem(), d.inv)
	}
	start := -1
	for ; d.j < n; d.j++ {
		j := d.j
		key, read := noSpan, false
		if d.recording {
			key, read = st.record(func(dst []byte) ([]byte, bool) { return st.read.row(dst, d.mr, d.v.Index(j), j) })
		}
		if read {
			d.impure = 0
			if src := st.find(pl, &d.c, key, j); src >= 0 {
				pl.rows = append(pl.rows, planRow{src: src, key: st.prev.recorded().rows[src].key})
				if start >= 0 {
					d.j++
					return st.addRun(d.v, start, j), false, true
				}
				continue
			}
		}
		pl.rows = append(pl.rows, planRow{src: -1, key: key})
		if start < 0 {
			start = j
		}
		if !read && d.recording {
			d.j++
			d.impure++
			d.recording = d.impure < 2 // rows like this one: read no more
			d.recheck = d.recording
			return st.addRun(d.v, start, j+1), true, true
		}
	}
	if start < 0 {
		return 0, false, false
	}
	return st.addRun(d.v, start, n), false, true
}

// addRun records the run v[start:end] of rows to execute.
func (st *renderState) addRun(v reflect.Value, start, end int) runStart {
	st.runs = append(st.runs, runSpan{v: v, start: start, end: end})
	return runStart(len(st.runs) - 1)
}

// sameInvariants reports whether the invariants still read as they did
// when the occurrence started.
func (st *renderState) sameInvariants(pl *plan, mr *memoRange, elem reflect.Type, inv []reflect.Value) bool {
	s, ok := st.record(func(dst []byte) ([]byte, bool) { return st.read.invariants(dst, mr, elem, inv) })
	if !ok {
		return false
	}
	same := bytes.Equal(s.of(st.keys), pl.inv.of(st.keys))
	st.keys = st.keys[:s.off]
	return same
}

// prevOcc returns the occurrence of prev with the same id and number as
// pl, if it had the same invariants.
func (st *renderState) prevOcc(pl *plan) *memoOcc {
	if st.prev == nil {
		return nil
	}
	ix := st.indexOf(pl.id)
	if int(pl.occ) >= len(ix.occs) {
		return nil
	}
	o := &st.prev.recorded().occs[ix.occs[pl.occ]]
	if !bytes.Equal(o.inv.of(st.prev.recorded().keys), pl.inv.of(st.keys)) {
		return nil
	}
	return o
}

func (st *renderState) indexOf(id int32) *prevIndex {
	if !st.built {
		st.built = true
		for i, o := range st.prev.recorded().occs {
			st.index[o.id].occs = append(st.index[o.id].occs, int32(i))
		}
	}
	return &st.index[id]
}

// cursor is where iterate looks for the next row in prev's occurrence at
// the same place: the row there, shifted by the rows inserted or removed
// before it. After a few rows found nowhere near, it looks rows up by their
// inputs (a reorder).
type cursor struct {
	from   *memoOcc
	shift  int
	misses int
	lost   int // rows the lookup did not find since it last found one
}

// window is how far from the expected place a row is looked for.
const window = 2

// missesBeforeLookup is how many rows cursor fails to find near their place
// before it builds the lookup of every row of prev by inputs;
// missesAfterLookup is how many in a row the lookup fails to find before
// cursor stops asking it (rows changed in place, not moved).
const (
	missesBeforeLookup = 8
	missesAfterLookup  = 32
)

// find returns the prev memo row with the same invariants and inputs as row
// j, or -1.
func (st *renderState) find(pl *plan, c *cursor, key span, j int) int32 {
	if st.prev == nil {
		return -1
	}
	m := st.prev.recorded()
	k := key.of(st.keys)
	if c.from != nil {
		for _, d := range [...]int{0, 1, -1, 2, -2} {
			i := int(c.from.start) + j + c.shift + d
			if i >= int(c.from.start) && i < int(c.from.end) && bytes.Equal(m.rows[i].key.of(m.keys), k) {
				c.shift += d
				return int32(i)
			}
		}
	}
	if c.misses++; c.misses <= missesBeforeLookup || c.lost >= missesAfterLookup {
		return -1
	}
	ix := st.indexOf(pl.id)
	if ix.byKey == nil {
		ix.byKey = st.lookup(ix)
	}
	if r, ok := ix.byKey[string(pl.inv.of(st.keys))][string(k)]; ok {
		c.lost = 0
		return r
	}
	c.lost++
	return -1
}

// lookup maps the invariants and inputs of every row prev recorded for one
// memo id to the row.
func (st *renderState) lookup(ix *prevIndex) map[string]map[string]int32 {
	m := st.prev.recorded()
	byKey := map[string]map[string]int32{}
	for _, oi := range ix.occs {
		o := &m.occs[oi]
		inv := view(o.inv.of(m.keys))
		rows := byKey[inv]
		if rows == nil {
			rows = make(map[string]int32, o.end-o.start)
			byKey[inv] = rows
		}
		for r := o.start; r < o.end; r++ {
			rows[view(m.rows[r].key.of(m.keys))] = r
		}
	}
	return byKey
}

// view is a string of b's bytes without a copy; b must not change while the
// string is used (prev's keys never do).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// takePlan returns the plan of the next rows call.
func (w *walker) takePlan() *plan {
	st := &w.inst.st
	if w.plan >= len(st.plans) {
		panic(errDesync{w.next})
	}
	pl := st.plans[w.plan]
	w.plan++
	return pl
}

// memoRows appends the comprehension of a range whose rows pl decided:
// copied rows from prev, executed rows from the writes. It records the new
// tree's memo of the occurrence.
func (w *walker) memoRows(o *op, pl *plan) {
	st := &w.inst.st
	count := w.openComp(o.key)
	mark := len(w.rows)
	for _, r := range pl.rows {
		start := len(w.enc)
		key := noSpan
		var html int
		if r.src >= 0 {
			pr := w.prev.recorded().rows[r.src]
			w.enc = append(w.enc, w.prev.row(pr.row)...)
			key, html = w.memo.addKey(r.key.of(w.prev.recorded().keys)), int(pr.html)
			w.reused += html
			w.kept++
		} else {
			if w.marker() != o.m0 {
				panic(errDesync{w.next - 1})
			}
			from := w.rec.writes[w.next-1].off
			row := w.openRow()
			if w.list(o.body) == exitBreak {
				panic(errDesync{w.next}) // a range with a break is not rewritten
			}
			w.closeCount(row, len(w.enc)-row-4)
			if w.next >= len(w.rec.writes) {
				panic(errDesync{w.next})
			}
			html = int(w.rec.writes[w.next].off - from)
			if r.key.n >= 0 {
				key = w.memo.addKey(r.key.of(st.keys))
			}
		}
		if key.n >= 0 {
			w.rows = append(w.rows, memoRow{key: key, row: int32(start), html: int32(html)})
		}
	}
	if w.marker() != o.m2 {
		panic(errDesync{w.next - 1})
	}
	w.closeCount(count, len(pl.rows))
	occ := memoOcc{id: pl.id, inv: w.memo.addKey(pl.inv.of(st.keys)), start: int32(len(w.memo.rows))}
	w.memo.rows = append(w.memo.rows, w.rows[mark:]...)
	occ.end = int32(len(w.memo.rows))
	w.memo.occs = append(w.memo.occs, occ)
	w.rows = w.rows[:mark]
}

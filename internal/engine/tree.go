package engine

// Tree is one rendering of a program: the HTML that Execute would write, and
// the same output split into statics and dynamic values. It is immutable.
type Tree struct {
	prog *Program
	html []byte
	vals []val    // slot values; every fragment's slots and comprehension's rows are contiguous
	root val      // always a fragment
	used []uint64 // bit set of the statics ids this tree references
}

type valKind uint8

const (
	kindText valKind = iota // html[a:b]
	kindFrag                // statics sid, slots vals[a:b]
	kindComp                // rows vals[a:b] (fragments); sid holds the key slot or -1
)

// val is one dynamic value. Which fields mean what depends on kind.
type val struct {
	kind valKind
	sid  int32
	a, b int32
}

// HTML returns the rendered HTML: byte for byte what html/template's Execute
// writes for the same data. The slice must not be modified.
func (t *Tree) HTML() []byte { return t.html }

// Program returns the program that rendered t.
func (t *Tree) Program() *Program { return t.prog }

func (t *Tree) text(v val) []byte { return t.html[v.a:v.b] }

func (t *Tree) slots(v val) []val { return t.vals[v.a:v.b] }

// rowKey returns the key of a comprehension row, or false if it has none.
func (t *Tree) rowKey(comp, row val) ([]byte, bool) {
	k := comp.sid
	if k < 0 || row.b-row.a <= k {
		return nil, false
	}
	v := t.vals[row.a+k]
	if v.kind != kindText {
		return nil, false
	}
	return t.text(v), true
}

func (t *Tree) uses(sid int32) bool {
	return t.used[sid/64]&(1<<(sid%64)) != 0
}

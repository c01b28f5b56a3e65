package engine

import "encoding/binary"

// Tree is one rendering of a program: the output that Execute would write,
// split into statics (kept once, by the program) and dynamic values. It is
// immutable.
//
// The values are kept in one byte encoding, in the order of the output:
//
//	text:           uvarint(len<<2 | 0), then the bytes
//	fragment:       uvarint(sid<<2 | 1), written in exactly prog.fragWidth
//	                bytes, then its slots (as many as its statics have gaps)
//	comprehension:  uvarint((key+1)<<2 | 2), a 4-byte row count, then each
//	                row as a 4-byte length and a fragment
//
// (the 4-byte fields are little-endian). A row is one span of bytes, so a
// later rendering can copy a row that did not change, and a diff can skip
// one that it holds unchanged.
type Tree struct {
	prog *Program
	enc  []byte   // the encoding of the root fragment
	size int      // bytes of HTML
	used []uint64 // bit set of statics ids the tree may reference (see walker.finish)
	memo *memo    // what the next rendering needs to reuse rows (memo.go); nil for none
	kept int      // rows copied from the tree rendered before
}

var noMemo memo

// recorded returns t's memo, empty if it has none.
func (t *Tree) recorded() *memo {
	if t.memo == nil {
		return &noMemo
	}
	return t.memo
}

const (
	kindText = 0
	kindFrag = 1
	kindComp = 2
)

// HTML returns the rendered HTML: byte for byte what html/template's Execute
// writes for the same data. The tree keeps only the dynamic values, so every
// call builds a new slice.
func (t *Tree) HTML() []byte {
	dst := make([]byte, 0, t.size)
	dst, _ = t.appendHTML(dst, 0)
	return dst
}

// Size returns the length of the HTML in bytes, without building it.
func (t *Tree) Size() int { return t.size }

// Program returns the program that rendered t.
func (t *Tree) Program() *Program { return t.prog }

func (t *Tree) uses(sid int32) bool {
	return t.used[sid/64]&(1<<(sid%64)) != 0
}

// head reads the head of the value at i: its kind, its argument (length,
// statics id, or key+1) and where its body starts.
func (t *Tree) head(i int) (kind int, arg int, body int) {
	var x uint64
	var s uint
	for {
		b := t.enc[i]
		i++
		x |= uint64(b&0x7f) << s
		if b < 0x80 {
			break
		}
		s += 7
	}
	return int(x & 3), int(x >> 2), i
}

func u32(b []byte, i int) int { return int(binary.LittleEndian.Uint32(b[i:])) }

// slots returns the number of slots of a fragment with statics sid.
func (t *Tree) slots(sid int) int { return len(t.prog.statics[sid].parts) - 1 }

// skip returns the position after the value at i.
func (t *Tree) skip(i int) int {
	kind, arg, j := t.head(i)
	switch kind {
	case kindText:
		return j + arg
	case kindFrag:
		for range t.slots(arg) {
			j = t.skip(j)
		}
		return j
	default:
		n := u32(t.enc, j)
		j += 4
		for range n {
			j += 4 + u32(t.enc, j)
		}
		return j
	}
}

// rows returns the start of every row of the comprehension whose row count
// is at i (a row is its 4-byte length and its fragment), appended to dst.
func (t *Tree) rows(dst []int32, i int) []int32 {
	n := u32(t.enc, i)
	i += 4
	for range n {
		dst = append(dst, int32(i))
		i += 4 + u32(t.enc, i)
	}
	return dst
}

// row returns the encoding of the row that starts at i, length included.
func (t *Tree) row(i int32) []byte {
	return t.enc[i : int(i)+4+u32(t.enc, int(i))]
}

// rowKey returns the key of the row at i of a comprehension keyed by slot
// key, or false if the row has no text there.
func (t *Tree) rowKey(key int, i int32) ([]byte, bool) {
	if key < 0 {
		return nil, false
	}
	_, sid, j := t.head(int(i) + 4)
	if t.slots(sid) <= key {
		return nil, false
	}
	for range key {
		j = t.skip(j)
	}
	kind, n, j := t.head(j)
	if kind != kindText {
		return nil, false
	}
	return t.enc[j : j+n], true
}

// appendHTML appends the HTML of the value at i and returns the position
// after it.
func (t *Tree) appendHTML(dst []byte, i int) ([]byte, int) {
	kind, arg, j := t.head(i)
	switch kind {
	case kindText:
		return append(dst, t.enc[j:j+arg]...), j + arg
	case kindFrag:
		parts := t.prog.statics[arg].parts
		dst = append(dst, parts[0]...)
		for _, p := range parts[1:] {
			dst, j = t.appendHTML(dst, j)
			dst = append(dst, p...)
		}
		return dst, j
	default:
		n := u32(t.enc, j)
		j += 4
		for range n {
			dst, _ = t.appendHTML(dst, j+4)
			j += 4 + u32(t.enc, j)
		}
		return dst, j
	}
}

package engine

import (
	"bytes"
	"strconv"
	"unsafe"
)

// rowOps is the reshaping of a comprehension's rows, in the order a client
// applies it (docs/protocol.md, "Comprehension patch"): remove the rows at
// the old indices in del, take out the rows that move, then put every moved
// or new row at its new index, in ascending order of new index.
type rowOps struct {
	del   []int32
	place []placement // ascending by to
}

// placement puts a row at index to of the new rows: the kept row from (an
// index among the rows left after deletion), or when from < 0, new row to.
type placement struct {
	to, from int32
}

// comp is a comprehension of a tree, its rows found.
type comp struct {
	t    *Tree
	key  int     // slot of a row that holds its key, or -1
	rows []int32 // start of each row
}

// rowKey returns the key of row i, or false if it has none.
func (c *comp) rowKey(i int) ([]byte, bool) { return c.t.rowKey(c.key, c.rows[i]) }

// diffComp appends the patch from the comprehension whose row count is at
// oi of ot to the one at ni of nt, or nothing if their rows are equal.
func diffComp(dst []byte, ot *Tree, oi, okey int, nt *Tree, ni, nkey int) ([]byte, bool) {
	o := comp{t: ot, key: okey, rows: ot.rows(nil, oi)}
	n := comp{t: nt, key: nkey, rows: nt.rows(nil, ni)}
	ops, src, ok := keyedOps(&o, &n)
	if !ok {
		ops, src = positionalOps(len(o.rows), len(n.rows))
	}
	start := len(dst)
	dst = append(dst, '{')
	sep := false
	if len(ops.del) > 0 {
		dst = append(dst, `"d":`...)
		dst = appendInts(dst, ops.del)
		sep = true
	}
	if len(ops.place) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"p":[`...)
		for i, p := range ops.place {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			dst = strconv.AppendInt(dst, int64(p.to), 10)
			dst = append(dst, ',')
			if p.from >= 0 {
				dst = strconv.AppendInt(dst, int64(p.from), 10)
			} else {
				dst, _ = nt.appendVal(dst, int(n.rows[p.to])+4)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
		sep = true
	}
	dst, sep = appendRowPatches(dst, sep, &o, &n, src)
	if !sep {
		return dst[:start], false
	}
	return append(dst, '}'), true
}

// appendRowPatches appends "u":{newIndex: patch} for kept rows that changed;
// src[j] is the old index of new row j, or -1 for an inserted row. A row
// whose bytes did not change (most often one that a rendering reused) is
// skipped without a walk.
func appendRowPatches(dst []byte, sep bool, o, n *comp, src []int32) ([]byte, bool) {
	start := len(dst)
	if sep {
		dst = append(dst, ',')
	}
	dst = append(dst, `"u":{`...)
	sent := false
	for j, i := range src {
		if i < 0 || bytes.Equal(o.t.row(o.rows[i]), n.t.row(n.rows[j])) {
			continue
		}
		var c bool
		dst, c, _, _ = appendEntry(dst, sent, j, o.t, int(o.rows[i])+4, n.t, int(n.rows[j])+4)
		sent = sent || c
	}
	if !sent {
		return dst[:start], sep
	}
	return append(dst, '}'), true
}

// positionalOps pairs rows by index: rows past the shorter list are removed
// from the end or appended.
func positionalOps(m, n int) (rowOps, []int32) {
	var ops rowOps
	src := make([]int32, n)
	for j := range src {
		src[j] = -1
		if j < m {
			src[j] = int32(j)
		} else {
			ops.place = append(ops.place, placement{to: int32(j), from: -1})
		}
	}
	for i := n; i < m; i++ {
		ops.del = append(ops.del, int32(i))
	}
	return ops, src
}

// keyedOps pairs rows by key and moves as few rows as possible: the kept rows
// that form a longest increasing run of old positions stay, the others move.
// It reports false when a row has no key or a key repeats in old or new.
func keyedOps(o, n *comp) (rowOps, []int32, bool) {
	if o.key < 0 || n.key < 0 {
		return rowOps{}, nil, false
	}
	if src, ok := sameKeys(o, n); ok {
		return rowOps{}, src, true
	}
	oldIndex := make(map[string]int32, len(o.rows))
	for i := range o.rows {
		k, ok := o.rowKey(i)
		if !ok {
			return rowOps{}, nil, false
		}
		if _, dup := oldIndex[keyString(k)]; dup {
			return rowOps{}, nil, false
		}
		oldIndex[keyString(k)] = int32(i)
	}
	src := make([]int32, len(n.rows))
	seen := make(map[string]bool, len(n.rows))
	kept := make([]bool, len(o.rows))
	for j := range n.rows {
		k, ok := n.rowKey(j)
		if !ok || seen[keyString(k)] {
			return rowOps{}, nil, false
		}
		seen[keyString(k)] = true
		i, found := oldIndex[keyString(k)]
		src[j] = -1
		if found {
			src[j] = i
			kept[i] = true
		}
	}
	return placeRows(src, kept), src, true
}

// keyString views a row key as a string without copying it. Keys are slices
// of a tree's encoding, which is never modified once the tree is built, so
// the string stays valid and unchanged for as long as the maps that hold it.
func keyString(k []byte) string {
	if len(k) == 0 {
		return ""
	}
	return unsafe.String(&k[0], len(k))
}

// sameKeys reports whether old and new rows have the same keys in the same
// order: the common case, handled without maps.
func sameKeys(o, n *comp) ([]int32, bool) {
	if len(o.rows) != len(n.rows) {
		return nil, false
	}
	for i := range n.rows {
		a, ok1 := o.rowKey(i)
		b, ok2 := n.rowKey(i)
		if !ok1 || !ok2 || !bytes.Equal(a, b) {
			return nil, false
		}
	}
	// Keys could still repeat; pairing by index is right for them too.
	src := make([]int32, len(n.rows))
	for j := range src {
		src[j] = int32(j)
	}
	return src, true
}

// placeRows computes deletions and placements from src (old index of each new
// row, -1 for new) and kept (which old rows survive).
func placeRows(src []int32, kept []bool) rowOps {
	var ops rowOps
	left := make([]int32, len(kept)) // old index -> index among rows left
	k := int32(0)
	for i, keep := range kept {
		if !keep {
			ops.del = append(ops.del, int32(i))
			continue
		}
		left[i] = k
		k++
	}
	stay := longestIncreasing(src)
	for j, i := range src {
		switch {
		case i < 0:
			ops.place = append(ops.place, placement{to: int32(j), from: -1})
		case !stay[j]:
			ops.place = append(ops.place, placement{to: int32(j), from: left[i]})
		}
	}
	return ops
}

// longestIncreasing marks the entries of src (ignoring negatives) that form
// one longest strictly increasing subsequence.
func longestIncreasing(src []int32) []bool {
	tails := []int{}              // tails[l]: index in src of the smallest tail of a run of length l+1
	prev := make([]int, len(src)) // predecessor of each entry in its run
	for j, v := range src {
		if v < 0 {
			continue
		}
		lo, hi := 0, len(tails)
		for lo < hi {
			mid := (lo + hi) / 2
			if src[tails[mid]] < v {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		prev[j] = -1
		if lo > 0 {
			prev[j] = tails[lo-1]
		}
		if lo == len(tails) {
			tails = append(tails, j)
		} else {
			tails[lo] = j
		}
	}
	stay := make([]bool, len(src))
	if len(tails) > 0 {
		for j := tails[len(tails)-1]; j >= 0; j = prev[j] {
			stay[j] = true
		}
	}
	return stay
}

func appendInts(dst []byte, xs []int32) []byte {
	dst = append(dst, '[')
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(x), 10)
	}
	return append(dst, ']')
}

package engine

import (
	"bytes"
	"errors"
	"strconv"
)

// ErrOtherProgram is returned by AppendDiff for trees of different programs.
var ErrOtherProgram = errors.New("engine: trees of different programs cannot be diffed")

// AppendDiff appends the encoding of what changed from old to new:
// {"s":{new statics},"f":{root patch}}, with "s" left out when no statics are
// new. A client that holds old and applies it holds new. When nothing
// changed it appends nothing and reports false.
func AppendDiff(dst []byte, old, new *Tree) ([]byte, bool, error) {
	if old.prog != new.prog {
		return dst, false, ErrOtherProgram
	}
	start := len(dst)
	dst = append(dst, '{')
	mark := len(dst)
	dst = append(dst, `"s":`...)
	n := len(dst)
	if dst = new.appendStatics(dst, old); len(dst) == n+len("{}") {
		dst = dst[:mark] // no new statics: leave "s" out
	} else {
		dst = append(dst, ',')
	}
	dst = append(dst, `"f":`...)
	dst, changed, _, _ := diffVal(dst, old, 0, new, 0)
	if !changed {
		return dst[:start], false, nil
	}
	return append(dst, '}'), true, nil
}

// diffVal appends the change from the value at oi of ot to the value at ni
// of nt: a patch when the new value has the shape of the old, else the new
// value in full. It appends nothing and reports false when they are equal.
// It returns the positions after both values.
func diffVal(dst []byte, ot *Tree, oi int, nt *Tree, ni int) ([]byte, bool, int, int) {
	ok, oa, oj := ot.head(oi)
	nk, na, nj := nt.head(ni)
	switch {
	case ok == kindText && nk == kindText:
		if bytes.Equal(ot.enc[oj:oj+oa], nt.enc[nj:nj+na]) {
			return dst, false, oj + oa, nj + na
		}
	case ok == kindFrag && nk == kindFrag && oa == na:
		return diffFrag(dst, ot, oj, nt, nj, na)
	case ok == kindComp && nk == kindComp:
		dst, changed := diffComp(dst, ot, oj, oa-1, nt, nj, na-1)
		return dst, changed, ot.skip(oi), nt.skip(ni)
	}
	dst, nEnd := nt.appendVal(dst, ni)
	return dst, true, ot.skip(oi), nEnd
}

// diffFrag appends {"i": change, ...} for the slots that changed of two
// fragments with statics sid, whose slots start at oi and ni.
func diffFrag(dst []byte, ot *Tree, oi int, nt *Tree, ni int, sid int) ([]byte, bool, int, int) {
	start := len(dst)
	dst = append(dst, '{')
	changed := false
	for k := range nt.slots(sid) {
		var c bool
		dst, c, oi, ni = appendEntry(dst, changed, k, ot, oi, nt, ni)
		changed = changed || c
	}
	if !changed {
		return dst[:start], false, oi, ni
	}
	return append(dst, '}'), true, oi, ni
}

// appendEntry appends "key":change for the values at oi and ni, after a
// comma unless first, or nothing when they are equal. It returns the
// positions after both values.
func appendEntry(dst []byte, comma bool, key int, ot *Tree, oi int, nt *Tree, ni int) ([]byte, bool, int, int) {
	mark := len(dst)
	if comma {
		dst = append(dst, ',')
	}
	dst = appendKey(dst, key)
	dst, changed, oi, ni := diffVal(dst, ot, oi, nt, ni)
	if !changed {
		return dst[:mark], false, oi, ni
	}
	return dst, true, oi, ni
}

func appendKey(dst []byte, i int) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, int64(i), 10)
	return append(dst, '"', ':')
}

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
	dst, changed := diffVal(dst, old, old.root, new, new.root)
	if !changed {
		return dst[:start], false, nil
	}
	return append(dst, '}'), true, nil
}

// diffVal appends the change from o to n: a patch when n has the shape of o,
// else n in full. It appends nothing and reports false when they are equal.
func diffVal(dst []byte, ot *Tree, o val, nt *Tree, n val) ([]byte, bool) {
	switch {
	case o.kind == kindText && n.kind == kindText:
		if bytes.Equal(ot.text(o), nt.text(n)) {
			return dst, false
		}
	case o.kind == kindFrag && n.kind == kindFrag && o.sid == n.sid:
		return diffFrag(dst, ot, o, nt, n)
	case o.kind == kindComp && n.kind == kindComp:
		return diffComp(dst, ot, o, nt, n)
	}
	return nt.appendVal(dst, n), true
}

// diffFrag appends {"i": change, ...} for the slots that changed.
func diffFrag(dst []byte, ot *Tree, o val, nt *Tree, n val) ([]byte, bool) {
	start := len(dst)
	dst = append(dst, '{')
	changed := false
	os, ns := ot.slots(o), nt.slots(n)
	for i := range ns {
		var c bool
		dst, c = appendEntry(dst, changed, i, ot, os[i], nt, ns[i])
		changed = changed || c
	}
	if !changed {
		return dst[:start], false
	}
	return append(dst, '}'), true
}

// appendEntry appends "key":change for o and n, after a comma unless first,
// or nothing when they are equal.
func appendEntry(dst []byte, comma bool, key int, ot *Tree, o val, nt *Tree, n val) ([]byte, bool) {
	mark := len(dst)
	if comma {
		dst = append(dst, ',')
	}
	dst = appendKey(dst, key)
	dst, changed := diffVal(dst, ot, o, nt, n)
	if !changed {
		return dst[:mark], false
	}
	return dst, true
}

func appendKey(dst []byte, i int) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, int64(i), 10)
	return append(dst, '"', ':')
}

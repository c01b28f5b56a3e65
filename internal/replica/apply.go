package replica

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
)

// patch returns cur changed by change, a decoded JSON value: a string, an
// array (a fragment) or an object with "r" (a comprehension) replace cur; any
// other object patches it.
func (t *Tree) patch(cur any, change any) (any, error) {
	obj, ok := change.(map[string]any)
	if !ok {
		return decode(change)
	}
	if _, full := obj["r"]; full {
		return decode(change)
	}
	switch cur := cur.(type) {
	case *frag:
		return cur, t.patchFrag(cur, obj)
	case *comp:
		return cur, t.patchComp(cur, obj)
	}
	return nil, fmt.Errorf("replica: patch for a %T", cur)
}

// patchFrag applies {"i": change} to the slots of f.
func (t *Tree) patchFrag(f *frag, obj map[string]any) error {
	for k, change := range obj {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(f.slots) {
			return fmt.Errorf("replica: slot %q of a fragment with %d slots", k, len(f.slots))
		}
		if f.slots[i], err = t.patch(f.slots[i], change); err != nil {
			return err
		}
	}
	return nil
}

// patchComp applies a comprehension patch: "d" removes rows by old index,
// "p" places moved rows (by index among the rows left) and new rows at their
// new indices in ascending order, "u" patches rows by new index.
func (t *Tree) patchComp(c *comp, obj map[string]any) error {
	rows, err := deleteRows(c.rows, obj["d"])
	if err != nil {
		return err
	}
	if rows, err = placeRows(rows, obj["p"]); err != nil {
		return err
	}
	if u, ok := obj["u"].(map[string]any); ok {
		for k, change := range u {
			j, err := strconv.Atoi(k)
			if err != nil || j < 0 || j >= len(rows) {
				return fmt.Errorf("replica: update of row %q of %d", k, len(rows))
			}
			v, err := t.patch(rows[j], change)
			if err != nil {
				return err
			}
			if rows[j], ok = v.(*frag); !ok {
				return fmt.Errorf("replica: row %d became a %T", j, v)
			}
		}
	}
	c.rows = rows
	return nil
}

func deleteRows(rows []*frag, d any) ([]*frag, error) {
	if d == nil {
		return rows, nil
	}
	idx, err := ints(d)
	if err != nil {
		return nil, err
	}
	gone := make(map[int]bool, len(idx))
	for _, i := range idx {
		if i < 0 || i >= len(rows) {
			return nil, fmt.Errorf("replica: delete of row %d of %d", i, len(rows))
		}
		gone[i] = true
	}
	var left []*frag
	for i, r := range rows {
		if !gone[i] {
			left = append(left, r)
		}
	}
	return left, nil
}

func placeRows(rows []*frag, p any) ([]*frag, error) {
	if p == nil {
		return rows, nil
	}
	list, ok := p.([]any)
	if !ok {
		return nil, fmt.Errorf("replica: placements are %T", p)
	}
	type placement struct {
		to  int
		row *frag
	}
	var places []placement
	moved := make(map[int]bool)
	for _, e := range list {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("replica: placement %v", e)
		}
		to, ok := pair[0].(float64)
		if !ok {
			return nil, fmt.Errorf("replica: placement index %v", pair[0])
		}
		var row *frag
		if from, ok := pair[1].(float64); ok {
			if int(from) < 0 || int(from) >= len(rows) || moved[int(from)] {
				return nil, fmt.Errorf("replica: move of row %v of %d", from, len(rows))
			}
			moved[int(from)] = true
			row = rows[int(from)]
		} else {
			v, err := decode(pair[1])
			if err != nil {
				return nil, err
			}
			if row, ok = v.(*frag); !ok {
				return nil, fmt.Errorf("replica: new row is a %T", v)
			}
		}
		places = append(places, placement{int(to), row})
	}
	var stay []*frag
	for i, r := range rows {
		if !moved[i] {
			stay = append(stay, r)
		}
	}
	if !sort.SliceIsSorted(places, func(a, b int) bool { return places[a].to < places[b].to }) {
		return nil, fmt.Errorf("replica: placements not in ascending order")
	}
	for _, pl := range places {
		if pl.to < 0 || pl.to > len(stay) {
			return nil, fmt.Errorf("replica: placement at %d of %d", pl.to, len(stay))
		}
		stay = slices.Insert(stay, pl.to, pl.row)
	}
	return stay, nil
}

// decode turns a full value into a string, *frag or *comp.
func decode(v any) (any, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		if len(v) == 0 {
			return nil, fmt.Errorf("replica: empty fragment")
		}
		sid, ok := v[0].(float64)
		if !ok {
			return nil, fmt.Errorf("replica: fragment statics id %v", v[0])
		}
		f := &frag{sid: int(sid), slots: make([]any, len(v)-1)}
		for i, s := range v[1:] {
			var err error
			if f.slots[i], err = decode(s); err != nil {
				return nil, err
			}
		}
		return f, nil
	case map[string]any:
		rows, ok := v["r"].([]any)
		if !ok {
			return nil, fmt.Errorf("replica: comprehension without rows")
		}
		c := &comp{rows: make([]*frag, len(rows))}
		for i, r := range rows {
			d, err := decode(r)
			if err != nil {
				return nil, err
			}
			if c.rows[i], ok = d.(*frag); !ok {
				return nil, fmt.Errorf("replica: row is a %T", d)
			}
		}
		return c, nil
	}
	return nil, fmt.Errorf("replica: value %v", v)
}

func ints(v any) ([]int, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("replica: %v is not a list of indices", v)
	}
	out := make([]int, len(list))
	for i, e := range list {
		f, ok := e.(float64)
		if !ok {
			return nil, fmt.Errorf("replica: index %v", e)
		}
		out[i] = int(f)
	}
	return out, nil
}

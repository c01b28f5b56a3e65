package engine

import (
	"fmt"
	"html/template"
	"math/rand/v2"
	"slices"
	"testing"
)

const keyedSrc = `<ul>{{range .}}<li data-key="{{.ID}}">{{.Title}}</li>{{end}}</ul>`

// minMoves is the fewest moves that turn the kept rows of old into their
// order in new: the kept rows minus a longest increasing run.
func minMoves(old, new []todoRow) int {
	pos := map[int]int{}
	for i, r := range old {
		pos[r.ID] = i
	}
	var seq []int
	for _, r := range new {
		if i, ok := pos[r.ID]; ok {
			seq = append(seq, i)
		}
	}
	var tails []int
	for _, v := range seq {
		i, _ := slices.BinarySearch(tails, v)
		if i == len(tails) {
			tails = append(tails, v)
		} else {
			tails[i] = v
		}
	}
	return len(seq) - len(tails)
}

// TestKeyedRowsRandom reshapes a keyed list at random and checks parity, and
// that the patch deletes, inserts and moves exactly as few rows as needed and
// never resends a kept row whose content did not change.
func TestKeyedRowsRandom(t *testing.T) {
	tmpl := template.Must(template.New("keyed").Parse(keyedSrc))
	rng := rand.New(rand.NewPCG(1, 2))
	nextID := 1
	row := func() todoRow {
		nextID++
		return todoRow{ID: nextID, Title: fmt.Sprintf("t%d", nextID)}
	}
	var old []todoRow
	for range 8 {
		old = append(old, row())
	}
	for step := range 300 {
		next := slices.Clone(old)
		rng.Shuffle(len(next), func(i, j int) {
			if rng.IntN(3) == 0 {
				next[i], next[j] = next[j], next[i]
			}
		})
		for range rng.IntN(3) {
			if len(next) > 0 {
				i := rng.IntN(len(next))
				next = slices.Delete(next, i, i+1)
			}
		}
		for range rng.IntN(3) {
			next = slices.Insert(next, rng.IntN(len(next)+1), row())
		}
		steps := checkSequence(t, tmpl, old, next)
		got := rootRangePatch(t, steps[1].msg).rowCounts
		want := rowCounts{
			deleted:  len(old) + countNew(old, next) - len(next),
			inserted: countNew(old, next),
			moved:    minMoves(old, next),
		}
		if got != want {
			t.Fatalf("step %d: %v -> %v: patch %s\n got %+v\nwant %+v", step, ids(old), ids(next), steps[1].msg, got, want)
		}
		old = next
	}
}

func countNew(old, new []todoRow) int {
	n := 0
	for _, r := range new {
		if !slices.ContainsFunc(old, func(o todoRow) bool { return o.ID == r.ID }) {
			n++
		}
	}
	return n
}

func ids(rows []todoRow) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// TestKeyedRowsCases covers the reshapes that broke earlier implementations.
func TestKeyedRowsCases(t *testing.T) {
	tmpl := template.Must(template.New("keyed").Parse(keyedSrc))
	r := func(ids ...int) []todoRow {
		var rows []todoRow
		for _, id := range ids {
			rows = append(rows, todoRow{ID: id, Title: fmt.Sprint("t", id)})
		}
		return rows
	}
	cases := []struct {
		name     string
		old, new []todoRow
		want     rowCounts
	}{
		{"several inserts after one anchor", r(1, 2), r(1, 10, 11, 12, 2), rowCounts{inserted: 3}},
		{"reorder with insert and delete", r(1, 2, 3, 4, 5), r(5, 9, 3, 1, 2), rowCounts{deleted: 1, inserted: 1, moved: 2}},
		{"move last to front", r(1, 2, 3, 4, 5), r(5, 1, 2, 3, 4), rowCounts{moved: 1}},
		{"move first to back", r(1, 2, 3, 4, 5), r(2, 3, 4, 5, 1), rowCounts{moved: 1}},
		{"reverse", r(1, 2, 3, 4), r(4, 3, 2, 1), rowCounts{moved: 3}},
		{"clear", r(1, 2, 3), nil, rowCounts{deleted: 3}},
		{"fill", nil, r(1, 2), rowCounts{inserted: 2}},
		{"swap all", r(1, 2), r(3, 4), rowCounts{deleted: 2, inserted: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := checkSequence(t, tmpl, c.old, c.new)
			if got := rootRangePatch(t, steps[1].msg).rowCounts; got != c.want {
				t.Errorf("patch %s: got %+v, want %+v", steps[1].msg, got, c.want)
			}
		})
	}
}

// TestKeyedRowUpdate checks that a moved row whose content changed is moved
// and patched, not resent.
func TestKeyedRowUpdate(t *testing.T) {
	tmpl := template.Must(template.New("keyed").Parse(keyedSrc))
	old := []todoRow{{1, "a", false}, {2, "b", false}, {3, "c", false}}
	next := []todoRow{{3, "c!", false}, {1, "a", false}, {2, "b", false}}
	steps := checkSequence(t, tmpl, old, next)
	want := rowCounts{moved: 1, updated: 1}
	if got := rootRangePatch(t, steps[1].msg).rowCounts; got != want {
		t.Errorf("patch %s: got %+v, want %+v", steps[1].msg, got, want)
	}
}

// TestPositionalRows checks the documented fallback: rows without keys, or
// with a repeated key, are paired by index.
func TestPositionalRows(t *testing.T) {
	unkeyed := template.Must(template.New("u").Parse(`{{range .}}<li>{{.Title}}</li>{{end}}`))
	keyed := template.Must(template.New("k").Parse(keyedSrc))
	old := []todoRow{{1, "a", false}, {2, "b", false}, {3, "c", false}}
	shorter := []todoRow{{2, "b", false}, {3, "c", false}}
	dup := []todoRow{{2, "b", false}, {2, "b", false}, {3, "c", false}, {4, "d", false}}

	steps := checkSequence(t, unkeyed, old, shorter)
	f := decodeMessage(t, steps[1].msg)["f"].(map[string]any)["0"].(map[string]any)
	if fmt.Sprint(f["d"]) != "[2]" || len(f["u"].(map[string]any)) != 2 {
		t.Errorf("unkeyed removal of the first row: %s, want rows 0 and 1 updated and row 2 deleted", steps[1].msg)
	}
	steps = checkSequence(t, keyed, old, dup)
	got := rootRangePatch(t, steps[1].msg).rowCounts
	if want := (rowCounts{inserted: 1, updated: 1}); got != want {
		t.Errorf("duplicate keys: patch %s: got %+v, want %+v (row 0 rewritten, row 3 appended)", steps[1].msg, got, want)
	}
}

// FuzzRows turns two byte strings into two lists of keyed rows (a byte is a
// key; repeats make duplicate keys) and checks parity, and that a keyed
// patch never moves more rows than needed.
func FuzzRows(f *testing.F) {
	f.Add([]byte("abcde"), []byte("eabxd"))
	f.Add([]byte("aab"), []byte("ba"))
	f.Add([]byte(""), []byte("zyx"))
	f.Add([]byte("abcdefgh"), []byte("hgfedcba"))
	tmpl := template.Must(template.New("keyed").Parse(keyedSrc))
	rows := func(keys []byte) []todoRow {
		out := make([]todoRow, len(keys))
		for i, k := range keys {
			out[i] = todoRow{ID: int(k), Title: fmt.Sprint("t", k, "-", i%2)}
		}
		return out
	}
	unique := func(keys []byte) bool {
		seen := map[byte]bool{}
		for _, k := range keys {
			if seen[k] {
				return false
			}
			seen[k] = true
		}
		return true
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if len(a) > 64 || len(b) > 64 {
			t.Skip("long lists add nothing over short ones")
		}
		old, next := rows(a), rows(b)
		steps := checkSequence(t, tmpl, old, next)
		if !unique(a) || !unique(b) {
			return
		}
		if got, want := rootRangePatch(t, steps[1].msg).moved, minMoves(old, next); got != want {
			t.Errorf("%q -> %q: %d moves, want %d: %s", a, b, got, want, steps[1].msg)
		}
	})
}

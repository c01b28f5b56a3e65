package engine

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// peerRow is a row of the keyed lists below.
type peerRow struct {
	ID    int
	Title string
	Done  bool
}

func peerRows(ids ...int) []peerRow {
	rows := make([]peerRow, len(ids))
	for i, id := range ids {
		rows[i] = peerRow{ID: id, Title: fmt.Sprintf("row %d", id)}
	}
	return rows
}

// peerRowsSrc is keyed by data-key; a row's branch has statics of its own.
const peerRowsSrc = `<ul>{{range .}}<li data-key="{{.ID}}">` +
	`{{if .Done}}<s>{{.Title}}</s> <em>done</em>{{else}}<b>{{.Title}}</b>{{end}}</li>{{end}}</ul>`

// rowSteps makes a data sequence of row lists.
func rowSteps(seq [][]peerRow) []any {
	data := make([]any, len(seq))
	for i, rows := range seq {
		data[i] = rows
	}
	return data
}

// keyDiff returns the rows of new whose IDs old lacks, and the number of
// rows of old whose IDs new lacks.
func keyDiff(old, new []peerRow) (added []peerRow, removed int) {
	has := func(rows []peerRow, id int) bool {
		return slices.ContainsFunc(rows, func(r peerRow) bool { return r.ID == id })
	}
	for _, r := range new {
		if !has(old, r.ID) {
			added = append(added, r)
		}
	}
	for _, r := range old {
		if !has(new, r.ID) {
			removed++
		}
	}
	return added, removed
}

// sidsUsed returns the statics ids of the fragments v (the "f" part of a
// message) sends in full. It follows the encoding: an array is a fragment,
// an object with "r" a comprehension, an object with "d", "p" or "u" a
// comprehension patch, any other object a fragment patch keyed by slot.
func sidsUsed(t *testing.T, v any) []int {
	t.Helper()
	var out []int
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			sid, ok := v[0].(float64)
			if !ok {
				t.Fatalf("fragment %v has no statics id", v)
			}
			out = append(out, int(sid))
			for _, s := range v[1:] {
				walk(s)
			}
		case map[string]any:
			for k, x := range v {
				switch k {
				case "d":
				case "r":
					for _, row := range x.([]any) {
						walk(row)
					}
				case "p":
					for _, pl := range x.([]any) {
						if row, ok := pl.([]any)[1].([]any); ok {
							walk(row)
						}
					}
				case "u":
					for _, patch := range x.(map[string]any) {
						walk(patch)
					}
				default:
					walk(x)
				}
			}
		}
	}
	walk(v)
	return out
}

// checkStaticsSent checks that every fragment each message sends in full has
// statics the client holds: from this message's "s" or an earlier one's. It
// returns, per message, the statics ids its "s" defined and their parts.
func checkStaticsSent(t *testing.T, steps []step) []map[int][]string {
	t.Helper()
	known := map[int]bool{}
	var defined []map[int][]string
	for i, s := range steps {
		if len(s.msg) == 0 {
			defined = append(defined, nil)
			continue
		}
		m := decodeMessage(t, s.msg)
		def := map[int][]string{}
		if st, ok := m["s"].(map[string]any); ok {
			for id, parts := range st {
				sid, err := strconv.Atoi(id)
				if err != nil {
					t.Fatalf("step %d: statics id %q", i, id)
				}
				known[sid] = true
				def[sid] = messageValues(parts)
			}
		}
		for _, sid := range sidsUsed(t, m["f"]) {
			if !known[sid] {
				t.Errorf("step %d: message %s sends a fragment with statics %d the client never got", i, s.msg, sid)
			}
		}
		defined = append(defined, def)
	}
	return defined
}

// TestParityPeerBugs has one case per bug found in an earlier Go
// LiveTemplate (see the project's notes on peers). That engine re-executed
// each action as its own small template outside its HTML context. Not here:
// a client that missed a message is the protocol's concern (versions), not
// the engine's.
func TestParityPeerBugs(t *testing.T) {
	t.Run("contextual escaping lost in updates", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`<a href="{{.X}}" onclick="go({{.X}})">a</a>` +
			`<script>var x = {{.X}};</script><p style="color: {{.X}}">p</p>`))
		data := []any{
			pm{"X": "/safe"},
			pm{"X": "javascript:alert(1)"},
			pm{"X": "/safe"},
			pm{"X": `");alert(1)//</script><script>alert(2)</script>`},
			pm{"X": "red"},
			pm{"X": "red;background:url(javascript:alert(1))"},
		}
		steps := checkSequence(t, tmpl, data...)
		// Slots are numbered in the order of the actions: href, onclick,
		// script, style. cur follows what the client holds in each.
		var cur [4]string
		for i, s := range steps {
			switch f := decodeMessage(t, s.msg)["f"].(type) {
			case []any:
				for k := range cur {
					cur[k], _ = f[k+1].(string)
				}
			case map[string]any:
				for k := range cur {
					if v, ok := f[strconv.Itoa(k)].(string); ok {
						cur[k] = v
					}
				}
			default:
				t.Fatalf("step %d: message %s", i, s.msg)
			}
			if p := noScriptURL(cur[0]); p != "" {
				t.Errorf("step %d: href value %q %s", i, cur[0], p)
			}
			if p := jsLiteral(html.UnescapeString(cur[1]), `"`); p != "" || strings.ContainsAny(cur[1], `"<`) {
				t.Errorf("step %d: onclick value %q breaks out of its context %s", i, cur[1], p)
			}
			if p := jsLiteral(cur[2], `"`); p != "" || strings.Contains(cur[2], "<") {
				t.Errorf("step %d: script value %q breaks out of its context %s", i, cur[2], p)
			}
			if x := data[i].(pm)["X"].(string); strings.ContainsAny(x, ":;(") && cur[3] != "ZgotmplZ" {
				t.Errorf("step %d: style value %q, want ZgotmplZ", i, cur[3])
			}
		}
	})

	t.Run("range index and value variables", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(
			`<ol>{{range $i, $v := .}}<li value="{{$i}}">{{$i}}:{{$v}}</li>{{end}}</ol>`))
		steps := checkSequence(t, tmpl, []string{"a", "b"}, []string{"b", "a", "c"}, []string{"z"}, []string{"y", "z"})
		if got := string(steps[1].tree.HTML()); !strings.Contains(got, "2:c") {
			t.Errorf("variables rendered %q, want the index and value", got)
		}
	})

	t.Run("nested ranges lose $", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`{{range .Rows}}<tr>{{range .}}` +
			`<td class="{{$.Class}}">{{.}}{{$.Unit}}</td>{{end}}</tr>{{end}}`))
		steps := checkSequence(t, tmpl,
			pm{"Class": "c1", "Unit": "kg", "Rows": [][]int{{1, 2}, {3}}},
			pm{"Class": "c2", "Unit": "kg", "Rows": [][]int{{1, 2}, {3}}},
			pm{"Class": "c2", "Unit": "lb", "Rows": [][]int{{4}, {}, {5, 6}}},
		)
		if got := string(steps[2].tree.HTML()); !strings.Contains(got, `class="c2">6lb`) {
			t.Errorf("inner range rendered %q, want $ fields", got)
		}
	})

	t.Run("break and continue", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`{{range .}}{{if lt . 0}}{{continue}}{{end}}` +
			`{{if gt . 9}}{{break}}{{end}}<i>{{.}}</i>{{end}}`))
		steps := checkSequence(t, tmpl, []int{1, -1, 2, 10, 3}, []int{-1, 1, 2, 3, 10}, []int{10, 1}, []int{4, -4, 5})
		if got := string(steps[0].tree.HTML()); got != "<i>1</i><i>2</i>" {
			t.Errorf("break/continue rendered %q", got)
		}
	})

	t.Run("range over an int", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`{{range 3}}<i>{{.}}</i>{{end}}|{{range .}}<b>{{.}}</b>{{else}}none{{end}}`))
		steps := checkSequence(t, tmpl, 3, 0, 2, 4)
		if got := string(steps[2].tree.HTML()); got != "<i>0</i><i>1</i><i>2</i>|<b>0</b><b>1</b>" {
			t.Errorf("range over ints rendered %q", got)
		}
	})

	t.Run("template with a zero value", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`{{define "n"}}<b>{{.}}</b>{{end}}` +
			`{{template "n" .Zero}}{{template "n" .Empty}}{{template "n" .None}}`))
		steps := checkSequence(t, tmpl,
			pm{"Zero": 0, "Empty": "", "None": nil},
			pm{"Zero": 7, "Empty": "e", "None": 1},
			pm{"Zero": 0, "Empty": "", "None": nil},
		)
		if got := string(steps[2].tree.HTML()); !strings.HasPrefix(got, "<b>0</b><b></b><b>") {
			t.Errorf("zero values rendered %q", got)
		}
	})

	t.Run("html comments leak", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(`<p>{{.}}</p><!-- secret: {{.}} -->` +
			`{{if .}}<!-- secret in a branch -->{{end}}<!--[if IE]>secret<![endif]-->`))
		steps := checkSequence(t, tmpl, "a", "", "b", "c")
		for i, s := range steps {
			if strings.Contains(string(s.msg), "secret") || strings.Contains(string(s.msg), "<!--") {
				t.Errorf("step %d: message %s carries an HTML comment", i, s.msg)
			}
		}
	})

	t.Run("keyed reorder with insert and delete", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(peerRowsSrc))
		seq := [][]peerRow{
			peerRows(1, 2, 3, 4, 5, 6),
			peerRows(6, 2, 10, 4, 1, 11),    // 3, 5 gone; 10, 11 new; 6 and 1 moved
			peerRows(11, 4, 12, 6, 2),       // 10, 1 gone; 12 new; reversed around it
			peerRows(1, 2, 3),               // all but 2 replaced
			peerRows(3, 13, 2, 14, 1, 15),   // reversed with new rows between
			peerRows(15, 3, 1, 2, 16, 14),   // 13 gone, 16 new, 2 and 1 swapped
			peerRows(16, 15, 14, 3, 2, 1),   // a permutation only
			peerRows(20, 16, 21, 15, 14, 3), // prepends and an insert, deletes at the end
		}
		steps := checkSequence(t, tmpl, rowSteps(seq)...)
		for i := 1; i < len(steps); i++ {
			p := rootRangePatch(t, steps[i].msg)
			added, removed := keyDiff(seq[i-1], seq[i])
			if p.deleted != removed || p.inserted != len(added) {
				t.Errorf("step %d: %d deleted, %d inserted; want %d, %d (%s)",
					i, p.deleted, p.inserted, removed, len(added), steps[i].msg)
			}
			// Kept rows are moved or stay: their content is not sent again.
			for _, r := range seq[i] {
				if slices.Contains(added, r) {
					continue
				}
				if slices.Contains(p.values, r.Title) {
					t.Errorf("step %d: kept row %d sent again: %s", i, r.ID, steps[i].msg)
				}
			}
		}
	})

	t.Run("several inserts after one anchor", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(peerRowsSrc))
		seq := [][]peerRow{
			peerRows(1, 2, 3),
			peerRows(1, 10, 11, 12, 2, 3),
			peerRows(1, 13, 10, 14, 11, 15, 12, 2, 3),
			peerRows(16, 17, 18, 1, 13, 10, 14, 11, 15, 12, 2, 3, 19, 20),
		}
		steps := checkSequence(t, tmpl, rowSteps(seq)...)
		for i := 1; i < len(steps); i++ {
			p := rootRangePatch(t, steps[i].msg)
			added, _ := keyDiff(seq[i-1], seq[i])
			// The kept rows keep their relative order: nothing moves.
			if p.inserted != len(added) || p.moved != 0 || p.deleted != 0 {
				t.Errorf("step %d: %+v, want %d inserts only: %s", i, p, len(added), steps[i].msg)
			}
		}
	})

	t.Run("if flipping inside a row", func(t *testing.T) {
		tmpl := template.Must(template.New("p").Parse(peerRowsSrc))
		done := func(rows []peerRow, ids ...int) []peerRow {
			rows = slices.Clone(rows)
			for i := range rows {
				rows[i].Done = slices.Contains(ids, rows[i].ID)
			}
			return rows
		}
		base := peerRows(1, 2, 3)
		data := []any{
			base,
			done(base, 2),                       // then-branch statics new to the client
			done(base, 2, 3),                    // known statics
			done(peerRows(3, 1, 2, 4), 1, 4),    // flips in a moved row and a new row
			done(peerRows(4, 1), 1, 4),          // no else-branch left in the tree
			done(peerRows(4, 1, 5), 1),          // else-branch back
			done(peerRows(6, 4, 1, 5), 6, 4, 5), // and the then-branch again, in a new row
		}
		steps := checkSequence(t, tmpl, data...)
		defined := checkStaticsSent(t, steps)
		branchStatics := func(i int) bool {
			for _, parts := range defined[i] {
				if strings.Contains(strings.Join(parts, ""), "<em>done</em>") {
					return true
				}
			}
			return false
		}
		if !branchStatics(1) {
			t.Errorf("first flip %s: want the new branch's statics under \"s\"", steps[1].msg)
		}
		if branchStatics(2) {
			t.Errorf("second flip %s: resends statics the old tree already uses", steps[2].msg)
		}
		for i, s := range steps {
			if strings.Contains(string(s.msg), "object") {
				t.Errorf("step %d: message %s", i, s.msg)
			}
		}
	})
}

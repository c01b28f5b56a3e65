package engine

import (
	"fmt"
	"html/template"
	"slices"
	"testing"
)

type todoRow struct {
	ID    int
	Title string
	Done  bool
}

type todoPage struct {
	Heading string
	Rows    []todoRow
}

const todoSrc = `<h1>{{.Heading}}</h1><p>{{len .Rows}} items</p>` +
	`<ul>{{range .Rows}}<li data-key="{{.ID}}" class="{{if .Done}}done{{end}}">` +
	`<a href="/todo/{{.ID}}">{{.Title}}</a><input type="checkbox"{{if .Done}} checked{{end}}></li>{{end}}</ul>`

func newTodoPage(n int) todoPage {
	p := todoPage{Heading: "Things"}
	for i := range n {
		p.Rows = append(p.Rows, todoRow{ID: i + 1, Title: fmt.Sprintf("task %d", i+1)})
	}
	return p
}

func (p todoPage) clone() todoPage {
	p.Rows = slices.Clone(p.Rows)
	return p
}

// TestDiffMinimal checks that a change of one field yields a diff that holds
// that value and nothing else: no statics, no other text, and a size close to
// the value's own.
func TestDiffMinimal(t *testing.T) {
	tmpl := template.Must(template.New("todo").Parse(todoSrc))
	a := newTodoPage(100)
	cases := []struct {
		name   string
		change func(*todoPage)
		want   string
	}{
		{"row title", func(p *todoPage) { p.Rows[41].Title = "buy milk" }, "buy milk"},
		{"heading", func(p *todoPage) { p.Heading = "Chores" }, "Chores"},
		{"first row", func(p *todoPage) { p.Rows[0].Title = "x" }, "x"},
		{"last row", func(p *todoPage) { p.Rows[99].Title = "y & z" }, "y &amp; z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := a.clone()
			c.change(&b)
			steps := checkSequence(t, tmpl, a, b)
			msg := steps[1].msg
			d := decodeMessage(t, msg)
			if _, ok := d["s"]; ok {
				t.Errorf("diff %s sends statics for a changed value", msg)
			}
			if got := messageValues(d); !slices.Equal(got, []string{c.want}) {
				t.Errorf("diff %s carries %q, want only %q", msg, got, c.want)
			}
			if max := len(c.want) + 40; len(msg) > max {
				t.Errorf("diff is %d bytes, want at most %d: %s", len(msg), max, msg)
			}
		})
	}
}

// TestDiffUnchanged checks that equal data gives no diff at all.
func TestDiffUnchanged(t *testing.T) {
	tmpl := template.Must(template.New("todo").Parse(todoSrc))
	steps := checkSequence(t, tmpl, newTodoPage(5), newTodoPage(5))
	if len(steps[1].msg) != 0 {
		t.Fatalf("equal data gave diff %s", steps[1].msg)
	}
}

// TestDiffBranchStatics checks that a flipped if sends the new branch with its
// statics when the client has never seen them, and without them when it has.
func TestDiffBranchStatics(t *testing.T) {
	tmpl := template.Must(template.New("b").Parse(
		`<p>{{if .On}}<b title="{{.T}}">on</b>{{else}}<i>{{.T}}</i>{{end}}</p>`))
	type data struct {
		On bool
		T  string
	}
	steps := checkSequence(t, tmpl, data{false, "a"}, data{true, "a"}, data{false, "a"}, data{true, "b"})
	flip := decodeMessage(t, steps[1].msg)
	s, ok := flip["s"].(map[string]any)
	if !ok || len(s) != 1 {
		t.Fatalf("first flip %s: want the new branch's statics", steps[1].msg)
	}
	for _, parts := range s {
		if !slices.Equal(messageValues(parts), []string{`<b title="`, `">on</b>`}) {
			t.Errorf("statics sent %v, want the then-branch's", parts)
		}
	}
	// A diff defines the statics its new tree uses and its old tree does not:
	// a client that joined after the first flip must get them too.
	if _, ok := decodeMessage(t, steps[3].msg)["s"]; !ok {
		t.Errorf("second flip %s: want the branch's statics again", steps[3].msg)
	}
	if _, ok := decodeMessage(t, steps[2].msg)["s"]; !ok {
		t.Errorf("flip back %s: want the else branch's statics again", steps[2].msg)
	}
}

package ltbench

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate/internal/engine"
	"github.com/livetemplate/livetemplate/internal/replica"
)

// TestChangesParity renders every change of the reference page from the
// tree before, as a page does, and checks that the engine's HTML is
// Execute's and that a client applying the diff holds it too.
func TestChangesParity(t *testing.T) {
	tmpl := NewTodoTemplate()
	prog, err := engine.Compile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	base := NewTodoPage(pageRows)
	for _, c := range changes(base) {
		t.Run(c.name, func(t *testing.T) {
			var client replica.Tree
			var prev *engine.Tree
			for i, data := range []*TodoPage{c.a, c.b, c.a} {
				tree, err := prog.RenderFrom(prev, data)
				if err != nil {
					t.Fatalf("step %d: Render: %v", i, err)
				}
				var want bytes.Buffer
				if err := tmpl.Execute(&want, data); err != nil {
					t.Fatalf("step %d: Execute: %v", i, err)
				}
				if !bytes.Equal(tree.HTML(), want.Bytes()) {
					t.Fatalf("step %d: Render's HTML differs from Execute's", i)
				}
				msg := tree.AppendJSON(nil)
				if prev != nil {
					if msg, _, err = engine.AppendDiff(nil, prev, tree); err != nil {
						t.Fatalf("step %d: AppendDiff: %v", i, err)
					}
				}
				if err := client.Apply(msg); err != nil {
					t.Fatalf("step %d: apply %s: %v", i, msg, err)
				}
				if got, err := client.HTML(); err != nil || got != want.String() {
					t.Fatalf("step %d: client after %s does not hold Execute's HTML (%v)", i, msg, err)
				}
				prev = tree
			}
		})
	}
}

var rowKey = regexp.MustCompile(`<li data-key="(\d+)"`)

// keys returns the row keys of the executed page, in order.
func keys(t *testing.T, p *TodoPage) []string {
	t.Helper()
	var b strings.Builder
	if err := NewTodoTemplate().Execute(&b, p); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, m := range rowKey.FindAllStringSubmatch(b.String(), -1) {
		ks = append(ks, m[1])
	}
	return ks
}

// TestMutations checks that each change does what its name says, and
// leaves the page it started from as it was.
func TestMutations(t *testing.T) {
	base := NewTodoPage(5)
	before := keys(t, base)
	if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(before, want) {
		t.Fatalf("keys %v, want %v", before, want)
	}
	if got := keys(t, base.Inserted(2, "new")); !slices.Equal(got, []string{"1", "2", "6", "3", "4", "5"}) {
		t.Errorf("Inserted(2): keys %v", got)
	}
	if got := keys(t, base.Removed(2)); !slices.Equal(got, []string{"1", "2", "4", "5"}) {
		t.Errorf("Removed(2): keys %v", got)
	}
	if got := keys(t, base.Reversed()); !slices.Equal(got, []string{"5", "4", "3", "2", "1"}) {
		t.Errorf("Reversed: keys %v", got)
	}
	if got := base.Retitled(2, "new").Todos[2].Title; got != "new" {
		t.Errorf("Retitled(2): title %q", got)
	}
	if got, want := base.Toggled(1).DoneCount(), base.DoneCount()+1; got != want {
		t.Errorf("Toggled(1): %d done, want %d", got, want)
	}
	if got, want := base.AllToggled().DoneCount(), base.Remaining(); got != want {
		t.Errorf("AllToggled: %d done, want %d", got, want)
	}
	if got := keys(t, base); !slices.Equal(got, before) || base.Todos[2].Title == "new" || base.DoneCount() != 2 {
		t.Errorf("the changes modified the base page: keys %v, %+v", got, base.Todos)
	}
}

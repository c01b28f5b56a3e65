package engine

import (
	"html/template"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/livetemplate/livetemplate/internal/replica"
)

// step is what checkSequence saw for one data value.
type step struct {
	tree *Tree
	msg  []byte // full tree for the first step, diff (possibly empty) after
}

// checkSequence renders each data value in turn and checks the engine against
// its oracle, html/template's own Execute on a clone of tmpl:
//   - Render fails exactly when Execute fails;
//   - the tree's HTML is Execute's output, byte for byte;
//   - a replica that applies the first full tree and then every diff holds
//     that same HTML after each step;
//   - a fresh replica given only the latest full tree agrees.
//
// Data values whose execution fails are skipped for the replica, as a page
// keeps its previous tree.
func checkSequence(t testing.TB, tmpl *template.Template, data ...any) []step {
	t.Helper()
	oracle, err := tmpl.Clone()
	if err != nil {
		t.Fatalf("clone for oracle: %v", err)
	}
	prog, err := Compile(tmpl)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var (
		rep   replica.Tree
		prev  *Tree
		steps []step
	)
	for i, d := range data {
		var want strings.Builder
		execErr := oracle.Execute(&want, d)
		tree, err := prog.Render(d)
		if (execErr == nil) != (err == nil) {
			t.Fatalf("step %d: Execute error %v, Render error %v", i, execErr, err)
		}
		if err != nil {
			if err.Error() != execErr.Error() {
				t.Fatalf("step %d: Render error %q, want Execute's %q", i, err, execErr)
			}
			continue
		}
		if got := string(tree.HTML()); got != want.String() {
			t.Fatalf("step %d: tree HTML differs from Execute\n got: %q\nwant: %q", i, got, want.String())
		}
		var msg []byte
		if prev == nil {
			msg = tree.AppendJSON(nil)
		} else {
			msg, _, err = AppendDiff(nil, prev, tree)
			if err != nil {
				t.Fatalf("step %d: AppendDiff: %v", i, err)
			}
		}
		if len(msg) > 0 {
			if err := rep.Apply(msg); err != nil {
				t.Fatalf("step %d: apply %s: %v", i, msg, err)
			}
		}
		expect := wireHTML(want.String())
		if got, err := rep.HTML(); err != nil || got != expect {
			t.Fatalf("step %d: replica after %s\n got: %q (%v)\nwant: %q", i, msg, got, err, expect)
		}
		var fresh replica.Tree
		if err := fresh.Apply(tree.AppendJSON(nil)); err != nil {
			t.Fatalf("step %d: apply full tree: %v", i, err)
		}
		if got, _ := fresh.HTML(); got != expect {
			t.Fatalf("step %d: fresh replica\n got: %q\nwant: %q", i, got, expect)
		}
		steps = append(steps, step{tree: tree, msg: msg})
		prev = tree
	}
	return steps
}

// wireHTML is what a client can hold of html: JSON carries only Unicode, so
// each invalid UTF-8 byte arrives as U+FFFD (docs/protocol.md).
func wireHTML(html string) string {
	if utf8.ValidString(html) {
		return html
	}
	var b strings.Builder
	for i := 0; i < len(html); {
		r, n := utf8.DecodeRuneInString(html[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(html[i : i+n])
		}
		i += n
	}
	return b.String()
}

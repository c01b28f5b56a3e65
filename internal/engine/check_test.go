package engine

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/livetemplate/livetemplate/internal/replica"
)

// next makes the data of a step of checkSequence when the step comes.
type next func() any

// step is what checkSequence saw for one data value.
type step struct {
	tree *Tree
	msg  []byte // full tree for the first step, diff (possibly empty) after
}

// checkSequence renders each data value in turn and checks the engine against
// its oracle, html/template's own Execute on a clone of tmpl:
//   - RenderFrom the last good tree fails exactly when Execute fails, with
//     Execute's error; so does Render from nothing;
//   - the tree's HTML is Execute's output, byte for byte, and the tree is
//     the one Render makes from nothing (no row reused where it must not be);
//   - a replica that applies the first full tree and then every diff holds
//     that same HTML after each step;
//   - a fresh replica given only the latest full tree agrees.
//
// Data values whose execution fails are skipped for the replica, as a page
// keeps its previous tree. A value of type next is called for the data at
// its step, after every step before it rendered: it may change in place the
// data that earlier steps rendered.
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
		if f, ok := d.(next); ok {
			d = f()
		}
		// RenderFrom first: user code that changes the data as it runs
		// (memo_test.go) must find it as the last step's executions left it.
		tree, err := prog.RenderFrom(prev, d)
		var want strings.Builder
		execErr := oracle.Execute(&want, d)
		scratch, ferr := prog.Render(d)
		for _, e := range []error{err, ferr} {
			if (execErr == nil) != (e == nil) {
				t.Fatalf("step %d: Execute error %v, RenderFrom error %v, Render error %v", i, execErr, err, ferr)
			}
			if e != nil && e.Error() != execErr.Error() {
				t.Fatalf("step %d: render error %q, want Execute's %q", i, e, execErr)
			}
		}
		if err != nil {
			continue
		}
		if got := string(tree.HTML()); got != want.String() {
			t.Fatalf("step %d: tree HTML differs from Execute\n got: %q\nwant: %q", i, got, want.String())
		}
		if !bytes.Equal(tree.enc, scratch.enc) {
			t.Fatalf("step %d: the tree rendered from the last one differs from one rendered from nothing\n got: %s\nwant: %s",
				i, tree.AppendJSON(nil), scratch.AppendJSON(nil))
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

// decodeMessage decodes a full tree or a diff.
func decodeMessage(t testing.TB, msg []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Fatalf("message %s: %v", msg, err)
	}
	return m
}

// messageValues returns every string in v, a decoded part of a message: in
// "f" these are the dynamic values it carries (statics ids and row indices
// are numbers), in "s" the statics.
func messageValues(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, messageValues(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, messageValues(e)...)
		}
		return out
	}
	return nil
}

// rowCounts counts what a comprehension patch does.
type rowCounts struct {
	deleted, moved, inserted, updated int
}

// rangePatch is the patch of the range in slot 0 of a message's root.
type rangePatch struct {
	rowCounts
	values []string // every string the patch carries
}

// rootRangePatch decodes the patch of the range in slot 0 of the root of a
// diff; an empty diff patches nothing.
func rootRangePatch(t testing.TB, msg []byte) rangePatch {
	t.Helper()
	if len(msg) == 0 {
		return rangePatch{}
	}
	f, ok := decodeMessage(t, msg)["f"].(map[string]any)
	if !ok {
		t.Fatalf("message %s: root is not a patch", msg)
	}
	p, ok := f["0"].(map[string]any)
	if !ok {
		t.Fatalf("message %s: range slot is not a patch", msg)
	}
	if _, full := p["r"]; full {
		t.Fatalf("message %s: rows sent in full, not patched", msg)
	}
	var c rangePatch
	if d, ok := p["d"].([]any); ok {
		c.deleted = len(d)
	}
	if pl, ok := p["p"].([]any); ok {
		for _, e := range pl {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				t.Fatalf("message %s: placement %v", msg, e)
			}
			if _, isMove := pair[1].(float64); isMove {
				c.moved++
			} else {
				c.inserted++
			}
		}
	}
	if u, ok := p["u"].(map[string]any); ok {
		c.updated = len(u)
	}
	c.values = messageValues(p)
	return c
}

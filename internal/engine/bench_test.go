package engine_test

import (
	"bytes"
	"testing"

	"github.com/livetemplate/livetemplate/internal/engine"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

// The benchmarks use ltbench's reference page: 100 keyed todo rows. Those
// that update alternate between two data values, so that every iteration
// renders and diffs a real change. cmd/ltbench reports the same cases as
// ratios against Execute measured in one run; see BENCHMARKS.md.

const rows = 100

func compileTodo(b *testing.B) *engine.Program {
	b.Helper()
	prog, err := engine.Compile(ltbench.NewTodoTemplate())
	if err != nil {
		b.Fatal(err)
	}
	return prog
}

func render(b *testing.B, prog *engine.Program, data any) *engine.Tree {
	b.Helper()
	t, err := prog.Render(data)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkExecute is the baseline: html/template's Execute into a reused
// buffer.
func BenchmarkExecute(b *testing.B) {
	tmpl := ltbench.NewTodoTemplate()
	page := ltbench.NewTodoPage(rows)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := tmpl.Execute(&buf, page); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender renders the page to a tree.
func BenchmarkRender(b *testing.B) {
	prog := compileTodo(b)
	page := ltbench.NewTodoPage(rows)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prog.Render(page); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendJSON encodes a full tree, as for a client's first render.
func BenchmarkAppendJSON(b *testing.B) {
	tree := render(b, compileTodo(b), ltbench.NewTodoPage(rows))
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = tree.AppendJSON(dst[:0])
	}
	b.SetBytes(int64(len(dst)))
}

// renderAndDiff measures a page update: render the next data value and diff
// its tree against the previous one, alternating between a and b.
func renderAndDiff(b *testing.B, change func(*ltbench.TodoPage) *ltbench.TodoPage) {
	prog := compileTodo(b)
	base := ltbench.NewTodoPage(rows)
	data := [2]*ltbench.TodoPage{base, change(base)}
	prev := render(b, prog, data[0])
	var dst []byte
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i ^= 1
		t, err := prog.RenderFrom(prev, data[i])
		if err != nil {
			b.Fatal(err)
		}
		if dst, _, err = engine.AppendDiff(dst[:0], prev, t); err != nil {
			b.Fatal(err)
		}
		prev = t
	}
}

// diffOnly measures AppendDiff alone between two trees rendered once, in
// both directions.
func diffOnly(b *testing.B, change func(*ltbench.TodoPage) *ltbench.TodoPage) {
	prog := compileTodo(b)
	base := ltbench.NewTodoPage(rows)
	trees := [2]*engine.Tree{render(b, prog, base), render(b, prog, change(base))}
	var dst []byte
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, _, err = engine.AppendDiff(dst[:0], trees[i], trees[i^1]); err != nil {
			b.Fatal(err)
		}
		i ^= 1
	}
}

func retitle(p *ltbench.TodoPage) *ltbench.TodoPage   { return p.Retitled(rows/2, "A new title") }
func insert(p *ltbench.TodoPage) *ltbench.TodoPage    { return p.Inserted(rows/2, "A new todo") }
func reverse(p *ltbench.TodoPage) *ltbench.TodoPage   { return p.Reversed() }
func toggleAll(p *ltbench.TodoPage) *ltbench.TodoPage { return p.AllToggled() }

// BenchmarkRenderAndDiff is the headline update: one field of one row.
func BenchmarkRenderAndDiff(b *testing.B)        { renderAndDiff(b, retitle) }
func BenchmarkRenderAndDiffInsert(b *testing.B)  { renderAndDiff(b, insert) }
func BenchmarkRenderAndDiffReverse(b *testing.B) { renderAndDiff(b, reverse) }
func BenchmarkRenderAndDiffAll(b *testing.B)     { renderAndDiff(b, toggleAll) }

func BenchmarkDiff(b *testing.B)        { diffOnly(b, retitle) }
func BenchmarkDiffInsert(b *testing.B)  { diffOnly(b, insert) }
func BenchmarkDiffReverse(b *testing.B) { diffOnly(b, reverse) }
func BenchmarkDiffAll(b *testing.B)     { diffOnly(b, toggleAll) }

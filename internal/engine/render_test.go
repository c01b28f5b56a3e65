package engine

import (
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"testing"
)

// TestRenderConcurrent renders one program from many goroutines (run with
// -race), each from its own last tree, and checks every tree against
// html/template.
func TestRenderConcurrent(t *testing.T) {
	tmpl := template.Must(template.New("todo").Parse(todoSrc))
	oracle := template.Must(tmpl.Clone())
	prog, err := Compile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			var prev *Tree
			for i := range 50 {
				p := newTodoPage(g + i%7)
				tree, err := prog.RenderFrom(prev, p)
				if err != nil {
					errs <- err
					return
				}
				prev = tree
				var want strings.Builder
				if err := oracle.Execute(&want, p); err != nil {
					errs <- err
					return
				}
				if string(tree.HTML()) != want.String() {
					errs <- fmt.Errorf("goroutine %d step %d: HTML differs from Execute", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(prog.idle); n < 1 || n > 8 {
		t.Errorf("%d instances kept for later renderings of 8 goroutines, want 1 to 8", n)
	}
}

// TestRenderErrorKeepsTree checks that a failed render returns no tree and
// that diffs continue from the last good one.
func TestRenderErrorKeepsTree(t *testing.T) {
	tmpl := template.Must(template.New("t").Option("missingkey=error").Parse(`<p>{{.a}}</p>`))
	prog, err := Compile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	good, err := prog.Render(map[string]string{"a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := prog.Render(map[string]string{})
	if err == nil || bad != nil {
		t.Fatalf("Render of a missing key: tree %v, error %v", bad, err)
	}
	if !strings.Contains(err.Error(), `template: t:1:5: executing "t" at <.a>`) {
		t.Errorf("error %q does not give the template's name and position", err)
	}
	next, err := prog.Render(map[string]string{"a": "2"})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := AppendDiff(nil, good, next)
	if err != nil || string(d) != `{"f":{"0":"2"}}` {
		t.Errorf("diff after a failed render: %s, %v", d, err)
	}
}

func TestDiffOtherProgram(t *testing.T) {
	a, _ := Compile(template.Must(template.New("a").Parse(`{{.}}`)))
	b, _ := Compile(template.Must(template.New("b").Parse(`{{.}}`)))
	ta, _ := a.Render(1)
	tb, _ := b.Render(1)
	if _, _, err := AppendDiff(nil, ta, tb); err != ErrOtherProgram {
		t.Errorf("diff across programs: %v, want ErrOtherProgram", err)
	}
}

func TestRenderTooLarge(t *testing.T) {
	prog, err := Compile(template.Must(template.New("t").Parse(`<p>{{.}}</p>`)))
	if err != nil {
		t.Fatal(err)
	}
	prog.maxHTML = 10
	if _, err := prog.Render("012"); err != nil {
		t.Fatalf("10 bytes: %v", err)
	}
	if tree, err := prog.Render("0123"); !errors.Is(err, ErrTooLarge) || tree != nil {
		t.Fatalf("11 bytes: tree %v, error %v, want ErrTooLarge", tree, err)
	}
}

// TestRenderFromOtherProgram checks that a tree of another program is not
// taken for the last tree.
func TestRenderFromOtherProgram(t *testing.T) {
	src := `<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>`
	a, _ := Compile(template.Must(template.New("a").Parse(src)))
	b, _ := Compile(template.Must(template.New("b").Parse(src)))
	ta, err := a.Render([]string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.RenderFrom(ta, []string{"x", "y"})
	if err != nil || tb.Program() != b || tb.kept != 0 || string(tb.HTML()) != "<ul><li>x</li><li>y</li></ul>" {
		t.Fatalf("RenderFrom another program's tree: %v, %v", tb, err)
	}
}

// TestIdleInstances checks that a program keeps the instances a burst of
// renderings made, up to maxIdle.
func TestIdleInstances(t *testing.T) {
	prog, err := Compile(template.Must(template.New("t").Parse(`{{range .}}<p>{{.}}</p>{{end}}`)))
	if err != nil {
		t.Fatal(err)
	}
	var busy []*instance
	for range maxIdle + 5 {
		inst, err := prog.acquire()
		if err != nil {
			t.Fatal(err)
		}
		busy = append(busy, inst)
	}
	for _, inst := range busy {
		prog.release(inst)
	}
	if len(prog.idle) != maxIdle {
		t.Fatalf("%d idle instances after a burst of %d, want %d", len(prog.idle), maxIdle+5, maxIdle)
	}
	if tree, err := prog.RenderFrom(nil, []int{1}); err != nil || string(tree.HTML()) != "<p>1</p>" {
		t.Fatalf("render after the burst: %v", err)
	}
}

package ltbench

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/livetemplate/livetemplate/internal/engine"
)

func init() { Register("engine", runEngine) }

// pageRows is the size of the reference page; middle is the row that
// single-row changes touch. bigRows is the size of the big page whose update
// is compared with Execute too.
const (
	pageRows = 100
	middle   = pageRows / 2
	bigRows  = 10000
)

// scalingRows are the page sizes of engine.update_scaling.
var scalingRows = []int{100, 1000, 10000, 100000}

// updateScaling times the headline update (one row's title) on pages of
// scalingRows rows, and the cost of one more unchanged row: the slope
// between the two largest pages.
func updateScaling(prog *engine.Program, opts Options) ([]Metric, error) {
	var ms []Metric
	ns := make([]float64, len(scalingRows))
	for k, n := range scalingRows {
		p := NewTodoPage(n)
		c := change{"update_scaling", p, p.Retitled(n/2, "Write the quarterly report, final draft")}
		upd, err := c.update(prog)
		if err != nil {
			return nil, err
		}
		iters, err := iterations(opts.Duration, upd)
		if err != nil {
			return nil, err
		}
		var times []float64
		for range opts.Rounds {
			co, err := measure(iters, upd)
			if err != nil {
				return nil, err
			}
			times = append(times, co.ns)
		}
		ns[k] = median(times)
		ms = append(ms, duration(fmt.Sprintf("engine.update_scaling_%d", n), ns[k]))
	}
	last := len(scalingRows) - 1
	slope := (ns[last] - ns[last-1]) / float64(scalingRows[last]-scalingRows[last-1])
	// Execute costs about 4 µs a row; an unchanged row should cost an eighth
	// of that at most (reading its inputs, copying its bytes, a diff that
	// finds it equal), caches missing on a page of 100,000 rows included.
	return append(ms, duration("engine.update_scaling_ns_per_row", slope).WithGoal(500)), nil
}

// change is an update of the reference page: from data a to data b.
type change struct {
	name string
	a, b *TodoPage
}

// changes returns the updates the engine suite measures, from one base page.
// The first is the headline case: one field of one row.
func changes(base *TodoPage) []change {
	return []change{
		{"update", base, base.Retitled(middle, "Write the quarterly report, final draft")},
		{"insert_middle", base, base.Inserted(middle, "Pick up the parcel")},
		{"reverse", base, base.Reversed()},
		{"change_all", base, base.AllToggled()},
		{"remove_one", base, base.Removed(middle)},
		{"toggle_one", base, base.Toggled(middle)},
	}
}

// timed lists the changes whose time the suite compares with Execute; the
// others only report their size (remove_one is insert_middle's way back,
// which that cycle already times).
var timed = map[string]bool{"update": true, "insert_middle": true, "reverse": true, "change_all": true, "update_10k_one_field": true}

// runEngine measures render and diff of the reference page against
// html/template's Execute of the same page with the same data, in one run.
func runEngine(opts Options) ([]Metric, error) {
	tmpl := NewTodoTemplate()
	prog, err := engine.Compile(tmpl)
	if err != nil {
		return nil, fmt.Errorf("compile the todo page: %w", err)
	}
	base := NewTodoPage(pageRows)
	big := NewTodoPage(bigRows)
	cs := append(changes(base), change{"update_10k_one_field", big, big.Retitled(bigRows/2, "Write the quarterly report, final draft")})
	ms, err := timeChanges(tmpl, prog, cs, opts)
	if err != nil {
		return nil, err
	}
	scaling, err := updateScaling(prog, opts)
	if err != nil {
		return nil, err
	}
	ms = append(ms, scaling...)
	for _, c := range changes(base) {
		cm, err := c.sizes(prog)
		if err != nil {
			return nil, err
		}
		ms = append(ms, cm...)
	}
	first, err := prog.Render(base)
	if err != nil {
		return nil, fmt.Errorf("render the todo page: %w", err)
	}
	tree := first.AppendJSON(nil)
	return append(ms,
		byteCount("engine.first_render_tree_bytes", len(tree)),
		byteCount("engine.first_render_html_bytes", len(first.HTML())),
		ratio("engine.first_render_tree_vs_html_ratio", float64(len(tree))/float64(len(first.HTML()))),
	), nil
}

// sizes reports the bytes of c's diff; for the headline update also its
// share of the page and the whole wire message.
func (c change) sizes(prog *engine.Program) ([]Metric, error) {
	d, err := c.diff(prog)
	if err != nil {
		return nil, err
	}
	if c.name != "update" {
		return []Metric{byteCount("engine."+c.name+"_bytes", len(d))}, nil
	}
	full, err := prog.Render(c.b)
	if err != nil {
		return nil, fmt.Errorf("%s: render: %w", c.name, err)
	}
	return []Metric{
		ratio("engine.update_bytes_ratio", float64(len(d))/float64(len(full.HTML()))).WithGoal(0.005),
		byteCount("engine.update_message_bytes", len(appendDiffMessage(nil, d))),
		byteCount("engine.update_bytes", len(d)),
	}, nil
}

// diff returns the encoded diff from c.a to c.b. A change that the engine
// sees as none is an error: the fixture would measure nothing.
func (c change) diff(prog *engine.Program) ([]byte, error) {
	a, err := prog.Render(c.a)
	if err != nil {
		return nil, fmt.Errorf("%s: render a: %w", c.name, err)
	}
	b, err := prog.Render(c.b)
	if err != nil {
		return nil, fmt.Errorf("%s: render b: %w", c.name, err)
	}
	d, changed, err := engine.AppendDiff(nil, a, b)
	if err != nil {
		return nil, fmt.Errorf("%s: diff: %w", c.name, err)
	}
	if !changed {
		return nil, fmt.Errorf("%s: the diff is empty", c.name)
	}
	return d, nil
}

// appendDiffMessage appends the wire message that carries diff d for page 1
// from version 1 to 2. This envelope is an assumption until the WebSocket
// protocol fixes the real one (BENCHMARKS.md).
func appendDiffMessage(dst, d []byte) []byte {
	dst = append(dst, `{"t":"diff","p":1,"v":2,"b":1,"d":`...)
	dst = append(dst, d...)
	return append(dst, '}')
}

// execute returns an op that executes t for c.a and c.b in turn into one
// reused buffer: the baseline every update is compared with.
func (c change) execute(t *template.Template) op {
	var buf bytes.Buffer
	data := [2]*TodoPage{c.a, c.b}
	i := 0
	return func() error {
		buf.Reset()
		i ^= 1
		return t.Execute(&buf, data[i])
	}
}

// update returns an op that renders c.a and c.b in turn from the tree
// before and diffs each tree against it, as a page does on every change of
// its data. The diff goes into one reused buffer, as Execute's output does.
func (c change) update(prog *engine.Program) (op, error) {
	prev, err := prog.Render(c.a)
	if err != nil {
		return nil, fmt.Errorf("%s: render: %w", c.name, err)
	}
	data := [2]*TodoPage{c.a, c.b}
	var msg []byte
	i := 0
	return func() error {
		i ^= 1
		t, err := prog.RenderFrom(prev, data[i])
		if err != nil {
			return err
		}
		msg, _, err = engine.AppendDiff(msg[:0], prev, t)
		prev = t
		return err
	}, nil
}

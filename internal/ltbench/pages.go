package ltbench

import (
	"fmt"
	"html/template"
	"math"
	"runtime"

	"github.com/livetemplate/livetemplate"
)

func init() { Register("pages", runPages) }

// smallTemplate is a page with almost nothing in it: what it holds is the
// fixed cost of a page, whatever its template.
const smallTemplate = `<p>{{.}}</p>`

// runPages measures what a live page of the public API costs: the memory it
// holds while idle, and the time of an update and of a new page against
// html/template's Execute of the same page.
func runPages(opts Options) ([]Metric, error) {
	n := opts.Pages
	if n == 0 {
		n = DefaultPages
	}
	todo, err := idlePage(NewTodoTemplate(), NewTodoPage(pageRows), n)
	if err != nil {
		return nil, fmt.Errorf("todo page: %w", err)
	}
	small, err := idlePage(template.Must(template.New("small").Parse(smallTemplate)), "Hello", n)
	if err != nil {
		return nil, fmt.Errorf("small page: %w", err)
	}
	ms := []Metric{
		// The design: an idle page holds its last rendering and little
		// else. The rendering keeps the dynamic values (the statics are
		// the program's, shared by every page) and, for the rows it may
		// copy into the next rendering, what each row read; together
		// under the HTML's own size for a real page. 2 KiB is for the
		// rest: the page, its token, its store record and its share of the
		// maps that find it. A page over 2x its HTML plus 2 KiB holds
		// something it does not need; the per-byte goal keeps the
		// rendering below 1.2 bytes a byte of HTML, all included.
		byteCount("pages.idle_page_bytes", todo.bytes).WithGoal(float64(2*todo.html + 2048)),
		ratio("pages.idle_page_bytes_per_html_byte", float64(todo.bytes)/float64(todo.html)).WithGoal(1.2),
		byteCount("pages.idle_small_page_bytes", small.bytes),
	}
	tms, err := timePages(opts)
	if err != nil {
		return nil, err
	}
	return append(ms, tms...), nil
}

// idle is the memory of one idle page and the length of its HTML.
type idle struct{ bytes, html int }

// idlePage creates n pages of tmpl that all share data, renders each once
// (as the HTTP response that shows a page does) and returns the heap they
// hold per page. Sharing the data leaves it out of the count: what is left
// is what the library holds for each page.
func idlePage(tmpl *template.Template, data any, n int) (idle, error) {
	app, err := livetemplate.NewApplication(livetemplate.WithMaxPages(n + 1))
	if err != nil {
		return idle{}, err
	}
	defer app.Close()
	if err := app.RegisterTemplate("page", tmpl); err != nil {
		return idle{}, err
	}
	// One page before the count warms up what the first rendering sets up
	// once (the program's size hints, the pool of walkers) and gives the
	// HTML's length.
	first, err := servedPage(app, data)
	if err != nil {
		return idle{}, err
	}
	pages := make([]*livetemplate.Page, n)
	before := heapAfterGC()
	for i := range pages {
		if pages[i], err = servedPage(app, data); err != nil {
			return idle{}, err
		}
	}
	after := heapAfterGC()
	runtime.KeepAlive(pages)
	html, err := first.Render()
	if err != nil {
		return idle{}, err
	}
	return idle{bytes: int(math.Round(float64(after-before) / float64(n))), html: len(html)}, nil
}

// servedPage creates a page and renders it once, as a handler that serves
// the page does; the HTML is dropped, as it would be once sent.
func servedPage(app *livetemplate.Application, data any) (*livetemplate.Page, error) {
	p, err := app.NewPage("page", data)
	if err != nil {
		return nil, err
	}
	if _, err := p.Render(); err != nil {
		return nil, err
	}
	return p, nil
}

// heapAfterGC returns the bytes of live heap objects. It collects twice, so
// that what sync.Pool keeps for one more cycle is gone as well.
func heapAfterGC() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// timePages times an update of a page and the creation of a new one against
// Execute of the same data, in one interleaved run as the engine suite does.
func timePages(opts Options) ([]Metric, error) {
	app, err := livetemplate.NewApplication()
	if err != nil {
		return nil, err
	}
	defer app.Close()
	if err := app.RegisterTemplate("todo", NewTodoTemplate()); err != nil {
		return nil, err
	}
	// The engine suite's headline change, retitling one row; the baseline
	// executes its own template, as the application needs one not executed.
	c := changes(NewTodoPage(pageRows))[0]
	tmpl := NewTodoTemplate()
	upd, err := c.pageUpdate(app)
	if err != nil {
		return nil, err
	}
	updRace, err := newRace("update", upd, c.execute(tmpl), opts.Duration)
	if err != nil {
		return nil, err
	}
	newPageRace, err := newRace("new_page", c.newPage(app), c.execute(tmpl), opts.Duration)
	if err != nil {
		return nil, err
	}
	if err := runRaces([]*race{updRace, newPageRace}, opts.Rounds); err != nil {
		return nil, err
	}
	u, p := updRace.medians(), newPageRace.medians()
	return []Metric{
		// The engine's goal for an update holds through the page: its lock,
		// its store write and its bookkeeping add little to render and diff.
		ratio("pages.update_vs_execute", u.time).WithGoal(1.5),
		// A new page is one render plus a token, a store write and the copy
		// of the HTML for the response: serving a page with LiveTemplate
		// should cost no more over Execute than updating one.
		ratio("pages.new_page_vs_execute", p.time).WithGoal(1.5),
		duration("pages.update_time", u.subjectNs),
		duration("pages.new_page_time", p.subjectNs),
		duration("pages.execute_time", u.execNs),
	}, nil
}

// pageUpdate returns an op that updates one page with c.a and c.b in turn:
// every call renders, diffs and stores a real change.
func (c change) pageUpdate(app *livetemplate.Application) (op, error) {
	p, err := app.NewPage("todo", c.a)
	if err != nil {
		return nil, err
	}
	data := [2]*TodoPage{c.a, c.b}
	i := 0
	return func() error {
		i ^= 1
		u, err := p.Update(data[i])
		if err == nil && !u.Changed() {
			err = fmt.Errorf("%s: the update changed nothing", c.name)
		}
		return err
	}, nil
}

// newPage returns an op that creates a page of c.a or c.b in turn, renders
// it as a handler serving it does, and closes it, so that the set of pages
// stays the same size.
func (c change) newPage(app *livetemplate.Application) op {
	data := [2]*TodoPage{c.a, c.b}
	i := 0
	return func() error {
		i ^= 1
		p, err := app.NewPage("todo", data[i])
		if err != nil {
			return err
		}
		if _, err := p.Render(); err != nil {
			return err
		}
		return p.Close()
	}
}

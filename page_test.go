package livetemplate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/livetemplate/livetemplate"
)

type item struct {
	ID    int
	Title string
}

type list struct {
	Name  string
	Items []item
}

const listSrc = `<h1>{{.Name}}</h1><ul>{{range .Items}}<li data-key="{{.ID}}"><a href="/i/{{.ID}}?t={{.Title}}">{{.Title}}</a></li>{{else}}<li>empty</li>{{end}}</ul>` +
	`<script>const pageToken = "{{PAGE_TOKEN}}"; const name = {{.Name}};</script>`

// TestUpdateParity: a client that holds only the snapshot and the updates
// has, after every update, exactly Execute's HTML of the page's latest data,
// and so has Render.
func TestUpdateParity(t *testing.T) {
	app := newApp(t)
	register(t, app, "list", listSrc)
	steps := []list{
		{Name: "Groceries"},
		{Name: "Groceries", Items: []item{{1, "milk"}, {2, "eggs & ham"}}},
		{Name: "Groceries", Items: []item{{2, "eggs & ham"}, {1, "milk"}, {3, `"quoted" <b>`}}},
		{Name: "Errands</script>", Items: []item{{3, `"quoted" <b>`}}},
		{Name: "Errands</script>", Items: []item{{3, `"quoted" <b>`}}},
		{Name: "javascript:alert(1)"},
	}
	p := newPage(t, app, "list", steps[0])
	tok := p.GetToken()
	snap, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var c client
	c.apply(t, snap)
	for i, data := range steps {
		if i > 0 {
			u, err := p.Update(data)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			c.apply(t, u)
		}
		want := execute(t, listSrc, data, tok)
		if got := c.html(t); got != want {
			t.Fatalf("step %d: client holds\n%s\nExecute writes\n%s", i, got, want)
		}
		if got, err := p.Render(); err != nil || got != want {
			t.Fatalf("step %d: Render = %q, %v; want %q", i, got, err, want)
		}
		if c.version != p.Version() {
			t.Fatalf("step %d: client at version %d, page at %d", i, c.version, p.Version())
		}
	}
}

func TestVersionCountsChanges(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<p>{{.A}}</p>`)
	type data struct{ A, Hidden int }
	p := newPage(t, app, "p", data{})
	if v := p.Version(); v != 1 {
		t.Fatalf("new page at version %d, want 1", v)
	}
	u, err := p.Update(data{Hidden: 1})
	if err != nil {
		t.Fatal(err)
	}
	if u.Changed() || u.Version != 1 || u.Base != 1 || p.Version() != 1 {
		t.Fatalf("invisible change: %+v, page at %d; want no change at version 1", u, p.Version())
	}
	if b, _ := json.Marshal(u); string(b) != "null" {
		t.Fatalf("unchanged Update encodes as %s, want null", b)
	}
	if got := p.Data(); got != (data{Hidden: 1}) {
		t.Fatalf("Data after an invisible change = %v: the data must still be replaced", got)
	}
	u, err = p.Update(data{A: 1, Hidden: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !u.Changed() || u.Base != 1 || u.Version != 2 || p.Version() != 2 {
		t.Fatalf("visible change: %+v, page at %d; want 1 -> 2", u, p.Version())
	}
	if b, _ := json.Marshal(u); string(b) != `{"type":"diff","v":2,"base":1,"d":{"f":{"0":"1"}}}` {
		t.Fatalf("diff message %s", b)
	}
}

func TestUpdateErrorKeepsPage(t *testing.T) {
	app := newApp(t, livetemplate.WithMaxPageSize(100))
	register(t, app, "p", `<p>{{.Text}}</p>`)
	type ok struct{ Text string }
	p := newPage(t, app, "p", ok{"a"})
	if _, err := p.Update(42); err == nil || !strings.Contains(err.Error(), "Text") {
		t.Fatalf("Update with data Execute rejects: got %v", err)
	}
	if _, err := p.Update(ok{strings.Repeat("x", 100)}); !errors.Is(err, livetemplate.ErrLimitReached) {
		t.Fatalf("Update past the size limit: got %v, want ErrLimitReached", err)
	}
	if html, _ := p.Render(); html != "<p>a</p>" || p.Version() != 1 || p.Data() != (ok{"a"}) {
		t.Fatalf("after failed updates: %q at version %d with %v; want the page unchanged", html, p.Version(), p.Data())
	}
	u, err := p.Update(ok{"b"})
	if err != nil || u.Base != 1 || u.Version != 2 {
		t.Fatalf("update after failures: %+v, %v", u, err)
	}
}

// TestConcurrentUpdates: updates from many goroutines are applied one at a
// time: their versions have no gap and no repeat, and a client that applies
// them in version order ends with the HTML of the page's final data.
func TestConcurrentUpdates(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", "start")
	const writers, each = 8, 50
	updates := make(chan livetemplate.Update, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				u, err := p.Update(fmt.Sprintf("w%d-%d", w, i))
				if err != nil {
					t.Error(err)
					return
				}
				updates <- u
				if _, err := p.Render(); err != nil {
					t.Error(err)
				}
				p.Version()
				p.Data()
			}
		})
	}
	wg.Wait()
	close(updates)
	byBase := make(map[uint64]livetemplate.Update)
	for u := range updates {
		if _, dup := byBase[u.Base]; dup {
			t.Fatalf("two updates from version %d", u.Base)
		}
		byBase[u.Base] = u
	}
	if got, want := p.Version(), uint64(1+writers*each); got != want {
		t.Fatalf("version %d after %d changes, want %d", got, writers*each, want)
	}
	var c client
	snapshotOf(t, app, &c)
	for v := uint64(1); v < p.Version(); v++ {
		c.apply(t, byBase[v])
	}
	want := execute(t, `<p>{{.}}</p>`, p.Data(), "")
	if got := c.html(t); got != want {
		t.Fatalf("client ends with %q, want %q", got, want)
	}
}

// snapshotOf gives c the first version of a page of `<p>{{.}}</p>`.
func snapshotOf(t *testing.T, app *livetemplate.Application, c *client) {
	t.Helper()
	p := newPage(t, app, "p", "start")
	defer p.Close()
	snap, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	c.apply(t, snap)
}

func TestPageClose(t *testing.T) {
	store := new(livetemplate.MemoryStore)
	app := newApp(t, livetemplate.WithStore(store))
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for name, call := range map[string]func() error{
		"Render":   func() error { _, err := p.Render(); return err },
		"Update":   func() error { _, err := p.Update(2); return err },
		"Snapshot": func() error { _, err := p.Snapshot(); return err },
		"GetPage":  func() error { _, err := app.GetPage(p.GetToken()); return err },
	} {
		if err := call(); !errors.Is(err, livetemplate.ErrPageClosed) {
			t.Errorf("%s after Close: got %v, want ErrPageClosed", name, err)
		}
	}
	if _, err := store.Get(t.Context(), p.ID()); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Errorf("the closed page's record is still in the store: %v", err)
	}
}

// TestPageTokenContexts: PAGE_TOKEN writes the page's token, escaped for its
// context exactly as html/template escapes it, in every context where a
// template may use it.
func TestPageTokenContexts(t *testing.T) {
	app := newApp(t)
	srcs := map[string]string{
		"text":      `<p>{{PAGE_TOKEN}}</p>`,
		"attribute": `<div data-token="{{PAGE_TOKEN}}"></div>`,
		"url":       `<a href="/ws?token={{PAGE_TOKEN}}">x</a>`,
		"js string": `<script>const pageToken = "{{PAGE_TOKEN}}";</script>`,
		"js value":  `<script>const pageToken = {{PAGE_TOKEN}};</script>`,
		"css":       `<style>.x { content: "{{PAGE_TOKEN}}" }</style>`,
		"called":    `{{define "t"}}<i>{{PAGE_TOKEN}}</i>{{end}}<p>{{template "t"}}</p>`,
		"in a row":  `{{range .}}<b>{{.}}-{{PAGE_TOKEN}}</b>{{end}}`,
		"unused":    `<p>PAGE_TOKEN is not called here</p>`,
	}
	for name, src := range srcs {
		register(t, app, name, src)
		p := newPage(t, app, name, []int{1, 2})
		want := execute(t, src, []int{1, 2}, p.GetToken())
		if got, err := p.Render(); err != nil || got != want {
			t.Errorf("%s: Render = %q, %v; want %q", name, got, err, want)
		}
		if name != "unused" && !strings.Contains(want, p.GetToken()) {
			t.Errorf("%s: the page's HTML %q lacks its token", name, want)
		}
		var c client
		snap, err := p.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		c.apply(t, snap)
		u, err := p.Update([]int{3, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		c.apply(t, u)
		if got, want := c.html(t), execute(t, src, []int{3, 1, 2}, p.GetToken()); got != want {
			t.Errorf("%s: client holds %q, want %q", name, got, want)
		}
	}
}

// TestPageVersionFunc: PAGE_VERSION writes the version of the page when its
// HTML is rendered, for the client's script tag, and FuncMap's writes
// nothing.
func TestPageVersionFunc(t *testing.T) {
	app := newApp(t)
	src := `<script src="/livetemplate.js" data-token="{{PAGE_TOKEN}}" data-version="{{PAGE_VERSION}}"></script><p>{{.}}</p>`
	register(t, app, "p", src)
	p := newPage(t, app, "p", "a")
	tag := func(v string) string {
		return `<script src="/livetemplate.js" data-token="` + p.GetToken() + `" data-version="` + v + `"></script>`
	}
	if got, _ := p.Render(); got != tag("1")+"<p>a</p>" {
		t.Errorf("Render at version 1 = %q", got)
	}
	if _, err := p.Update("b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Render(); got != tag("2")+"<p>b</p>" {
		t.Errorf("Render at version 2 = %q", got)
	}
	snap, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(snap.Body), `","2","b"]}`) {
		t.Errorf("snapshot at version 2 = %s", snap.Body)
	}
	var b strings.Builder
	oracle := template.Must(template.New("o").Funcs(livetemplate.FuncMap()).Parse(src))
	if err := oracle.Execute(&b, "a"); err != nil {
		t.Fatal(err)
	}
	if want := `<script src="/livetemplate.js" data-token="" data-version=""></script><p>a</p>`; b.String() != want {
		t.Errorf("FuncMap's PAGE_VERSION: %q, want %q", b.String(), want)
	}
}

// TestPageTokensDiffer: two pages of one template render their own tokens.
func TestPageTokensDiffer(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<script>const pageToken = "{{PAGE_TOKEN}}";</script>`)
	a, b := newPage(t, app, "p", nil), newPage(t, app, "p", nil)
	ha, _ := a.Render()
	hb, _ := b.Render()
	if a.GetToken() == b.GetToken() || !strings.Contains(ha, a.GetToken()) || !strings.Contains(hb, b.GetToken()) {
		t.Fatalf("pages render %q and %q for tokens %q and %q", ha, hb, a.GetToken(), b.GetToken())
	}
}

// TestPageNeverPrintsItsToken: printing or logging a page names it by its id.
func TestPageNeverPrintsItsToken(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	var log strings.Builder
	slog.New(slog.NewJSONHandler(&log, nil)).Info("page", "page", p)
	slog.New(slog.NewTextHandler(&log, nil)).Info("page", "page", p)
	printed := fmt.Sprintf("%v %+v %#v %s", p, p, p, p) + log.String()
	if strings.Contains(printed, p.GetToken()) || strings.Contains(printed, p.GetToken()[26:]) {
		t.Fatalf("printed page shows its token: %s", printed)
	}
	if !strings.Contains(printed, p.ID()) {
		t.Fatalf("printed page does not name its id: %s", printed)
	}
}

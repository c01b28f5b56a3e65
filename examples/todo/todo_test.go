package todo_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
	"github.com/livetemplate/livetemplate/examples/todo"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T) (*pagetest.Server, *livetemplatetest.Page) {
	t.Helper()
	s := pagetest.Start(t)
	if err := todo.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	return s, s.Open(t, pagetest.Context(t), "/todo/")
}

var row = regexp.MustCompile(`<li data-key="(\d+)"( class="done")?>`)

// rows returns the list's rows in order, as "id" or "id done".
func rows(html string) string {
	var out []string
	for _, m := range row.FindAllStringSubmatch(html, -1) {
		out = append(out, strings.TrimSpace(m[1]+strings.ReplaceAll(m[2], ` class="done"`, " done")))
	}
	return strings.Join(out, ",")
}

func send(t *testing.T, ctx context.Context, p *livetemplatetest.Page, name string, data map[string]string) {
	t.Helper()
	if err := p.Event(ctx, name, data); err != nil {
		t.Fatalf("%s %v: %v", name, data, err)
	}
}

// TestTodoRows: add, toggle, move and delete rows, seen by a second
// browser that opens the list's address.
func TestTodoRows(t *testing.T) {
	s, p := open(t)
	ctx := pagetest.Context(t)
	if got := rows(p.HTML()); got != "1 done,2" {
		t.Fatalf("a new list: rows %q", got)
	}
	other := s.Join(t, ctx, p.Token())
	send(t, ctx, p, "add", map[string]string{"title": " milk "})
	send(t, ctx, p, "toggle", map[string]string{"id": "1"})
	send(t, ctx, p, "move", map[string]string{"id": "3", "by": "-1"})
	send(t, ctx, p, "move", map[string]string{"id": "1", "by": "1"})
	send(t, ctx, p, "move", map[string]string{"id": "2", "by": "1"}) // already last: no change
	want := "3,1,2"
	if got := rows(p.HTML()); got != want || !strings.Contains(p.HTML(), "<span>milk</span>") {
		t.Fatalf("rows %q, want %q: %s", got, want, p.HTML())
	}
	send(t, ctx, p, "toggle", map[string]string{"id": "2"})
	send(t, ctx, p, "delete", map[string]string{"id": "3"})
	want = "1,2 done"
	if err := other.Wait(ctx, func(html string) bool { return rows(html) == want }); err != nil {
		t.Fatalf("the other browser: %v; rows %q", err, rows(other.HTML()))
	}
	if !strings.Contains(p.HTML(), `<p class="muted" id="left">1 of 2 left</p>`) {
		t.Errorf("the count: %s", p.HTML())
	}
}

// TestTodoValidation: the server's verdict on the title, while typing and
// on add, is in the page; a refused title adds nothing and stays in the field.
func TestTodoValidation(t *testing.T) {
	_, p := open(t)
	ctx := pagetest.Context(t)
	long := strings.Repeat("x", todo.MaxTitle+1)
	for _, c := range []struct{ event, title, error string }{
		{"check", "", ""},
		{"check", "read the GUIDE", `&#34;Read the guide&#34; is on the list already.`},
		{"check", long, "At most 60 characters, please (this is 61)."},
		{"add", long, "At most 60 characters, please (this is 61)."},
		{"add", "  ", "Write what needs doing first."},
		{"check", "bread", ""},
		{"add", "bread", ""},
	} {
		send(t, ctx, p, c.event, map[string]string{"title": c.title})
		html := p.HTML()
		if !strings.Contains(html, `<p id="title-error" class="error" role="alert">`+c.error+`</p>`) {
			t.Errorf("%s %q: the error is not %q: %s", c.event, c.title, c.error, html)
		}
		if invalid := strings.Contains(html, `aria-invalid="true"`); invalid != (c.error != "") {
			t.Errorf("%s %q: aria-invalid %v", c.event, c.title, invalid)
		}
	}
	if got := rows(p.HTML()); got != "1 done,2,3" {
		t.Errorf("rows %q: only bread is added", got)
	}
	if !strings.Contains(p.HTML(), `<input name="title" value=""`) {
		t.Errorf("after an add the server's field is not empty: %s", p.HTML())
	}
}

// TestTodoUnknown: an address of no list says so, and links to a new one.
func TestTodoUnknown(t *testing.T) {
	s, _ := open(t)
	res, err := http.Get(s.URL + "/todo/nosuchlist")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `<a href="/todo/">`) {
		t.Errorf("an unknown list: %d %s", res.StatusCode, body)
	}
}

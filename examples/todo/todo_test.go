package todo_test

import (
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
	"github.com/livetemplate/livetemplate/examples/signin"
	"github.com/livetemplate/livetemplate/examples/todo"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open makes a list and opens it as a browser does: it returns the
// viewer's draft and the list.
func open(t *testing.T) (s *pagetest.Server, draft, list *livetemplatetest.Page) {
	t.Helper()
	s = pagetest.Start(t)
	if err := todo.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	pages := view(t, pagetest.Context(t), s, s.Get(t, "/todo/").Request.URL.Path)
	if len(pages) != 2 {
		t.Fatalf("a list's HTML names %d pages, want the draft and the list", len(pages))
	}
	return s, pages[0], pages[1]
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

func send(t *testing.T, ctx context.Context, p *livetemplatetest.Page, name string, data any) {
	t.Helper()
	if err := p.Event(ctx, name, data); err != nil {
		t.Fatalf("%s %v: %v", name, data, err)
	}
}

// TestTodoRows: add, toggle, move and delete rows, seen by a second
// browser that opens the list's address.
func TestTodoRows(t *testing.T) {
	s, draft, p := open(t)
	ctx := pagetest.Context(t)
	if got := rows(p.HTML()); got != "1 done,2" {
		t.Fatalf("a new list: rows %q", got)
	}
	other := s.Join(t, ctx, p.Token())
	send(t, ctx, draft, "add", map[string]string{"title": " milk "})
	if err := p.Wait(ctx, func(html string) bool { return rows(html) == "1 done,2,3" }); err != nil {
		t.Fatalf("after add: %v; rows %q", err, rows(p.HTML()))
	}
	send(t, ctx, p, "toggle", map[string]string{"id": "1"})
	send(t, ctx, p, "move", map[string]string{"id": "3", "by": "-1"})
	send(t, ctx, p, "move", map[string]string{"id": "1", "by": "1"})
	send(t, ctx, p, "move", map[string]string{"id": "2", "by": "1"}) // already last: no change
	want := "3,1,2"
	if got := rows(p.HTML()); got != want || !strings.Contains(p.HTML(), "<span>milk</span>") {
		t.Fatalf("rows %q, want %q: %s", got, want, p.HTML())
	}
	send(t, ctx, p, "toggle", map[string]string{"id": "2"})
	// Delete asks first, in the browser alone: the ✕ sends nothing.
	if err := p.Click(ctx, `li[data-key="3"] [aria-label=Delete]`); err != nil || rows(p.HTML()) != "3,1,2 done" {
		t.Fatalf("✕: %v; rows %q", err, rows(p.HTML()))
	}
	if err := p.Click(ctx, `#confirm-3 button:contains("Yes")`); err != nil {
		t.Fatal(err)
	}
	want = "1,2 done"
	if err := other.Wait(ctx, func(html string) bool { return rows(html) == want }); err != nil {
		t.Fatalf("the other browser: %v; rows %q", err, rows(other.HTML()))
	}
	if !strings.Contains(p.HTML(), `<p class="muted" id="left">1 of 2 left</p>`) {
		t.Errorf("the count: %s", p.HTML())
	}
}

// TestTodoValidation: the server's verdict on the title, while typing and
// on add, is in the viewer's draft; a refused title adds nothing and stays
// in the field.
func TestTodoValidation(t *testing.T) {
	_, draft, list := open(t)
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
		send(t, ctx, draft, c.event, map[string]string{"title": c.title})
		html := draft.HTML()
		if !strings.Contains(html, `<p id="title-error" class="error" role="alert">`+c.error+`</p>`) {
			t.Errorf("%s %q: the error is not %q: %s", c.event, c.title, c.error, html)
		}
		if invalid := strings.Contains(html, `aria-invalid="true"`); invalid != (c.error != "") {
			t.Errorf("%s %q: aria-invalid %v", c.event, c.title, invalid)
		}
	}
	if err := list.Wait(ctx, func(html string) bool { return rows(html) == "1 done,2,3" }); err != nil {
		t.Errorf("%v: rows %q, want only bread added", err, rows(list.HTML()))
	}
	// The one reply is bread's: the refused adds gave none.
	r, err := draft.NextReply(ctx)
	var added todo.Added
	if err != nil || r.Decode(&added) != nil || added != (todo.Added{ID: 3, Title: "bread"}) {
		t.Errorf("the add's reply %s, %v; want bread as #3", r.Data, err)
	}
	if !strings.Contains(draft.HTML(), `<input name="title" value=""`) {
		t.Errorf("after an add the server's field is not empty: %s", draft.HTML())
	}
}

// TestTodoUnknown: an address of no list says so, on a page of the demo's
// look, and links to a new one.
func TestTodoUnknown(t *testing.T) {
	s, _, _ := open(t)
	res, err := http.Get(s.URL + "/todo/nosuchlist")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{`<a href="/todo/">`, `<meta name="viewport"`, `href="/demo.css"`} {
		if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), want) {
			t.Errorf("an unknown list: %d, no %s in %s", res.StatusCode, want, body)
		}
	}
}

var tokens = regexp.MustCompile(`data-token="([a-z0-9]+)"`)

// view loads path as a browser does and joins every page its HTML names;
// it returns them in the order of the HTML.
func view(t *testing.T, ctx context.Context, s *pagetest.Server, path string) []*livetemplatetest.Page {
	t.Helper()
	var pages []*livetemplatetest.Page
	for _, m := range tokens.FindAllStringSubmatch(s.HTML(t, path), -1) {
		pages = append(pages, s.Join(t, ctx, m[1]))
	}
	return pages
}

// html is what a viewer's pages hold.
func html(pages []*livetemplatetest.Page) string {
	var b strings.Builder
	for _, p := range pages {
		b.WriteString(p.HTML())
	}
	return b.String()
}

// TestTodoDraftIsOwn: what one viewer of a list types, and the server's
// verdict on it, stay theirs; the list is everyone's.
func TestTodoDraftIsOwn(t *testing.T) {
	s := pagetest.Start(t)
	if err := todo.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	ctx := pagetest.Context(t)
	s.Get(t, "/todo/todo.js") // the script that joins the draft
	res := s.Get(t, "/todo/")
	address := res.Request.URL.Path
	alice, bob := view(t, ctx, s, address), view(t, ctx, s, address)
	send(t, ctx, alice[0], "check", map[string]string{"title": "read the GUIDE"})
	if !strings.Contains(html(alice), "is on the list already") {
		t.Fatalf("alice's view lacks her error: %s", html(alice))
	}
	send(t, ctx, bob[0], "check", map[string]string{"title": "bre"})
	if h := html(bob); strings.Contains(h, "GUIDE") || strings.Contains(h, "on the list already") || !strings.Contains(h, `value="bre"`) {
		t.Errorf("bob's view after alice typed and he typed: %s", h)
	}
	if h := html(alice); strings.Contains(h, "bre") || !strings.Contains(h, `value="read the GUIDE"`) {
		t.Errorf("alice's view after bob typed: %s", h)
	}
	// An add reaches every viewer's list, and nobody else's draft; the
	// same title added again is refused to the one who added it second.
	send(t, ctx, alice[0], "add", map[string]string{"title": "eggs"})
	if err := bob[1].Wait(ctx, func(h string) bool { return strings.Contains(h, "<span>eggs</span>") }); err != nil {
		t.Fatalf("bob's list after alice's add: %v; %s", err, bob[1].HTML())
	}
	if !strings.Contains(bob[0].HTML(), `value="bre"`) {
		t.Errorf("bob's draft after alice's add: %s", bob[0].HTML())
	}
	send(t, ctx, bob[0], "add", map[string]string{"title": "EGGS"})
	if h := bob[0].HTML(); !strings.Contains(h, "&#34;eggs&#34; is on the list already.") || strings.Contains(html(alice), "already") {
		t.Errorf("bob adds eggs again: his draft %s", h)
	}
}

// TestTodoDraftOfEndedList: a draft whose list has ended says so.
func TestTodoDraftOfEndedList(t *testing.T) {
	s, draft, list := open(t)
	page, err := s.App.GetPage(list.Token())
	if err != nil {
		t.Fatal(err)
	}
	page.Close()
	var e *livetemplatetest.Error
	err = draft.Event(pagetest.Context(t), "check", map[string]string{"title": "x"})
	if !errors.As(err, &e) || e.Code != "handler_error" || !strings.Contains(e.Message, "ended") {
		t.Errorf("check in the draft of a closed list: %v", err)
	}
}

// TestTodoOwner: a member's list is theirs: a stranger can neither load it,
// join it nor change it, until its owner shares it; then both edit it and
// see who views it, and only the owner may stop sharing.
func TestTodoOwner(t *testing.T) {
	s := pagetest.Start(t, livetemplate.WithConnect(signin.Identify), livetemplate.WithJoinCheck(todo.MayJoin),
		livetemplate.WithJoinLeave(todo.Present, todo.Present))
	if err := todo.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	ctx := pagetest.Context(t)
	cookie := func(name string) http.Header { return http.Header{"Cookie": {signin.Cookie + "=" + name}} }
	get := func(path, name string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
		req.Header = cookie(name)
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	token := strings.TrimPrefix(get("/todo/", "alice").Header.Get("Location"), "/todo/")
	if res := get("/todo/"+token, "bob"); res.StatusCode != http.StatusForbidden {
		t.Errorf("bob loads alice's list: HTTP %d, want 403", res.StatusCode)
	}
	bob, err := livetemplatetest.Dial(ctx, s.URL+"/live", livetemplatetest.WithHeader(cookie("bob")))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	var e *livetemplatetest.Error
	if _, err := bob.Join(ctx, token); !errors.As(err, &e) || e.Code != "not_allowed" {
		t.Fatalf("bob joins alice's list: %v, want not_allowed", err)
	}
	alice := s.Join(t, ctx, token, livetemplatetest.WithHeader(cookie("alice")))
	waitFor(t, alice, "Viewing now: <b>alice</b></p>")
	if err := alice.Event(ctx, "share", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, alice, "shared with anyone who has its link")
	onBob, err := bob.Join(ctx, token)
	if err != nil {
		t.Fatalf("bob joins the shared list: %v", err)
	}
	waitFor(t, alice, "Viewing now: <b>alice</b>, <b>bob</b></p>")
	if err := onBob.Event(ctx, "toggle", map[string]string{"id": "2"}); err != nil {
		t.Errorf("bob checks an item off the shared list: %v", err)
	}
	if err := onBob.Event(ctx, "share", nil); !errors.As(err, &e) || e.Code != "not_allowed" {
		t.Errorf("bob stops sharing alice's list: %v, want not_allowed", err)
	}
}

func waitFor(t *testing.T, p *livetemplatetest.Page, part string) {
	t.Helper()
	if err := p.Wait(pagetest.Context(t), func(html string) bool { return strings.Contains(html, part) }); err != nil {
		t.Fatalf("%v; want %q in %s", err, part, p.HTML())
	}
}

var listRoot = regexp.MustCompile(`(?s)<div data-lvt-root>(.*?)</div>\s*</section>`)

// TestTodoFilter: a load of a filtered address renders the filtered list on
// the server, as html/template renders the list's data; the params event
// (a filter link, back, forward) filters it live, for every viewer; a
// filter it does not know shows all the rows.
func TestTodoFilter(t *testing.T) {
	s, _, p := open(t)
	ctx := pagetest.Context(t)
	doc := s.HTML(t, "/todo/"+p.Token()+"?filter=done")
	m := listRoot.FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("no list in %s", doc)
	}
	page, err := s.App.GetPage(p.Token())
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	oracle := template.Must(template.ParseFS(todo.Templates, "list.html"))
	if err := oracle.Execute(&want, page.Data()); err != nil {
		t.Fatal(err)
	}
	if m[1] != want.String() || rows(m[1]) != "1 done" || !strings.Contains(m[1], `aria-current="page">done</a>`) {
		t.Fatalf("the list at ?filter=done:\n%s\nwant html/template's\n%s", m[1], want.String())
	}
	other := s.Join(t, ctx, p.Token())
	for _, c := range []struct{ query, rows string }{
		{"filter=active", "2"},
		{"", "1 done,2"},
		{"filter=done", "1 done"},
		{"filter=active", "2"},
		{"filter=done", "1 done"},
		{"filter=bogus", "1 done,2"},
	} {
		send(t, ctx, p, livetemplate.ParamsEvent, c.query)
		if err := other.Wait(ctx, func(html string) bool { return rows(html) == c.rows }); err != nil {
			t.Fatalf("%q: %v; rows %q", c.query, err, rows(other.HTML()))
		}
	}
}

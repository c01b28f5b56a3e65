package livetemplatetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// The DOM methods against a real application: what each sends is what the
// page's handlers receive. client/domtest_test.go compares the same
// actions with what the browser client sends in Chromium.

// domSite is a page of the template src joined by a test client; the
// handlers of names record the events they get, "fail" fails.
type domSite struct {
	page *livetemplatetest.Page
	mu   sync.Mutex
	got  []string // "name data", data as compact JSON with sorted keys
}

func newDOMSite(t *testing.T, src string, data any, names ...string) *domSite {
	t.Helper()
	app, err := livetemplate.NewApplication(livetemplate.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	if err := app.RegisterTemplate("t", template.Must(template.New("t").Parse(src))); err != nil {
		t.Fatal(err)
	}
	s := &domSite{}
	for _, name := range names {
		err := app.HandleEvent("t", name, func(_ context.Context, _ *livetemplate.Page, e livetemplate.Event) error {
			var d any
			if err := json.Unmarshal(e.Data, &d); err != nil {
				return err
			}
			b, _ := json.Marshal(d)
			s.mu.Lock()
			s.got = append(s.got, e.Name+" "+string(b))
			s.mu.Unlock()
			if e.Name == "fail" {
				return errors.New("no, thanks")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	p, err := app.NewPage("t", data)
	if err != nil {
		t.Fatal(err)
	}
	c, err := livetemplatetest.Dial(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if s.page, err = c.Join(t.Context(), p.GetToken()); err != nil {
		t.Fatal(err)
	}
	return s
}

// events returns the events received since the last call.
func (s *domSite) events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.got
	s.got = nil
	return got
}

// expect checks that err is nil and that the handlers got want.
func (s *domSite) expect(t *testing.T, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.events(); !slices.Equal(got, want) {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

const readSrc = `<ul id="list">{{range .}}<li class="item{{if .Done}} done{{end}}" data-id="{{.ID}}">{{.Title}} <b>!</b></li>{{end}}</ul>
<input id="box" type="checkbox" checked>`

type item struct {
	ID    int
	Title string
	Done  bool
}

func TestDOMRead(t *testing.T) {
	s := newDOMSite(t, readSrc, []item{{1, "milk", true}, {2, "eggs", false}})
	p := s.page
	if n, err := p.Count("li.item"); err != nil || n != 2 {
		t.Errorf("Count(li.item) = %d, %v", n, err)
	}
	if ok, err := p.Has(`li:contains("eggs"):not(.done)`); err != nil || !ok {
		t.Errorf("Has eggs not done = %v, %v", ok, err)
	}
	if ok, err := p.Has("#box[checked]"); err != nil || !ok {
		t.Errorf("Has(#box[checked]) = %v, %v", ok, err)
	}
	if got, err := p.Text(`li[data-id="1"]`); err != nil || got != "milk !" {
		t.Errorf("Text = %q, %v", got, err)
	}
	if got, err := p.Attr("li.done", "data-id"); err != nil || got != "1" {
		t.Errorf("Attr = %q, %v", got, err)
	}
	if got, err := p.Attr("li.done", "title"); err != nil || got != "" {
		t.Errorf("Attr of an absent attribute = %q, %v", got, err)
	}
	_, err := p.Text("li")
	var ee *livetemplatetest.ElementError
	if !errors.Is(err, livetemplatetest.ErrNotUnique) || !errors.As(err, &ee) || ee.Op != "text" || ee.Selector != "li" {
		t.Errorf("Text(li) = %v, want ErrNotUnique", err)
	}
	if _, err := p.Attr("#nope", "id"); !errors.Is(err, livetemplatetest.ErrNoElement) {
		t.Errorf("Attr(#nope) = %v, want ErrNoElement", err)
	}
	if _, err := p.Count("li["); err == nil || !strings.Contains(err.Error(), `count "li["`) {
		t.Errorf("Count of a bad selector: %v", err)
	}
}

// TestDOMDocument: a template that renders the whole document is parsed as
// one, as the browser does.
func TestDOMDocument(t *testing.T) {
	s := newDOMSite(t, `<!doctype html><html><head><title>{{.}}</title></head><body><p lvt-click="clicked">{{.}}</p></body></html>`, "hi", "clicked")
	if got, err := s.page.Text("head > title"); err != nil || got != "hi" {
		t.Errorf("Text = %q, %v", got, err)
	}
	s.expect(t, s.page.Click(ctx(t), "body > p"), `clicked {}`)
}

package livetemplatetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http/httptest"
	"net/url"
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

const actSrc = `<button id="b" lvt-click="clicked" lvt-value-id="7">B</button>
<p id="plain">no binding</p>
<input id="keys" name="k" value="v" lvt-keydown="keyed" lvt-key="Enter">
<input id="off" name="off" lvt-change="changed" disabled>
<input id="ro" name="ro" value="r" lvt-change="changed" readonly>
<div id="div" lvt-focus="focused">not focusable</div>
<input id="box" type="checkbox" lvt-click="fail" lvt-change="changed">
<select id="sel" lvt-change="changed"><option>a</option><option disabled>b</option></select>
<form id="f" lvt-submit="submitted">
<input name="title" value="t"><input type="hidden" name="id" value="9">
<input type="radio" name="r" value="1"><input type="radio" name="r" value="2">
<input name="dis" disabled><button id="go">Go</button>
</form>
<form id="req" lvt-submit="submitted">
<select name="size" required><option value="">Pick one</option><option>S</option></select>
<input type="radio" name="r" value="1" required><input type="radio" name="r" value="2">
<input type="checkbox" name="agree" required>
</form>
<div lvt-window-keydown="win" lvt-key="Escape" lvt-value-key="mine"></div>`

// TestDOMErrors: every way an action can fail names the method and the
// selector, and wraps the sentinel a test can check.
func TestDOMErrors(t *testing.T) {
	s := newDOMSite(t, actSrc, nil, "clicked", "keyed", "changed", "focused", "submitted", "win", "fail")
	p, c := s.page, ctx(t)
	for _, tc := range []struct {
		name string
		err  error
		want error  // the sentinel, if any
		text string // in the message
	}{
		{"NoElement", p.Click(c, "#none"), livetemplatetest.ErrNoElement, `click "#none": no element matches`},
		{"NotUnique", p.Click(c, "input"), livetemplatetest.ErrNotUnique, "elements"},
		{"NoBinding", p.Click(c, "#plain"), livetemplatetest.ErrNoBinding, `click "#plain"`},
		{"KeyFiltered", p.Keydown(c, "#keys", "a"), livetemplatetest.ErrNoBinding, `lvt-key "Enter"`},
		{"NoKey", p.Keydown(c, "#keys", ""), nil, "no key"},
		{"Disabled", p.Change(c, "#off", "x"), livetemplatetest.ErrDisabled, `change "#off"`},
		{"ReadOnly", p.Input(c, "#ro", "x"), nil, "read-only"},
		{"NotAField", p.Input(c, "#plain", "x"), nil, "not a field"},
		{"TwoValues", p.Input(c, "#keys", "x", "y"), nil, "one value, not 2"},
		{"NoOption", p.Change(c, "#sel", "z"), nil, `no option of value "z"`},
		{"DisabledOption", p.Change(c, "#sel", "b"), nil, `no option of value "b"`},
		{"BoxValue", p.Change(c, "#box", "x"), nil, `has the value "on"`},
		{"NotFocusable", p.Focus(c, "#div"), nil, "cannot have the focus"},
		{"NotAForm", p.Submit(c, "#plain", nil), nil, "not a form or a submit button"},
		{"NoField", p.Submit(c, "#f", url.Values{"nope": {"x"}}), nil, `no field named "nope"`},
		{"DisabledField", p.Submit(c, "#f", url.Values{"dis": {"x"}}), livetemplatetest.ErrDisabled, `field "dis"`},
		{"Hidden", p.Submit(c, "#f", url.Values{"id": {"10"}}), nil, "not a field a user can set"},
		{"RadioTwo", p.Submit(c, "#f", url.Values{"r": {"1", "2"}}), nil, "take one value, not 2"},
		{"RadioNone", p.Submit(c, "#f", url.Values{"r": {"3"}}), nil, `no box named "r" has the value "3"`},
		{"Counts", p.Submit(c, "#f", url.Values{"title": {"a", "b"}}), nil, `2 values for the 1 fields named "title"`},
		{"RequiredSelect", p.Submit(c, "#req", url.Values{"r": {"1"}, "agree": {"on"}}), livetemplatetest.ErrInvalid, `"size" is empty`},
		{"RequiredRadio", p.Submit(c, "#req", url.Values{"size": {"S"}, "agree": {"on"}}), livetemplatetest.ErrInvalid, `"r" is empty`},
		{"RequiredBox", p.Submit(c, "#req", url.Values{"size": {"S"}, "r": {"2"}}), livetemplatetest.ErrInvalid, `"agree" is empty`},
		{"WindowType", p.Window(c, "click", ""), nil, "no such window event"},
		{"WindowKey", p.Window(c, "keydown", ""), nil, "need a key"},
		{"WindowNone", p.Window(c, "keyup", "x"), livetemplatetest.ErrNoBinding, "lvt-window-keyup"},
	} {
		if tc.err == nil || (tc.want != nil && !errors.Is(tc.err, tc.want)) || !strings.Contains(tc.err.Error(), tc.text) {
			t.Errorf("%s: %v; want %v with %q", tc.name, tc.err, tc.want, tc.text)
		}
	}
	if got := s.events(); len(got) > 0 {
		t.Errorf("failed actions sent %q", got)
	}
}

// TestDOMActions: what the actions send, and a handler's error comes back
// as the server's *Error, after the action's other events went too.
func TestDOMActions(t *testing.T) {
	s := newDOMSite(t, actSrc, nil, "clicked", "keyed", "changed", "submitted", "win", "fail")
	p, c := s.page, ctx(t)
	s.expect(t, p.Click(c, "#b"), `clicked {"id":"7"}`)
	s.expect(t, p.Keydown(c, "#keys", "Enter"), `keyed {"k":"v","key":"Enter"}`)
	s.expect(t, p.Keydown(c, "#keys", "Escape"), `win {"key":"Escape"}`) // the window's key wins over lvt-value-key
	s.expect(t, p.Window(c, "keydown", "Escape"), `win {"key":"Escape"}`)
	s.expect(t, p.Submit(c, "#f", url.Values{"title": {"new"}, "r": {"2"}, "id": {"9"}}), `submitted {"id":"9","r":"2","title":"new"}`)
	s.expect(t, p.Submit(c, "#go", nil), `submitted {"id":"9","title":"t"}`)
	s.expect(t, p.Submit(c, "#req", url.Values{"size": {"S"}, "r": {"1"}, "agree": {"on"}}), `submitted {"agree":"on","r":"1","size":"S"}`)

	err := p.Click(c, "#box") // its lvt-click fails; its lvt-change goes all the same
	var e *livetemplatetest.Error
	if !errors.As(err, &e) || e.Code != "handler_error" || e.Message != "no, thanks" || !strings.Contains(err.Error(), `click "#box": event "fail"`) {
		t.Fatalf("Click: %v; want the handler's error", err)
	}
	if got := s.events(); !slices.Equal(got, []string{`fail {}`, `changed {"value":"on"}`}) {
		t.Errorf("events %q", got)
	}
	if ok, err := p.Has("#box[checked]"); err != nil || ok {
		t.Errorf("the box is checked in the page's HTML (%v, %v): the client keeps no state of its own", ok, err)
	}
}

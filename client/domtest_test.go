package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// domSrc has elements for the actions of livetemplatetest's DOM client.
// Each case of TestDOMClientSendsWhatTheBrowserSends uses its elements once,
// because the browser keeps what a case did (a checked box, a typed value)
// and the Go client reads the server's HTML.
const domSrc = `<button id="click" lvt-click="clicked" lvt-value-id="7" lvt-value-kind="button"><span id="inner">Click</span></button>
<a id="link" href="/elsewhere" lvt-click="linked" lvt-value-to="next">link</a>
<div lvt-click="card" lvt-value-card="c1"><p><span id="card-text">text</span></p></div>
<input id="cb" type="checkbox" name="agree" lvt-click="cb-click" lvt-input="cb-input" lvt-change="cb-change" lvt-value-x="1">
<label id="lab" lvt-click="lab-click"><input type="checkbox" value="v" lvt-change="lab-change"> <span id="lab-text">Label</span></label>
<form id="radios" lvt-change="radio-change" lvt-value-form="radios">
<input type="radio" name="r" value="1" checked><input id="r2" type="radio" name="r" value="2"><input name="other" value="o">
</form>
<form id="form" lvt-submit="submitted" lvt-value-form="signup">
<input name="year" type="number" value="2024"><input name="title" value="Hello">
<select name="tags" multiple><option selected>a</option><option value="b" selected>B</option><option>c</option></select>
<input type="checkbox" name="ok" checked><input type="checkbox" name="ok" value="yes"><input type="checkbox" name="no">
<textarea name="notes">line 1
line 2</textarea>
<button id="save" name="action" value="save" lvt-click="save-click">Save</button>
</form>
<form id="form2" lvt-submit="submitted2">
<input name="title" value="Old"><input name="year" type="number" value="1999">
<select name="tags" multiple><option selected>a</option><option>b</option><option>c</option></select>
<select name="size"><option>S</option><option>M</option><option>L</option></select>
<input type="checkbox" name="ok" value="1" checked><input type="checkbox" name="ok" value="2"><input type="checkbox" name="ok" value="3" checked>
<input type="radio" name="r" value="x" checked><input type="radio" name="r" value="y">
<textarea name="notes">old</textarea>
</form>
<select id="multi" name="picks" multiple lvt-change="picked" lvt-value-from="multi"><option>a</option><option selected>b</option><option>c</option></select>
<select id="single" lvt-change="chose"><option>S</option><option>M</option></select>
<input id="typed" lvt-input="typed" value="x">
<input id="num" name="n" type="number" lvt-input="num-input" value="1">
<textarea id="area" name="body" lvt-change="area-change">a</textarea>
<form id="live" lvt-input="form-input"><input id="live-q" name="q" value="old"><input name="page" value="2"></form>
<input id="keys" name="k" value="v" lvt-keydown="keyed" lvt-key="Enter Escape">
<input id="keyup" lvt-keyup="keyupped" lvt-value-side="up">
<div lvt-window-keydown="win" lvt-key="k Escape" lvt-value-where="window"></div>
<form id="search" lvt-submit="searched"><input id="q" name="q" value="milk"><button lvt-click="search-click" name="go" value="1">Go</button></form>
<form id="one" lvt-submit="one"><input id="one-q" name="q" value="eggs"><input type="checkbox" name="c" checked></form>
<form id="two" lvt-submit="two"><input id="two-a" name="a" value="1"><input name="b" value="2"></form>
<form id="req" lvt-submit="req"><input name="must" required><button id="req-go">Go</button></form>
<form id="dlreq" lvt-submit="dlreq"><datalist><input name="x" required></datalist><button id="dlreq-go">Go</button></form>
<form id="noval" lvt-submit="noval" novalidate><input name="must" required><button id="noval-go">Go</button></form>
<button id="off" lvt-click="off" disabled>Off</button>
<a href="/x" lvt-click="in-link"><input type="checkbox" id="in-link" lvt-change="in-link-change"></a>
<label for="for-box" id="for-label">For</label><input type="checkbox" id="for-box" name="fb" value="y" checked lvt-change="for-change">
<form id="by" lvt-submit="by"><input name="q" value="a"><button name="b" value="1">One</button><button id="by-two" name="b" value="2">Two</button></form>
<input type="checkbox" id="ch-box" name="ch" value="yes" lvt-change="ch-box">
<div lvt-window-resize="resized" lvt-value-w="1"></div>
<p id="nothing">nothing</p>
<form id="types" lvt-submit="types">
<input name="n1" type="number" value="2024"><input name="n2" type="number" value="abc"><input name="n3" type="number" value="1e3">
<input name="n4" type="number" value="-0.5"><input name="n5" type="number" value="+1"><input name="n6" type="number" value="1.">
<input name="n7" type="number" value=".5"><input name="n8" type="number" value=" 12">
<input name="r1" type="range" min="0" max="10" value="7.6"><input name="r2" type="range"><input name="r3" type="range" min="0" max="10" value="-3">
<input name="r4" type="range" max="10" value="55"><input name="r5" type="range" min="0" max="10" step="0.5" value="2.3"><input name="r6" type="range" step="any" value="2.3">
<input name="c1" type="color" value="#ABCDEF"><input name="c2" type="color" value="nope"><input name="c3" type="color">
<input name="d1" type="date" value="2024-02-29"><input name="d2" type="date" value="2023-02-29"><input name="d3" type="date" value="2024-2-3">
<input name="m1" type="month" value="2024-01"><input name="m2" type="month" value="2024-13">
<input name="w1" type="week" value="2020-W53"><input name="w2" type="week" value="2021-W53"><input name="w3" type="week" value="2026-W01">
<input name="t1" type="time" value="09:30"><input name="t2" type="time" value="9:30"><input name="t3" type="time" value="23:59:59.5"><input name="t4" type="time" value="12:00:00">
<input name="l1" type="datetime-local" value="2024-01-01 10:00"><input name="l2" type="datetime-local" value="2024-01-01T10:00:00"><input name="l3" type="datetime-local" value="2024-01-01T10:00:30.500">
<input name="e1" type="email" value="  a@b.c "><input name="e2" type="email" multiple value=" a@b.c , d@e.f">
<input name="u1" type="url" value=" http://x.y/ "><input name="s1" type="search" value="a&#10;b"><input name="p1" type="password" value="pw">
<input name="h1" type="hidden" value="a&#10;b"><input name="_charset_" type="hidden" value="x"><input name="tel" type="tel" value="+1 555">
<input name="x1" type="unknown" value="u"><input name="cb" type="checkbox" checked><input name="f1" type="file">
<input name="bt" type="button" value="b"><input name="rs" type="reset" value="r"><input name="sb" type="submit" value="s">
<datalist><input name="dl" value="in a datalist"></datalist>
<input name="off" value="x" disabled>
<fieldset disabled><legend><input name="leg" value="in the legend"></legend><input name="fs" value="in the fieldset"></fieldset>
<select name="s1"><option disabled>first</option><option>second</option></select>
<select name="s2" size="3"><option>a</option><option>b</option></select>
<select name="s3"><option selected>a</option><option selected>b</option></select>
<select name="s4"><option>  two   words </option></select>
<select name="s5" multiple><optgroup disabled><option selected>g</option></optgroup><option selected disabled>d</option><option selected>e</option></select>
<input type="radio" name="g" value="1" checked><input type="radio" name="g" value="2" checked>
<input name="rep" value="1"><input name="rep" value="2"><input name="rep" value="3">
<textarea name="ta">
a&#13;&#10;b&#13;c</textarea>
<button id="types-go" name="via" value="types-go">Send</button>
</form>
<input name="outside" value="out" form="types">
<input id="focus" name="f" value="v" lvt-focus="focused" lvt-blur="blurred" lvt-value-extra="e">`

// domCase is one action, done by a user in Chromium and by the Go client.
type domCase struct {
	name    string
	browser []chromedp.Action[chromedp.Void] // what the user does in the browser
	js      string                           // or: what a script does there, for values a user would type
	goAct   func(context.Context, *livetemplatetest.Page) error
	goErr   error // the Go client's error: why nothing (more) was sent
	n       int   // how many events both send
}

// TestDOMClientSendsWhatTheBrowserSends: for every action of
// livetemplatetest's DOM client, the events (names and data) that the
// server gets from it are those it gets when a user does the same in
// Chromium with the browser client.
func TestDOMClientSendsWhatTheBrowserSends(t *testing.T) {
	b := browsertest.Start(t)
	s := newSite(t, siteConfig{src: domSrc, version: true})
	rec := &domRecorder{got: map[*livetemplate.Page][]string{}}
	for _, name := range domEventNames {
		s.handle(name, rec.handle)
	}
	tab := s.open(b, "/page")
	browserPage := s.page()

	goPage, goServerPage := joinDOMPage(t, s)
	for _, c := range domCases() {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := c.goAct(ctx, goPage)
			if (c.goErr == nil && err != nil) || (c.goErr != nil && !errors.Is(err, c.goErr)) {
				t.Fatalf("Go client: %v, want %v", err, c.goErr)
			}
			fromGo := rec.take(goServerPage)
			if c.js != "" {
				if _, err := browsertest.Eval[bool](tab, c.js+"; true"); err != nil {
					t.Fatal(err)
				}
			}
			if err := chromedp.Do(tab.Context(), c.browser...); err != nil {
				t.Fatal(err)
			}
			// The mark's ack comes after the server handled every event before it.
			if _, err := browsertest.Eval[bool](tab, `liveTemplate.pushEvent("mark", {}).then(() => true)`); err != nil {
				t.Fatal(err)
			}
			fromBrowser := rec.take(browserPage)
			fromBrowser = fromBrowser[:len(fromBrowser)-1] // the mark
			if !slices.Equal(fromGo, fromBrowser) {
				t.Errorf("the Go client sent\n%s\nthe browser\n%s", strings.Join(fromGo, "\n"), strings.Join(fromBrowser, "\n"))
			}
			if len(fromBrowser) != c.n {
				t.Errorf("%d events, want %d:\n%s", len(fromBrowser), c.n, strings.Join(fromBrowser, "\n"))
			}
		})
	}
	if !browsertest.MustEval[bool](tab, `location.pathname === "/page"`) {
		t.Error("the browser left the page")
	}
	noConsole(t, tab)
}

// joinDOMPage makes a page like the browser's and joins it with the Go
// client; it returns the client's page and the server's.
func joinDOMPage(t *testing.T, s *site) (*livetemplatetest.Page, *livetemplate.Page) {
	t.Helper()
	p, err := s.app.NewPage("t", counter{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := livetemplatetest.Dial(t.Context(), s.srv.URL+"/live")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	gp, err := c.Join(t.Context(), p.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	return gp, p
}

var domEventNames = []string{
	"clicked", "linked", "card", "cb-click", "cb-input", "cb-change", "lab-click", "lab-change",
	"radio-change", "submitted", "save-click", "submitted2", "picked", "chose", "typed", "num-input",
	"area-change", "form-input", "keyed", "keyupped", "win", "searched", "search-click", "one", "two",
	"in-link", "in-link-change", "for-change", "by", "ch-box", "resized", "req", "dlreq", "noval", "off", "types", "focused", "blurred", "mark",
}

// domRecorder records the events each page gets, as "name data" with the
// data's keys sorted.
type domRecorder struct {
	mu  sync.Mutex
	got map[*livetemplate.Page][]string
}

func (r *domRecorder) handle(_ context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	var d any
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[p] = append(r.got[p], e.Name+" "+string(b))
	return nil
}

// take returns the events p got since the last take.
func (r *domRecorder) take(p *livetemplate.Page) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got[p]
	r.got[p] = nil
	return got
}

type act = func(context.Context, *livetemplatetest.Page) error

func clickGo(sel string) act {
	return func(ctx context.Context, p *livetemplatetest.Page) error { return p.Click(ctx, sel) }
}

func changeGo(sel string, vs ...string) act {
	return func(ctx context.Context, p *livetemplatetest.Page) error { return p.Change(ctx, sel, vs...) }
}

func inputGo(sel, v string) act {
	return func(ctx context.Context, p *livetemplatetest.Page) error { return p.Input(ctx, sel, v) }
}

func clickIn(sel string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(sel))}
}

// keyIn focuses sel and presses key, as a user does.
func keyIn(sel, key string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(key)}
}

// setJS sets a field's value in the browser and fires the event typ, as a
// user's edit does.
func setJS(sel, value, typ string) string {
	v, _ := json.Marshal(value)
	return `(() => { const el = document.querySelector("` + sel + `"); el.value = ` + string(v) +
		`; el.dispatchEvent(new Event("` + typ + `", {bubbles: true})); })()`
}

func domCases() []domCase {
	return append(clickCases(), append(formCases(), keyCases()...)...)
}

func clickCases() []domCase {
	return []domCase{
		{name: "ClickChild", browser: clickIn("#inner"), goAct: clickGo("#inner"), n: 1},
		{name: "ClickLink", browser: clickIn("#link"), goAct: clickGo("#link"), n: 1},
		{name: "ClickDeep", browser: clickIn("#card-text"), goAct: clickGo("#card-text"), n: 1},
		{name: "ClickCheckbox", browser: clickIn("#cb"), goAct: clickGo("#cb"), n: 3},
		{name: "ClickLabel", browser: clickIn("#lab-text"), goAct: clickGo("#lab-text"), n: 3},
		{name: "ClickRadio", browser: clickIn("#r2"), goAct: clickGo("#r2"), n: 1},
		{name: "ClickSubmitButton", browser: clickIn("#save"), goAct: clickGo("#save"), n: 2},
		{name: "ClickRequired", browser: clickIn("#req-go"), goAct: clickGo("#req-go"), goErr: livetemplatetest.ErrInvalid},
		{name: "ClickRequiredInDatalist", browser: clickIn("#dlreq-go"), goAct: clickGo("#dlreq-go"), n: 1},
		{name: "ClickNoValidate", browser: clickIn("#noval-go"), goAct: clickGo("#noval-go"), n: 1},
		{name: "ClickDisabled", browser: clickIn("#off"), goAct: clickGo("#off"), goErr: livetemplatetest.ErrDisabled},
		{name: "ClickNothing", browser: clickIn("#nothing"), goAct: clickGo("#nothing"), goErr: livetemplatetest.ErrNoBinding},
		{name: "ClickInLink", browser: clickIn("#in-link"), goAct: clickGo("#in-link"), n: 1},
		{name: "ClickLabelFor", browser: clickIn("#for-label"), goAct: clickGo("#for-label"), n: 1},
		{name: "ClickTypes", browser: clickIn("#types-go"), goAct: clickGo("#types-go"), n: 1},
	}
}

func formCases() []domCase {
	return []domCase{
		{
			name: "SubmitValues",
			js: `(() => { const f = document.getElementById("form2");
				f.elements.title.value = "New"; f.elements.year.value = "2024";
				for (const o of f.elements.tags.options) o.selected = o.value !== "b";
				f.elements.size.value = "L";
				for (const c of f.querySelectorAll("[name=ok]")) c.checked = c.value === "2";
				f.querySelector("[name=r][value=y]").checked = true;
				f.elements.notes.value = "new\nlines";
				f.requestSubmit(); })()`,
			goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
				return p.Submit(ctx, "#form2", map[string][]string{
					"title": {"New"}, "year": {"2024"}, "tags": {"a", "c"}, "size": {"L"},
					"ok": {"2"}, "r": {"y"}, "notes": {"new\nlines"},
				})
			},
			n: 1,
		},
		{
			name: "SubmitBySubmitter",
			js:   `(() => { const f = document.getElementById("by"); f.elements.q.value = "z"; f.requestSubmit(document.getElementById("by-two")); })()`,
			goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
				return p.Submit(ctx, "#by-two", map[string][]string{"q": {"z"}})
			},
			n: 1,
		},
		{
			name:  "ChangeCheckbox",
			js:    `(() => { const c = document.getElementById("ch-box"); c.checked = true; c.dispatchEvent(new Event("change", {bubbles: true})); })()`,
			goAct: changeGo("#ch-box", "yes"),
			n:     1,
		},
		{
			name:  "ChangeSelectMultiple",
			js:    `(() => { const s = document.getElementById("multi"); for (const o of s.options) o.selected = o.value !== "b"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`,
			goAct: changeGo("#multi", "a", "c"),
			n:     1,
		},
		{name: "ChangeSelect", js: setJS("#single", "M", "change"), goAct: changeGo("#single", "M"), n: 1},
		{name: "ChangeTextarea", js: setJS("#area", "two\nlines", "change"), goAct: changeGo("#area", "two\nlines"), n: 1},
		{name: "Input", js: setJS("#typed", "hello", "input"), goAct: inputGo("#typed", "hello"), n: 1},
		{name: "InputNumber", js: setJS("#num", "12.5", "input"), goAct: inputGo("#num", "12.5"), n: 1},
		{name: "InputInForm", js: setJS("#live-q", "new", "input"), goAct: inputGo("#live-q", "new"), n: 1},
	}
}

func keyCases() []domCase {
	keyGo := func(sel, key string) act {
		return func(ctx context.Context, p *livetemplatetest.Page) error { return p.Keydown(ctx, sel, key) }
	}
	return []domCase{
		{name: "KeydownEnter", browser: keyIn("#keys", kb.Enter), goAct: keyGo("#keys", "Enter"), n: 1},
		{name: "KeydownEscape", browser: keyIn("#keys", kb.Escape), goAct: keyGo("#keys", "Escape"), n: 2}, // and the window's
		{name: "KeydownFiltered", browser: keyIn("#keys", kb.ArrowLeft), goAct: keyGo("#keys", "ArrowLeft"), goErr: livetemplatetest.ErrNoBinding},
		{name: "Keyup", browser: keyIn("#keyup", kb.ArrowDown), goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
			return p.Keyup(ctx, "#keyup", "ArrowDown")
		}, n: 1},
		{name: "EnterClicksTheSubmitButton", browser: keyIn("#q", kb.Enter), goAct: keyGo("#q", "Enter"), n: 2},
		{name: "EnterSubmitsTheOnlyField", browser: keyIn("#one-q", kb.Enter), goAct: keyGo("#one-q", "Enter"), n: 1},
		{name: "EnterInOneOfTwoFields", browser: keyIn("#two-a", kb.Enter), goAct: keyGo("#two-a", "Enter"), goErr: livetemplatetest.ErrNoBinding},
		{
			name:    "Window",
			js:      `document.activeElement.blur()`,
			browser: []chromedp.Action[chromedp.Void]{chromedp.KeyEvent("k")},
			goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
				return p.Window(ctx, "keydown", "k")
			},
			n: 1,
		},
		{
			name: "WindowResize",
			js:   `dispatchEvent(new Event("resize"))`,
			goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
				return p.Window(ctx, "resize", "")
			},
			n: 1,
		},
		{name: "Focus", browser: []chromedp.Action[chromedp.Void]{chromedp.Focus(chromedp.CSS("#focus"))}, goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
			return p.Focus(ctx, "#focus")
		}, n: 1},
		{name: "Blur", browser: []chromedp.Action[chromedp.Void]{chromedp.Blur(chromedp.CSS("#focus"))}, goAct: func(ctx context.Context, p *livetemplatetest.Page) error {
			return p.Blur(ctx, "#focus")
		}, n: 1},
	}
}

package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// commandsSrc binds client-side commands: a menu that a button toggles, a
// button that marks the count and pushes "add", row buttons that act on
// their own row, a transition with focus and a DOM event, a hide through a
// transition, Escape on the window, and an unknown command. (No style
// attributes: the strict CSP of the test blocks them; the commands' display
// goes through the CSSOM, which it allows.)
const commandsSrc = `<p id="count" class="n{{.Count}}">{{.Count}}</p>
<button id="open" lvt-click='[["toggle",{"to":"#menu"}],["toggle-class",{"to":"#menu","names":"open"}],["set-attr",{"attr":"aria-expanded","value":"true"}]]'>menu</button>
<div id="menu" class="menu c{{.Count}}" hidden>items {{.Count}}</div>
<button id="add" lvt-click='[["add-class",{"to":"#count","names":"busy"}],["push",{"event":"bump","value":{"by":"2"}}]]' lvt-value-from="add">add</button>
<ul>{{range .Log}}<li data-key="{{.}}"><button lvt-click='[["add-class",{"to":"closest li","names":"picked"}],["remove-attr",{"to":"inner i","attr":"title"}]]'>{{.}}<i title="{{.}}">i</i></button></li>{{end}}</ul>
<input id="name" value="{{.Count}}">
<button id="fx" lvt-click='[["transition",{"to":"#fade","transition":["run","from","to"],"time":600}],["focus",{"to":"#name"}],["dispatch",{"to":"#fade","event":"poked","detail":{"a":1}}]]'>fx</button>
<div id="fade" class="fade" data-n="{{.Count}}">fade</div>
<button id="hide" lvt-click='[["hide",{"to":"#fade","transition":"out","time":300}]]'>hide</button>
<div id="esc" lvt-window-keydown='[["hide",{"to":"#menu"}],["remove-class",{"to":"#menu","names":"open"}]]' lvt-key="Escape"></div>
<button id="bad" lvt-click='[["add-class",{"names":"x"}],["explode"]]'>bad</button>`

// cmdState is what TestCommands checks of the page.
type cmdState struct {
	Menu, MenuClass, Expanded string // #menu's computed display and class, #open's aria-expanded
	Count, Events             string // #count's class; the events sent
	Rows                      string // each row's class and its i's title
}

const cmdStateJS = `(() => {
	const menu = document.getElementById("menu");
	return {
		Menu: getComputedStyle(menu).display, MenuClass: menu.className,
		Expanded: String(document.getElementById("open").getAttribute("aria-expanded")),
		Count: document.getElementById("count").className, Events: events.join(","),
		Rows: [...document.querySelectorAll("li")].map((li) => li.dataset.key + ":" + li.className + ":" + li.querySelector("i").getAttribute("title")).join(" "),
	};
})()`

// TestCommands tests client-side commands in Chromium, under a CSP without
// eval: they run without a round trip, push events, and what they set stays
// through a first render (a morph over the server's HTML), diffs and a
// resync render.
func TestCommands(t *testing.T) {
	b := browsertest.Start(t)
	s := newSite(t, siteConfig{src: commandsSrc, version: true, csp: strictCSP,
		opts: []livetemplate.Option{livetemplate.WithHistory(1)},
		data: func() any { return counter{Log: []string{"a", "b"}} },
		head: `<script src="/watch.js"></script><script src="/ws.js"></script>`,
		extra: map[string]http.Handler{"GET /ws.js": jsHandler(wsJS), "GET /watch.js": jsHandler(`window.violations = [];
document.addEventListener("securitypolicyviolation", e => violations.push(e.effectiveDirective + " " + e.blockedURI));`)}})
	bumps := make(chan string, 10)
	s.handle("bump", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		bumps <- string(e.Data)
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count += 2
			return c, nil
		})
		return err
	})
	tab := s.open(b, "/page")
	p := s.page()
	click := func(sel string) {
		t.Helper()
		browsertest.MustEval[bool](tab, `document.querySelector(`+jsString(sel)+`).click(), true`)
	}
	check := func(when string, want cmdState) {
		t.Helper()
		s.waitVersion(tab, p)
		if got := browsertest.MustEval[cmdState](tab, cmdStateJS); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", when, got, want)
		}
	}
	change := func(c counter) {
		t.Helper()
		if _, err := p.Update(c); err != nil {
			t.Fatal(err)
		}
	}

	// Commands run at once, with no event.
	click("#open")
	click("li[data-key=a] button")
	open := cmdState{Menu: "block", MenuClass: "menu c0 open", Expanded: "true", Count: "n0", Rows: "a:picked:null b::b"}
	check("after the clicks", open)
	// The first change: a render morphed into the page keeps what the commands set.
	change(counter{Count: 1, Log: []string{"a", "b"}})
	open.MenuClass, open.Count = "menu c1 open", "n1"
	check("after the first render", open)
	// A diff of the menu's class and text, and a move of the row.
	change(counter{Count: 2, Log: []string{"b", "a"}})
	open.MenuClass, open.Count, open.Rows = "menu c2 open", "n2", "b::b a:picked:null"
	check("after a diff", open)
	// A push command: the server's event runs; the class set before it stays.
	click("#add")
	tab.WaitFor(`document.getElementById("count").textContent === "4"`, 5*time.Second)
	open.MenuClass, open.Count, open.Events = "menu c4 open", "n4 busy", "bump"
	check("after add", open)
	var data map[string]string
	if d := <-bumps; json.Unmarshal([]byte(d), &data) != nil || fmt.Sprint(data) != "map[by:2 from:add]" {
		t.Errorf("the pushed event's data: %s, want the binding's lvt-value-* and the command's value", d)
	}
	// A resync: two lost diffs, a render.
	browsertest.MustEval[bool](tab, `loseDiffs(2), true`)
	change(counter{Count: 5, Log: []string{"a", "b"}})
	change(counter{Count: 5, Log: []string{"a", "b", "c"}})
	change(counter{Count: 6, Log: []string{"c", "a", "b"}})
	open.MenuClass, open.Count, open.Rows = "menu c6 open", "n6 busy", "c::c a:picked:null b::b"
	check("after a resync", open)
	// Escape on the window hides the menu; it stays hidden through a diff.
	browsertest.MustEval[bool](tab, `dispatchEvent(new KeyboardEvent("keydown", {key: "Enter"})), dispatchEvent(new KeyboardEvent("keydown", {key: "Escape"})), true`)
	change(counter{Count: 7, Log: []string{"c", "a", "b"}})
	open.Menu, open.MenuClass, open.Count = "none", "menu c7", "n7 busy"
	check("after Escape", open)

	// A transition, focus and a DOM event; a diff during the transition keeps its classes.
	browsertest.MustEval[bool](tab, `window.poked = []; document.getElementById("fade").addEventListener("poked", (e) => poked.push(e.detail.a)), true`)
	click("#fx")
	if got := browsertest.MustEval[string](tab, `document.getElementById("fade").className + " " + document.activeElement.id + " " + poked`); got != "fade run to name 1" {
		t.Errorf("at the transition's start: %q, want the classes run and to, the focus in #name, one poked event", got)
	}
	change(counter{Count: 8, Log: []string{"c", "a", "b"}})
	s.waitVersion(tab, p)
	if got := browsertest.MustEval[string](tab, `document.getElementById("fade").className + " " + document.getElementById("fade").dataset.n`); got != "fade run to 8" {
		t.Errorf("during the transition, after a diff: %q", got)
	}
	tab.WaitFor(`document.getElementById("fade").className === "fade"`, 2*time.Second)
	// A hide through a transition: hidden at its end.
	click("#hide")
	if got := browsertest.MustEval[string](tab, `document.getElementById("fade").className + " " + getComputedStyle(document.getElementById("fade")).display`); got != "fade out block" {
		t.Errorf("at the hide's start: %q", got)
	}
	tab.WaitFor(`getComputedStyle(document.getElementById("fade")).display === "none" && document.getElementById("fade").className === "fade"`, 2*time.Second)

	// exec from a page's script; an unknown command throws before anything runs.
	browsertest.MustEval[bool](tab, `LiveTemplateClient.exec(document.getElementById("count"), [["remove-class", {names: "busy"}]]), true`)
	click("#bad")
	change(counter{Count: 9, Log: []string{"c", "a", "b"}})
	open.Count, open.MenuClass = "n9", "menu c9"
	check("at the end", open)
	if got := browsertest.MustEval[bool](tab, `document.getElementById("bad").classList.contains("x")`); got {
		t.Error("a list with an unknown command ran its first command")
	}
	if c := tab.Console(); len(c) != 1 || !strings.Contains(c[0], `unknown command "explode"`) {
		t.Errorf("console: %q, want the unknown command's exception", c)
	}
	if v := browsertest.MustEval[[]string](tab, `violations`); len(v) > 0 {
		t.Errorf("CSP violations: %q", v)
	}
}

// waitVersion waits until the tab shows the page's version on the server.
func (s *site) waitVersion(tab *browsertest.Tab, p *livetemplate.Page) {
	s.t.Helper()
	tab.WaitFor(fmt.Sprintf(`liveTemplate.version === %d`, p.Version()), 5*time.Second)
}

// TestCommandsBeforeChunk runs commands from a page's script before the
// client connects, when the classic script does not have their code yet
// (it is in its chunk): they run once the chunk has loaded, in order, and
// what they set stays through the diffs of the element's class.
func TestCommandsBeforeChunk(t *testing.T) {
	b := browsertest.Start(t)
	s := newSite(t, siteConfig{csp: strictCSP, src: `<p id="count" class="n{{.Count}}">{{.Count}}</p>`,
		script: `<script src="/livetemplate.js"></script><script src="/early.js" data-token="{{TOKEN}}"></script>`,
		extra: map[string]http.Handler{"GET /early.js": jsHandler(`const token = document.currentScript.dataset.token;
const el = document.getElementById("count");
LiveTemplateClient.exec(el, [["add-class", {names: "a"}], ["set-attr", {attr: "title", value: "t"}]]);
LiveTemplateClient.exec(el, '[["remove-class", {"names": "a"}], ["add-class", {"names": "b"}]]');
window.liveTemplate = new LiveTemplateClient({presetToken: token});
liveTemplate.connect("/live");`)}})
	tab := s.open(b, "/page")
	p := s.page()
	state := func() string {
		return browsertest.MustEval[string](tab, `document.getElementById("count").className + " " + document.getElementById("count").title`)
	}
	tab.WaitFor(`document.getElementById("count").title === "t"`, 5*time.Second)
	if got := state(); got != "n0 b t" {
		t.Errorf("after the commands: %q, want the second list after the first", got)
	}
	for n := 1; n <= 2; n++ {
		if _, err := p.Update(counter{Count: n}); err != nil {
			t.Fatal(err)
		}
		tab.WaitFor(fmt.Sprintf(`document.getElementById("count").textContent === "%d"`, n), 5*time.Second)
		if got, want := state(), fmt.Sprintf("n%d b t", n); got != want {
			t.Errorf("after change %d: %q, want %q", n, got, want)
		}
	}
	noConsole(t, tab)
}

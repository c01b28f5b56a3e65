package client_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// region is the data of ignoreSrc.
type region struct {
	Count int
	Own   bool // the library owns #lib's children: lvt-ignore
	Items []string
}

// ignoreSrc has a region that a library owns when Own (values and rows
// inside it), one that a diff adds (the client builds its nodes), and an
// element whose style and data-x a library owns.
const ignoreSrc = `<p id="count">{{.Count}}</p>
<div id="lib" class="lib c{{.Count}}"{{if .Own}} lvt-ignore{{end}}>server {{.Count}}<ul>{{range .Items}}<li data-key="{{.}}">{{.}}</li>{{end}}</ul><b title="{{.Count}}">b</b></div>
{{if gt .Count 2}}<section id="late" lvt-ignore><i title="{{.Count}}">late {{.Count}}</i>{{range .Items}}<u data-key="{{.}}">{{.}}</u>{{end}}</section>{{end}}
<div id="attrs" lvt-ignore-attrs="style data-x" style="color: red" data-x="{{.Count}}" title="t{{.Count}}">{{.Count}}</div>`

// libScript is what a library does to the page: its own children in #lib
// (kept), style and data-x on #attrs.
const libScript = `(() => {
	const c = document.createElement("canvas");
	c.id = "chart";
	document.getElementById("lib").replaceChildren("drawn ", c);
	const a = document.getElementById("attrs");
	a.style.color = "blue";
	a.dataset.x = "lib";
	return true;
})()`

// ignored is what TestIgnore checks: the page's HTML, the server's HTML
// with the ignored parts taken from the page, and the library's parts.
type ignored struct {
	HTML, Want       string
	Lib, Color, Data string
}

// checkIgnored compares the page with the server's HTML in which the
// children of elements with lvt-ignore and #attrs' style and data-x are the
// page's: nothing else may differ. lib is #lib's HTML.
func checkIgnored(t *testing.T, s *site, tab *browsertest.Tab, p *livetemplate.Page, lib string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := browsertest.MustEval[ignored](tab, `((want) => {
			const root = document.querySelector("[data-lvt-root]");
			const t = document.createElement("template");
			t.innerHTML = want;
			const w = t.content;
			const lib = document.getElementById("lib"), attrs = document.getElementById("attrs");
			for (const e of w.querySelectorAll("[lvt-ignore]")) e.replaceChildren(...document.getElementById(e.id).cloneNode(true).childNodes);
			for (const n of ["style", "data-x"]) w.getElementById("attrs").setAttribute(n, attrs.getAttribute(n));
			return { HTML: root.innerHTML, Want: t.innerHTML, Lib: lib.innerHTML, Color: attrs.style.color, Data: attrs.dataset.x };
		})(`+jsString(s.html(p))+`)`)
		if got.HTML == got.Want && got.Lib == lib && got.Color == "blue" && got.Data == "lib" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page:\n%s\nwant:\n%s\n#lib %q (want %q), #attrs color %q data-x %q (want the library's)", got.HTML, got.Want, got.Lib, lib, got.Color, got.Data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIgnore tests lvt-ignore and lvt-ignore-attrs in Chromium: a script
// changes an ignored region's children and an element's ignored attributes;
// the first render (a morph over the server's HTML), diffs that change
// values and rows inside the region, and a resync (a render after lost
// diffs) leave them, and change everything else.
func TestIgnore(t *testing.T) {
	b := browsertest.Start(t)
	s := newSite(t, siteConfig{src: ignoreSrc, version: true, csp: strictCSP,
		opts:  []livetemplate.Option{livetemplate.WithHistory(1)},
		data:  func() any { return region{Count: 1, Own: true, Items: []string{"a"}} },
		head:  `<script src="/ws.js"></script>`,
		extra: map[string]http.Handler{"GET /ws.js": jsHandler(wsJS)}})
	tab := s.open(b, "/page")
	p := s.page()
	browsertest.MustEval[bool](tab, libScript)
	const drawn = `drawn <canvas id="chart"></canvas>`

	// The client has no tree yet: the first change brings a render, morphed into the page.
	update := func(r region) {
		t.Helper()
		if _, err := p.Update(r); err != nil {
			t.Fatal(err)
		}
	}
	update(region{Count: 2, Own: true, Items: []string{"a", "b"}})
	tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
	checkIgnored(t, s, tab, p, drawn)
	// Diffs of a text, a row list and an attribute inside the region, and of its own class; #late comes.
	update(region{Count: 3, Own: true, Items: []string{"b", "a"}})
	tab.WaitFor(`liveTemplate.version === 3`, 5*time.Second)
	checkIgnored(t, s, tab, p, drawn)
	// A library adds to #late, whose nodes the client built: the diffs leave the server's ones too.
	browsertest.MustEval[bool](tab, `document.getElementById("late").append(document.createElement("canvas")), true`)
	update(region{Count: 4, Own: true, Items: []string{"b"}})
	tab.WaitFor(`liveTemplate.version === 4`, 5*time.Second)
	checkIgnored(t, s, tab, p, drawn)
	if h := browsertest.MustEval[string](tab, `document.getElementById("late").innerHTML`); h != `<i title="3">late 3</i><u data-key="b">b</u><u data-key="a">a</u><canvas></canvas>` {
		t.Errorf("#late: %s, want its first HTML and the library's canvas", h)
	}
	// Two lost diffs: the history has one, so a render comes.
	browsertest.MustEval[bool](tab, `loseDiffs(2), true`)
	update(region{Count: 5, Own: true, Items: []string{"c"}})
	update(region{Count: 6, Own: true, Items: []string{"d", "c"}})
	update(region{Count: 6, Own: true, Items: []string{"e"}})
	tab.WaitFor(`liveTemplate.version === 7`, 5*time.Second)
	checkIgnored(t, s, tab, p, drawn)
	if k := browsertest.MustEval[bool](tab, `document.getElementById("chart").isConnected && document.getElementById("lib").className === "lib c6"`); !k {
		t.Error("the library's canvas or #lib's class is not as expected after the resync")
	}

	// lvt-ignore goes: the server's children come back; it comes again: they stay the library's.
	update(region{Count: 7, Items: []string{"e", "f"}})
	tab.WaitFor(`liveTemplate.version === 8`, 5*time.Second)
	checkIgnored(t, s, tab, p, `server 7<ul><li data-key="e">e</li><li data-key="f">f</li></ul><b title="7">b</b>`)
	update(region{Count: 8, Own: true, Items: []string{"f"}})
	tab.WaitFor(`liveTemplate.version === 9`, 5*time.Second)
	browsertest.MustEval[bool](tab, libScript)
	update(region{Count: 9, Own: true, Items: []string{"g", "f"}})
	tab.WaitFor(`liveTemplate.version === 10`, 5*time.Second)
	checkIgnored(t, s, tab, p, drawn)
	noConsole(t, tab)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

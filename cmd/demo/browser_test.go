package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The tests that need Chromium end in InBrowser: `make quick` skips them.

// wait is how long a tab may take to show a change: generous, for a machine
// that runs other tests beside this one.
const wait = 10 * time.Second

// TestDemoInBrowser loads each example in Chromium at a phone's width, acts
// on it as a user does and checks the DOM, that every page fits the phone's
// width, and that no tab logs an error or gets a failed response (a 404
// included); it saves a screenshot of each page in the test's temporary
// directory.
func TestDemoInBrowser(t *testing.T) {
	d := start(t)
	b := browsertest.Start(t)
	shots := t.TempDir()
	url := "http://" + d.addr

	t.Run("index", func(t *testing.T) {
		tab := phone(t, b)
		tab.Navigate(url + "/")
		tab.WaitFor(`document.querySelectorAll(".examples li").length === 5`, wait)
		fits(t, tab)
		screenshot(t, tab, shots, "index")
		tab.WaitFor(`fetch("/favicon.ico").then(r => r.ok && r.headers.get("Content-Type") === "image/svg+xml")`, wait)
	})
	t.Run("source", func(t *testing.T) {
		tab := phone(t, b)
		tab.Navigate(url + "/source/todo/todo.go")
		tab.WaitFor(`document.querySelector("pre.source").textContent.startsWith("// Package todo")`, wait)
		fits(t, tab)
		// Text a phone reads without zooming: the page is laid out at the phone's width.
		size := browsertest.MustEval[float64](tab.Tab, `parseFloat(getComputedStyle(document.querySelector("pre.source")).fontSize)`)
		if width := browsertest.MustEval[int](tab.Tab, `document.documentElement.clientWidth`); width != 390 || size < 12 {
			t.Errorf("the source page is laid out %dpx wide, its text %vpx", width, size)
		}
		screenshot(t, tab, shots, "source")
	})
	t.Run("counter", func(t *testing.T) {
		tab := phone(t, b)
		tab.Navigate(url + "/counter/")
		tab.WaitFor(`document.querySelector(".count")?.textContent === "0"`, wait)
		click(t, tab, `[lvt-click="increment"]`)
		click(t, tab, `[lvt-click="increment"]`)
		tab.WaitFor(`document.querySelector(".count").textContent === "2"`, wait)
		fits(t, tab)
		screenshot(t, tab, shots, "counter")
	})
	t.Run("dashboard", func(t *testing.T) { dashboardInBrowser(t, b, url, shots) })
	t.Run("todo", func(t *testing.T) { todoInBrowser(t, b, url, shots) })
	t.Run("todo filters", func(t *testing.T) { todoFiltersInBrowser(t, b, url) })
	t.Run("no such list", func(t *testing.T) {
		tab := phone(t, b)
		tab.expect(url + "/todo/nosuchlist") // its 404 is the answer
		tab.Navigate(url + "/todo/nosuchlist")
		tab.WaitFor(`document.querySelector("h1").textContent === "No such list"`, wait)
		tab.WaitFor(`getComputedStyle(document.body).fontFamily.includes("system-ui")`, wait) // the demo's style sheet
		fits(t, tab)
		screenshot(t, tab, shots, "no-such-list")
	})
	t.Run("chat", func(t *testing.T) { chatInBrowser(t, url, shots) })
}

// TestDemoRestartInBrowser: tabs showing a to-do list, the dashboard and a
// counter go on when the demo stops and starts again on its data
// directory: a click made after the restart reaches the list and shows in
// the tab, the dashboard's tab shows the ticks again, and the counter
// counts on from where it was.
func TestDemoRestartInBrowser(t *testing.T) {
	dir := t.TempDir()
	d := start(t, "-data", dir)
	b := browsertest.Start(t)
	url := "http://" + d.addr
	// Not phone's tabs: a tab whose server stops logs its failed reconnects.
	list, board, count := &watched{Tab: b.Tab(t)}, &watched{Tab: b.Tab(t)}, &watched{Tab: browsertest.Start(t).Tab(t)}
	list.Navigate(url + "/todo/")
	board.Navigate(url + "/dashboard/")
	count.Navigate(url + "/counter/")
	for _, tab := range []*watched{list, board, count} {
		open(tab)
	}
	click(t, count, `[lvt-click="increment"]`)
	count.WaitFor(`document.querySelector(".count").textContent === "1"`, wait)
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	list.WaitFor(`liveTemplate.state !== "open"`, wait)
	began := time.Now()
	d = startArgs(t, "-addr", d.addr, "-data", dir)
	ticked := browsertest.MustEval[int](board.Tab, `liveTemplate.version`)
	click(t, list, `li[data-key="2"] input[type=checkbox]`)
	list.WaitFor(`document.querySelector('li[data-key="2"]').className === "done"`, wait)
	t.Logf("the list's tab was live again %v after the demo started", time.Since(began))
	board.WaitFor(`liveTemplate.version > `+strconv.Itoa(ticked), wait)
	click(t, count, `[lvt-click="increment"]`)
	count.WaitFor(`document.querySelector(".count").textContent === "2"`, wait)
}

func dashboardInBrowser(t *testing.T, b *browsertest.Browser, url, shots string) {
	one, two := phone(t, b), phone(t, b)
	for _, tab := range []*watched{one, two} {
		tab.Navigate(url + "/dashboard/")
		open(tab)
	}
	// The ticker changes the page for both tabs; its pushes feed the
	// chart's hook, which draws what the page's data-load says (read by the
	// hook only when mounted) with each new sample.
	v := browsertest.MustEval[int](two.Tab, `liveTemplate.version`)
	two.WaitFor(`liveTemplate.version > `+strconv.Itoa(v+2), wait)
	for _, tab := range []*watched{one, two} {
		tab.WaitFor(`(c => c.samples.join(" ") === c.dataset.load)(document.querySelector("canvas.bars"))`, wait)
		tab.WaitFor(`(c => c.getContext("2d").getImageData(0, 0, c.width, c.height).data.some((x, i) => i % 4 === 3 && x > 0))(document.querySelector("canvas.bars"))`, wait)
	}
	click(t, one, `[lvt-click="pause"]`)
	two.WaitFor(`document.getElementById("status").textContent.startsWith("Paused")`, wait)
	// The scale's labels sit at the top, middle and bottom of the bars.
	two.WaitFor(`(() => {
		const bars = document.querySelector(".bars").getBoundingClientRect();
		const mid = (s) => { const r = s.getBoundingClientRect(); return (r.top + r.bottom) / 2; };
		const [top, half, zero] = [...document.querySelectorAll(".scale span")].map(mid);
		const near = (a, b) => Math.abs(a - b) < 3;
		return near(top, bars.top) && near(half, (bars.top + bars.bottom) / 2) && near(zero, bars.bottom);
	})()`, wait)
	fits(t, two)
	screenshot(t, two, shots, "dashboard")
	click(t, two, `[lvt-click="pause"]`)
	one.WaitFor(`document.getElementById("status").textContent.startsWith("Live")`, wait)
}

// todoInBrowser: rows and the form's validation; what one viewer types
// stays in their field, while the list is everyone's. The other viewer is
// another person, in a browser of their own.
func todoInBrowser(t *testing.T, b *browsertest.Browser, url, shots string) {
	tab, other := phone(t, b), phone(t, browsertest.Start(t))
	tab.Navigate(url + "/todo/")
	open(tab)
	other.Navigate(browsertest.MustEval[string](tab.Tab, `location.href`))
	open(other)
	// A title on the list already: the server says so while the user types,
	// and the field keeps the focus and what was typed.
	keys(t, tab, `input[name=title]`, "read the guide")
	tab.WaitFor(`document.getElementById("title-error").textContent.includes("on the list already")`, wait)
	tab.WaitFor(`document.activeElement.name === "title" && document.activeElement.value === "read the guide"`, wait)
	fits(t, tab)
	screenshot(t, tab, shots, "todo-error")
	keys(t, other, `input[name=title]`, "bread")
	other.WaitFor(`document.querySelector("input[name=title]").getAttribute("value") === "bread"`, wait)
	tab.WaitFor(`document.querySelector("input[name=title]").getAttribute("value") === "read the guide"`, wait)
	if got := browsertest.MustEval[string](other.Tab, `document.getElementById("title-error").textContent`); got != "" {
		t.Errorf("the other viewer shows the first one's error %q", got)
	}
	browsertest.MustEval[bool](tab.Tab, `(document.activeElement.value = "", true)`)
	keys(t, tab, `input[name=title]`, "buy milk\r")
	rows := `[...document.querySelectorAll(".todos span")].map(s => s.textContent).join() === "Try the demo,Read the guide,buy milk"`
	tab.WaitFor(rows, wait)
	other.WaitFor(rows, wait)
	tab.WaitFor(`document.querySelector("input[name=title]").value === "" && document.getElementById("title-error").textContent === ""`, wait)
	// The add's reply, in the adder's tab alone.
	tab.WaitFor(`document.getElementById("added").textContent === "Added “buy milk” as #3."`, wait)
	if got := browsertest.MustEval[string](other.Tab, `document.getElementById("added").textContent`); got != "" {
		t.Errorf("the other viewer shows the adder's reply %q", got)
	}
	if got := browsertest.MustEval[string](other.Tab, `document.querySelector("input[name=title]").value`); got != "bread" {
		t.Errorf("the other viewer's field after an add: %q", got)
	}
	// The new row: check it off, move it up, delete the first row.
	click(t, tab, `li[data-key="3"] input[type=checkbox]`)
	tab.WaitFor(`document.querySelector('li[data-key="3"]').className === "done"`, wait)
	click(t, tab, `li[data-key="3"] [lvt-value-by="-1"]`)
	tab.WaitFor(`[...document.querySelectorAll(".todos li")].map(l => l.dataset.key).join() === "1,3,2"`, wait)
	// Delete asks first, without a round trip: the question shows with the
	// page's version unchanged, and stays open while the list changes.
	v := browsertest.MustEval[int](tab.Tab, `liveTemplate.version`)
	click(t, tab, `li[data-key="1"] [aria-label="Delete"]`)
	tab.WaitFor(`getComputedStyle(document.getElementById("confirm-1")).display !== "none" && liveTemplate.version === `+strconv.Itoa(v), wait)
	click(t, other, `li[data-key="2"] input[type=checkbox]`)
	tab.WaitFor(`document.querySelector('li[data-key="2"]').className === "done"`, wait)
	if got := browsertest.MustEval[string](tab.Tab, `getComputedStyle(document.getElementById("confirm-1")).display`); got == "none" {
		t.Errorf("the question after a change of the list: display %q", got)
	}
	click(t, other, `li[data-key="2"] input[type=checkbox]`)
	click(t, tab, `#confirm-1 [lvt-click="delete"]`)
	tab.WaitFor(`[...document.querySelectorAll(".todos li")].map(l => l.dataset.key).join() === "3,2"`, wait)
	tab.WaitFor(`document.getElementById("left").textContent === "1 of 2 left"`, wait)
	other.WaitFor(`document.getElementById("left").textContent === "1 of 2 left"`, wait)
	screenshot(t, tab, shots, "todo")
}

// todoFiltersInBrowser: the filter links patch the list's address and
// filter its rows without a reload, back and forward walk the filters, and
// a load of ?filter=done gets the done rows in the server's HTML.
func todoFiltersInBrowser(t *testing.T, b *browsertest.Browser, url string) {
	tab := phone(t, b)
	tab.Navigate(url + "/todo/")
	open(tab)
	h0 := browsertest.MustEval[int](tab.Tab, `window.mark = 1, history.length`)
	shows := func(search, keys string) {
		t.Helper()
		tab.WaitFor(`location.search === `+strconv.Quote(search)+` && window.mark === 1 && `+
			`[...document.querySelectorAll(".todos li[data-key]")].map(l => l.dataset.key).join() === "`+keys+`" && `+
			`document.querySelector(".filters [aria-current]").textContent === "`+cmp.Or(strings.TrimPrefix(search, "?filter="), "all")+`"`, wait)
	}
	shows("", "1,2")
	click(t, tab, `.filters a[href="?filter=done"]`)
	shows("?filter=done", "1")
	click(t, tab, `.filters a[href="?filter=active"]`)
	shows("?filter=active", "2")
	browsertest.MustEval[bool](tab.Tab, `history.back(), true`)
	shows("?filter=done", "1")
	browsertest.MustEval[bool](tab.Tab, `history.back(), true`)
	shows("", "1,2")
	browsertest.MustEval[bool](tab.Tab, `history.forward(), true`)
	shows("?filter=done", "1")
	if n := browsertest.MustEval[int](tab.Tab, `history.length`) - h0; n != 2 {
		t.Errorf("history grew by %d entries, want 2", n)
	}
	// The document at the filtered address has the filtered rows before any
	// script runs: the server rendered them.
	served := `fetch(location.href).then((r) => r.text()).then((h) => [...new DOMParser().parseFromString(h, "text/html").querySelectorAll(".todos li[data-key]")].map(l => l.dataset.key).join())`
	if got := browsertest.MustEval[string](tab.Tab, served); got != "1" {
		t.Errorf("the rows of the document at ?filter=done: %q, want 1", got)
	}
	tab.Navigate(browsertest.MustEval[string](tab.Tab, `location.href`))
	open(tab)
	browsertest.MustEval[bool](tab.Tab, `window.mark = 1, true`)
	shows("?filter=done", "1")
}

// chatInBrowser: two tabs of a browser of their own share one connection;
// a message sent in one shows in both; the newest message stays in view
// unless the reader scrolled up, who then gets a pill that brings it into
// view; when the leading tab closes, the other leads and the chat goes on.
func chatInBrowser(t *testing.T, url, shots string) {
	b := browsertest.Start(t)
	one, two := phone(t, b), phone(t, b)
	for _, tab := range []*watched{one, two} {
		tab.Navigate(url + "/chat/")
		open(tab)
	}
	for _, tab := range []*watched{one, two} {
		tab.WaitFor(`liveTemplate.leader.shared && liveTemplate.leader.leader !== ""`, wait)
		tab.WaitFor(`document.getElementById("connections").textContent === "1"`, wait)
	}
	keys(t, two, "#text", "hello from two\r")
	one.WaitFor(`document.getElementById("messages").textContent.includes("hello from two")`, wait)
	// Send stays on the line of the message's field at a phone's width.
	one.WaitFor(`(() => {
		const f = document.getElementById("text").getBoundingClientRect();
		const s = document.querySelector("#say button").getBoundingClientRect();
		return s.top < f.bottom && s.bottom > f.top && s.right <= document.documentElement.clientWidth;
	})()`, wait)
	fits(t, one)
	chatScrolls(t, one, two)
	screenshot(t, one, shots, "chat")

	leader, other := one, two
	if browsertest.MustEval[bool](two.Tab, `liveTemplate.leader.leader === liveTemplate.leader.tab`) {
		leader, other = two, one
	}
	leader.Close()
	other.WaitFor(`liveTemplate.leader.leader === liveTemplate.leader.tab && liveTemplate.state === "open"`, wait)
	keys(t, other, "#text", "still here\r")
	other.WaitFor(`document.getElementById("messages").textContent.includes("still here")`, wait)
	other.WaitFor(`document.getElementById("leader").textContent === "this tab"`, wait)
	other.WaitFor(`document.getElementById("connections").textContent === "1"`, wait)
	screenshot(t, other, shots, "chat-after-handover")
}

// The chat's list: at its end (the newest message in view), and the pill.
const (
	atEnd    = `(l => l.scrollHeight - l.scrollTop - l.clientHeight < 2)(document.getElementById("messages"))`
	pillOff  = `document.getElementById("jump").hidden`
	scrolled = `document.getElementById("messages").scrollTop === 0`
)

// chatScrolls: more messages than the list shows keep the newest in view in
// both tabs; a reader who scrolled up stays there and gets the pill, whose
// click brings the newest into view; your own message always comes into
// view.
func chatScrolls(t *testing.T, reader, writer *watched) {
	browsertest.MustEval[bool](writer.Tab, `Promise.all([...Array(15).keys()].map(i =>
		liveTemplate.pushEvent("send", { name: "two", text: "message " + i }))).then(() => true)`)
	for _, tab := range []*watched{reader, writer} {
		tab.WaitFor(`document.getElementById("messages").lastElementChild.textContent.endsWith("message 14")`, wait)
		tab.WaitFor(atEnd+` && `+pillOff, wait)
	}
	scrollUp(t, reader)
	keys(t, writer, "#text", "a new one\r")
	reader.WaitFor(`document.getElementById("messages").lastElementChild.textContent.endsWith("a new one")`, wait)
	reader.WaitFor(`!`+pillOff+` && `+scrolled, wait)
	writer.WaitFor(atEnd+` && `+pillOff, wait)
	click(t, reader, "#jump")
	reader.WaitFor(atEnd+` && `+pillOff, wait)
	// Scrolled up, your own message still comes into view.
	scrollUp(t, reader)
	keys(t, reader, "#text", "mine\r")
	reader.WaitFor(`document.getElementById("messages").lastElementChild.textContent.endsWith("mine")`, wait)
	reader.WaitFor(atEnd+` && `+pillOff, wait)
}

// scrollUp scrolls the chat's list to its top, as a reader does, and waits
// for the page to see the scroll.
func scrollUp(t *testing.T, tab *watched) {
	t.Helper()
	browsertest.MustEval[bool](tab.Tab, `new Promise(done => {
		const l = document.getElementById("messages");
		l.addEventListener("scroll", () => setTimeout(() => done(true)), { once: true });
		l.scrollTop = 0;
	})`)
}

// watched is a tab, and what went wrong in it: console output, errors the
// browser logged (a Content-Security-Policy violation among them) and
// responses with an error status (a missing icon among them).
type watched struct {
	*browsertest.Tab
	mu       sync.Mutex
	problems []string
	expected map[string]bool // URLs whose error status is the test's intent
}

// phone opens a tab as wide as a phone's screen; at the end of the test
// the tab must have had no problems.
func phone(t *testing.T, b *browsertest.Browser) *watched {
	tab := &watched{Tab: b.Tab(t), expected: map[string]bool{}}
	if err := chromedp.Listen(tab.Context(), tab.listen); err != nil {
		t.Fatal(err)
	}
	do(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	t.Cleanup(func() {
		if p := append(tab.Console(), tab.Problems()...); len(p) != 0 {
			t.Errorf("the tab's console and failures:\n%s", strings.Join(p, "\n"))
		}
	})
	return tab
}

func (tab *watched) listen(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
			problem = fmt.Sprintf("%s %s: %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			problem = fmt.Sprintf("%d %s", ev.Response.Status, ev.Response.URL)
		}
	}
	if problem == "" {
		return
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	if ev, ok := ev.(*network.EventResponseReceived); ok && tab.expected[ev.Response.URL] {
		return
	}
	if ev, ok := ev.(*cdplog.EventEntryAdded); ok && tab.expected[ev.Entry.URL] {
		return
	}
	tab.problems = append(tab.problems, problem)
}

// expect says that url answers with an error status on purpose.
func (tab *watched) expect(url string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.expected[url] = true
}

// Problems returns what went wrong in the tab so far.
func (tab *watched) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.problems...)
}

// fits checks that the tab's page fits its width: it does not scroll
// sideways and no element reaches past its edges.
func fits(t *testing.T, tab *watched) {
	t.Helper()
	wide := browsertest.MustEval[[]string](tab.Tab, `(() => {
		const w = document.documentElement.clientWidth;
		const out = [...document.querySelectorAll("body *")].filter(e => {
			const r = e.getBoundingClientRect();
			return r.width > 0 && (r.left < -0.5 || r.right > w + 0.5);
		}).map(e => e.tagName + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "") + " " + Math.round(e.getBoundingClientRect().right));
		if (document.documentElement.scrollWidth > w) out.unshift("the document, " + document.documentElement.scrollWidth + "px");
		return out;
	})()`)
	if len(wide) != 0 {
		t.Errorf("%s: wider than the phone's 390px: %q", browsertest.MustEval[string](tab.Tab, `location.pathname`), wide)
	}
}

// open waits until the tab's client is connected.
func open(tab *watched) {
	tab.WaitFor(`window.liveTemplate && liveTemplate.state === "open"`, wait)
}

func click(t *testing.T, tab *watched, sel string) {
	t.Helper()
	do(t, tab, chromedp.Click(chromedp.CSS(sel)))
}

// keys types text into the element sel as a user does, key by key.
func keys(t *testing.T, tab *watched, sel, text string) {
	t.Helper()
	do(t, tab, chromedp.SendKeys(chromedp.CSS(sel), text))
}

func do(t *testing.T, tab *watched, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%v; console: %q", err, tab.Console())
	}
}

// screenshot saves what tab shows as dir/name.png and logs where.
func screenshot(t *testing.T, tab *watched, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

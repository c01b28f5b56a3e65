package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// wait is how long a tab may take to show a change: generous, for a machine
// that runs other tests beside this one.
const wait = 10 * time.Second

// TestDemoInBrowser loads each example in Chromium, acts on it as a user
// does and checks the DOM, saving a screenshot of each page, at a phone's
// width, in the test's temporary directory.
func TestDemoInBrowser(t *testing.T) {
	d := start(t)
	b := browsertest.Start(t)
	shots := t.TempDir()
	url := "http://" + d.addr

	t.Run("index", func(t *testing.T) {
		tab := phone(t, b)
		tab.Navigate(url + "/")
		tab.WaitFor(`document.querySelectorAll(".examples li").length === 4`, wait)
		screenshot(t, tab, shots, "index")
	})
	t.Run("counter", func(t *testing.T) {
		tab := phone(t, b)
		tab.Navigate(url + "/counter/")
		tab.WaitFor(`document.querySelector(".count")?.textContent === "0"`, wait)
		click(t, tab, `[lvt-click="increment"]`)
		click(t, tab, `[lvt-click="increment"]`)
		tab.WaitFor(`document.querySelector(".count").textContent === "2"`, wait)
		screenshot(t, tab, shots, "counter")
	})
	t.Run("dashboard", func(t *testing.T) {
		one, two := phone(t, b), phone(t, b)
		for _, tab := range []*browsertest.Tab{one, two} {
			tab.Navigate(url + "/dashboard/")
			open(tab)
		}
		// The ticker changes the page for both tabs.
		v := browsertest.MustEval[int](two, `liveTemplate.version`)
		two.WaitFor(`liveTemplate.version > `+strconv.Itoa(v), wait)
		click(t, one, `[lvt-click="pause"]`)
		two.WaitFor(`document.getElementById("status").textContent.startsWith("Paused")`, wait)
		screenshot(t, two, shots, "dashboard")
		click(t, two, `[lvt-click="pause"]`)
		one.WaitFor(`document.getElementById("status").textContent.startsWith("Live")`, wait)
	})
	t.Run("todo", func(t *testing.T) {
		tab := phone(t, b)
		tab.Navigate(url + "/todo/")
		open(tab)
		// A title on the list already: the server says so while the user types,
		// and the field keeps the focus and what was typed.
		keys(t, tab, `input[name=title]`, "read the guide")
		tab.WaitFor(`document.getElementById("title-error").textContent.includes("on the list already")`, wait)
		tab.WaitFor(`document.activeElement.name === "title" && document.activeElement.value === "read the guide"`, wait)
		screenshot(t, tab, shots, "todo-error")
		browsertest.MustEval[bool](tab, `(document.activeElement.value = "", true)`)
		keys(t, tab, `input[name=title]`, "buy milk\r")
		tab.WaitFor(`[...document.querySelectorAll(".todos span")].map(s => s.textContent).join() === "Try the demo,Read the guide,buy milk"`, wait)
		tab.WaitFor(`document.querySelector("input[name=title]").value === "" && document.getElementById("title-error").textContent === ""`, wait)
		// The new row: check it off, move it up, delete the first row.
		click(t, tab, `li[data-key="3"] input[type=checkbox]`)
		tab.WaitFor(`document.querySelector('li[data-key="3"]').className === "done"`, wait)
		click(t, tab, `li[data-key="3"] [lvt-value-by="-1"]`)
		click(t, tab, `li[data-key="1"] [lvt-click="delete"]`)
		tab.WaitFor(`[...document.querySelectorAll(".todos li")].map(l => l.dataset.key).join() === "3,2"`, wait)
		tab.WaitFor(`document.getElementById("left").textContent === "1 of 2 left"`, wait)
		screenshot(t, tab, shots, "todo")
	})
	t.Run("chat", func(t *testing.T) { chatInBrowser(t, url, shots) })
}

// chatInBrowser: two tabs of a browser of their own share one connection;
// a message sent in one shows in both; when the leading tab closes, the
// other leads and the chat goes on.
func chatInBrowser(t *testing.T, url, shots string) {
	b := browsertest.Start(t)
	one, two := phone(t, b), phone(t, b)
	for _, tab := range []*browsertest.Tab{one, two} {
		tab.Navigate(url + "/chat/")
		open(tab)
	}
	for _, tab := range []*browsertest.Tab{one, two} {
		tab.WaitFor(`liveTemplate.leader.shared && liveTemplate.leader.leader !== ""`, wait)
		tab.WaitFor(`document.getElementById("connections").textContent === "1"`, wait)
	}
	keys(t, two, "#text", "hello from two\r")
	one.WaitFor(`document.getElementById("messages").textContent.includes("hello from two")`, wait)
	screenshot(t, one, shots, "chat")

	leader, other := one, two
	if browsertest.MustEval[bool](two, `liveTemplate.leader.leader === liveTemplate.leader.tab`) {
		leader, other = two, one
	}
	leader.Close()
	other.WaitFor(`liveTemplate.leader.leader === liveTemplate.leader.tab && liveTemplate.state === "open"`, wait)
	keys(t, other, "#text", "still here\r")
	other.WaitFor(`document.getElementById("messages").textContent.includes("still here")`, wait)
	other.WaitFor(`document.getElementById("leader").textContent === "this tab"`, wait)
	other.WaitFor(`document.getElementById("connections").textContent === "1"`, wait)
	screenshot(t, other, shots, "chat-after-handover")
	if c := other.Console(); len(c) != 0 {
		t.Errorf("console: %q", c)
	}
}

// phone opens a tab as wide as a phone's screen.
func phone(t *testing.T, b *browsertest.Browser) *browsertest.Tab {
	tab := b.Tab(t)
	do(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	return tab
}

// open waits until the tab's client is connected.
func open(tab *browsertest.Tab) {
	tab.WaitFor(`window.liveTemplate && liveTemplate.state === "open"`, wait)
}

func click(t *testing.T, tab *browsertest.Tab, sel string) {
	t.Helper()
	do(t, tab, chromedp.Click(chromedp.CSS(sel)))
}

// keys types text into the element sel as a user does, key by key.
func keys(t *testing.T, tab *browsertest.Tab, sel, text string) {
	t.Helper()
	do(t, tab, chromedp.SendKeys(chromedp.CSS(sel), text))
}

func do(t *testing.T, tab *browsertest.Tab, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%v; console: %q", err, tab.Console())
	}
}

// screenshot saves what tab shows as dir/name.png and logs where.
func screenshot(t *testing.T, tab *browsertest.Tab, dir, name string) {
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

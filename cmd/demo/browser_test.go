package main

import (
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// TestDemoInBrowser: two tabs of Chromium on one counter; a click in one
// shows in both.
func TestDemoInBrowser(t *testing.T) {
	d := start(t)
	token, _ := d.newCounter(t)
	b := browsertest.Start(t)
	one, two := b.Tab(t), b.Tab(t)
	url := "http://" + d.addr + "/p/" + token
	one.Navigate(url)
	two.Navigate(url)
	one.WaitFor(`window.liveTemplate && window.liveTemplate.state === "open"`, 10*time.Second)
	two.WaitFor(`window.liveTemplate && window.liveTemplate.state === "open"`, 10*time.Second)
	browsertest.MustEval[bool](one, `(document.querySelector('[lvt-value-by="1"]').click(), true)`)
	for _, tab := range []*browsertest.Tab{one, two} {
		tab.WaitFor(`document.querySelector(".count").textContent === "1"`, 10*time.Second)
		if c := tab.Console(); len(c) != 0 {
			t.Errorf("console: %q", c)
		}
	}
}

package client_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The browser tests of what a page learns of its connection: the server's
// close code on every tab, a page that is gone, and the state classes.

// TestShutdownCode closes the application under three tabs that share one
// connection: every tab hears the server's close code and reason, not a
// lost connection of its own making.
func TestShutdownCode(t *testing.T) {
	b := browsertest.Start(t)
	ts := newTabsSite(t)
	tabs := ts.openTabs(t, b, names("shut", 3))
	ts.waitOpen(t, 1)
	for _, tab := range tabs {
		browsertest.MustEval[bool](tab.Tab, `window.closes = [], liveTemplate.on("disconnected", (e) => closes.push(e.code + " " + e.reason)), true`)
	}
	if err := ts.app.Close(); err != nil {
		t.Fatal(err)
	}
	for i, tab := range tabs {
		tab.WaitFor(`closes.length > 0`, 10*time.Second)
		got := browsertest.MustEval[[]string](tab.Tab, `closes`)
		if got[0] != "1001 server_closing" {
			t.Errorf("tab %d heard the close %q, want 1001 server_closing", i, strings.Join(got, ", "))
		}
	}
}

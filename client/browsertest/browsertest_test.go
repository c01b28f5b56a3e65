package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// Two tabs of one browser share a BroadcastChannel and see Web Locks: what
// the multi-tab client relies on.
func TestTabsShareBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>t</title><p id=p>hi</p>`)
	}))
	defer srv.Close()
	b := browsertest.Start(t)
	one, two := b.Tab(t), b.Tab(t)
	one.Navigate(srv.URL)
	two.Navigate(srv.URL)
	if got := browsertest.MustEval[string](one, `document.getElementById("p").textContent`); got != "hi" {
		t.Fatalf("text = %q", got)
	}
	if !browsertest.MustEval[bool](one, `"locks" in navigator`) {
		t.Fatal("navigator.locks missing on 127.0.0.1")
	}
	browsertest.MustEval[bool](two, `(window.got = null, new BroadcastChannel("c").onmessage = e => { window.got = e.data }, true)`)
	browsertest.MustEval[bool](one, `(new BroadcastChannel("c").postMessage("ping"), true)`)
	two.WaitFor(`window.got === "ping"`, 5*time.Second)
	browsertest.MustEval[bool](one, `(console.log("hello", 2), true)`)
	one.WaitFor(`true`, time.Second)
	if c := one.Console(); len(c) != 1 || c[0] != `log: "hello" 2` {
		t.Errorf("console = %q", c)
	}
}

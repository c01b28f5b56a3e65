package client_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The browser tests of fencing: the server closes an older leader's
// connection when a newer one of the browser opens, by a credential that
// only the browser knows, and for each endpoint apart.

// attack connects to the site's /live as a third party that learned the
// browser id of the tabs (from a URL in a log, or the page's own script):
// once with the id in the query, as clients before the credential sent it,
// and once in a credential of its own key, each with the highest epoch it
// may give. It returns the attacker's connections.
func (ts *tabsSite) attack(t *testing.T, browser string) []*websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(ts.srv.URL, "http") + "/live"
	var conns []*websocket.Conn
	for _, a := range []struct {
		query     string
		protocols []string
	}{
		{"?browser=" + browser + "&epoch=18446744073709551615", nil},
		{"", []string{"livetemplate", "livetemplate.fence." + browser + ".the-attackers-own-key-0123.9007199254740991"}},
	} {
		ws, _, err := websocket.Dial(t.Context(), url+a.query, &websocket.DialOptions{Subprotocols: a.protocols})
		if err != nil {
			t.Fatalf("the attacker's handshake %s %v: %v", a.query, a.protocols, err)
		}
		ctx := ws.CloseRead(context.Background()) // answers pings, ends at the close
		t.Cleanup(func() {
			ws.CloseNow()
			<-ctx.Done()
		})
		conns = append(conns, ws)
	}
	return conns
}

func TestTabsFencing(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("ThirdParty", func(t *testing.T) {
		// A third party with the browser's id can neither close the
		// browser's connection nor refuse the next one.
		ts := newTabsSite(t)
		tabs := ts.openTabs(t, b, names("v", 3))
		leader, epoch, _ := waitLeader(t, tabs, 0, 0)
		browser := browsertest.MustEval[string](tabs[0].Tab, `liveTemplate.leader.browser`)
		attackers := ts.attack(t, browser)
		time.Sleep(500 * time.Millisecond) // a fenced leader would have reconnected by now
		ts.converge(t, tabs, 10)
		if n := ts.conns.Opened(); n != 1+len(attackers) {
			t.Fatalf("%d connections opened, want the tabs' and the attacker's %d: the attack closed the tabs' connection", n, len(attackers))
		}
		// The leader goes: the next one connects, and nothing of the attacker's refuses it.
		rest := append(tabs[:leader:leader], tabs[leader+1:]...)
		start := time.Now()
		tabs[leader].Close()
		waitLeader(t, rest, epoch, start.UnixMilli())
		for i, tab := range rest {
			push(t, tab, "add", fmt.Sprintf(`{n: %d}`, i+1))
		}
		ts.converge(t, rest, 20)
		for _, ws := range attackers {
			ws.Close(websocket.StatusNormalClosure, "")
		}
		ts.end(t, rest, 1, 2+len(attackers))
	})

	t.Run("TwoMounts", func(t *testing.T) {
		// One application's endpoint mounted twice, at /live and at
		// /admin/live, with two tabs on each: one connection for each
		// mount, which neither fences.
		ts := newTabsSite(t)
		var tabs []*liveTab
		for _, live := range []string{"/live", "/admin/live", "/live", "/admin/live"} {
			tab := b.Tab(t)
			tabs = append(tabs, ts.load(t, tab, "m"+live[1:2]+"?live="+live))
		}
		time.Sleep(3 * time.Second) // hubs that fenced each other would have reconnected many times
		if n := ts.conns.Opened(); n != 2 {
			t.Errorf("%d connections opened by four tabs on two mounts, want 2", n)
		}
		for _, tab := range tabs {
			push(t, tab, "add", `{n: 1}`)
		}
		ts.end(t, tabs, 2, 2)
	})
}

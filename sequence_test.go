package livetemplate_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
)

// sendSeq sends the event of tab number seq: id tab-seq, with "seq".
func (c *rawConn) sendSeq(tab string, seq int, name, data string) {
	c.t.Helper()
	frame := `{"type":"event","id":"` + tab + "-" + strconv.Itoa(seq) + `","seq":` + strconv.Itoa(seq) + `,"name":"` + name + `"`
	if data != "" {
		frame += `,"data":` + data
	}
	c.send(frame + "}")
}

// acked reads messages up to the ack of id, and returns it and whether a
// diff came before it.
func (c *rawConn) acked(id string) (ack map[string]any, diff bool) {
	c.t.Helper()
	for {
		m := c.next()
		switch {
		case m["type"] == "diff":
			diff = true
		case m["type"] == "ack" && m["id"] == id:
			return m, diff
		case m["type"] == "ack":
			c.t.Fatalf("%v: an ack before that of %s", m, id)
		}
	}
}

// TestLateResendRunsOnce: a numbered event resent after many newer events
// of the page, past WithDedupeWindow's ids, is acknowledged without running
// again: its tab's mark says it ran. The page keeps the marks of as many
// tabs as WithDedupeWindow says. (Before, the resend of an id that had
// left the window ran again.)
func TestLateResendRunsOnce(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithDedupeWindow(4))
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	c.sendSeq("tabA", 1, "add", "")
	if _, diff := c.acked("tabA-1"); !diff {
		t.Fatal("the first run made no diff")
	}
	for i := range 10 { // two other tabs' events push tabA-1 out of the ids kept
		tab, seq := "tab"+strconv.Itoa(i%2), i/2+1
		c.sendSeq(tab, seq, "add", "")
		c.acked(tab + "-" + strconv.Itoa(seq))
	}
	c.sendSeq("tabA", 1, "add", "")
	if ack, diff := c.acked("tabA-1"); ack["ok"] != true || diff {
		t.Fatalf("the late resend: %v, diff %v; want ok and no diff", ack, diff)
	}
	if n := page.Data().(counter).Count; n != 11 {
		t.Fatalf("count %d, want 11: the late resend ran again", n)
	}
	c.sendSeq("tabA", 2, "add", "")
	if ack, _ := c.acked("tabA-2"); ack["ok"] != true {
		t.Fatalf("the tab's next event: %v", ack)
	}
}

// TestTabOrder: a tab's numbered events run in the order of their numbers:
// one that comes before an earlier one of its tab is refused (unavailable,
// to resend) without running, and runs once the earlier one did.
func TestTabOrder(t *testing.T) {
	_, url, page := liveCounter(t)
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	c.sendSeq("t", 1, "add", "")
	c.acked("t-1")
	c.sendSeq("t", 3, "add", "")
	if ack, diff := c.acked("t-3"); ack["code"] != "unavailable" || diff {
		t.Fatalf("an event before its tab's earlier one: %v, diff %v; want unavailable and no diff", ack, diff)
	}
	c.sendSeq("t", 2, "add", "")
	c.acked("t-2")
	c.sendSeq("t", 3, "add", "")
	c.acked("t-3")
	if got := page.Data().(counter).Log; strings.Join(got, " ") != "t-1 t-2 t-3" {
		t.Fatalf("the handlers ran for %v, want t-1 t-2 t-3", got)
	}
	// A numbered event without a handler counts as run: the tab goes on.
	c.sendSeq("t", 4, "nope", "")
	if ack, _ := c.acked("t-4"); ack["code"] != "unknown_event" {
		t.Fatalf("an event without a handler: %v", ack)
	}
	c.sendSeq("t", 5, "add", "")
	if ack, _ := c.acked("t-5"); ack["ok"] != true {
		t.Fatalf("the event after one without a handler: %v", ack)
	}
}

// TestHeldBehindRefusal: a numbered event refused by the rate limits holds
// its tab's later events back on the connection, even those the limits
// would let through: they are refused too, until it comes again. The
// refusal says when to retry.
func TestHeldBehindRefusal(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithByteRate(10, 4096))
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	pad := `{"pad":"` + strings.Repeat("x", 2500) + `"}`
	c.sendSeq("t", 1, "add", pad)
	c.acked("t-1")
	c.sendSeq("t", 2, "add", pad) // past the byte burst: refused
	ack, _ := c.acked("t-2")
	if ack["code"] != "rate_limited" {
		t.Fatalf("the event past the byte burst: %v", ack)
	}
	if ms, _ := ack["retry_after"].(float64); ms < 100_000 || ms > 300_000 {
		t.Fatalf("retry_after %v, want about 250 s: 2,500 bytes at 10 a second", ack["retry_after"])
	}
	c.sendSeq("t", 3, "add", "") // small enough for the bucket
	if ack, diff := c.acked("t-3"); ack["ok"] == true || diff {
		t.Fatalf("the event after a refused one: %v, diff %v; want it refused", ack, diff)
	}
	c.sendSeq("u", 1, "add", "") // another tab is not held
	if ack, _ := c.acked("u-1"); ack["ok"] != true {
		t.Fatalf("another tab's event: %v", ack)
	}
	if got := page.Data().(counter).Log; strings.Join(got, " ") != "t-1 u-1" {
		t.Fatalf("the handlers ran for %v, want t-1 u-1", got)
	}
}

// TestShortShortfallWaits: a client a little faster than WithEventRate for
// a moment is slowed down, not refused: each of its frames waits for its
// token. (Before, the frames past the burst got rate_limited, and the
// client resent them a second later, out of order with the rest.)
func TestShortShortfallWaits(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithEventRate(50, 5))
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	const n = 20 // 15 past the burst: 300 ms of waits
	for i := range n {
		c.send(`{"type":"event","id":"e` + strconv.Itoa(i) + `","name":"add"}`)
	}
	for i := range n {
		if ack, _ := c.acked("e" + strconv.Itoa(i)); ack["ok"] != true {
			t.Fatalf("event %d: %v", i, ack)
		}
	}
	if got := page.Data().(counter).Count; got != n {
		t.Fatalf("count %d, want %d", got, n)
	}
}

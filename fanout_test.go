package livetemplate_test

import "testing"

// TestSenderDiffFirst: the diff of an event's change reaches the join that
// sent the event before the page's other joins, here the same page joined
// twice on one connection (as the tabs of one browser do): the sender
// paints first. (Before, the diffs went in the order of the joins.)
func TestSenderDiffFirst(t *testing.T) {
	_, url, page := liveCounter(t)
	c := rawDial(t, url, nil)
	for _, name := range []string{"a", "b", "c"} {
		c.send(`{"type":"join","page":"` + name + `","token":"` + page.GetToken() + `"}`)
		c.expect(false, map[string]any{"type": "render", "page": name})
		c.expect(false, map[string]any{"type": "joined", "page": name})
	}
	for i, sender := range []string{"b", "c", "a"} {
		c.send(`{"type":"event","page":"` + sender + `","id":"t-` + string(rune('1'+i)) + `","name":"add"}`)
		c.expect(false, map[string]any{"type": "diff", "page": sender})
		seen := map[string]bool{sender: true}
		for range 2 {
			m := c.expect(false, map[string]any{"type": "diff"})
			if seen[m["page"].(string)] {
				t.Fatalf("event of %s: two diffs for %v", sender, m["page"])
			}
			seen[m["page"].(string)] = true
		}
		c.expect(false, map[string]any{"type": "ack", "page": sender, "ok": true})
	}
}

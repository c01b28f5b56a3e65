package livetemplate_test

import (
	"context"
	"testing"

	"github.com/livetemplate/livetemplate"
)

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

// TestQuietJoin: a page joined on one connection under a name and twice
// more quietly (as a browser's hub joins it for three tabs) costs one diff
// per change on the wire, whoever sends the event: the quiet names get the
// answers to their own messages (catch-up, joined, acks, pushes to the
// sender, with the event's id) and nothing of the page's later diffs and
// pushes, until a resync makes one loud. (Before, quiet was a bad_message.)
func TestQuietJoin(t *testing.T) {
	app, url, page := liveCounter(t)
	handle(t, app, "counter", "toast", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		if err := add(ctx, p, 1, e.ID); err != nil {
			return err
		}
		return livetemplate.PushToSender(ctx, "toast", e.ID)
	})
	c := rawDial(t, url, nil)
	tok := page.GetToken()
	c.send(`{"type":"join","page":"a","token":"` + tok + `"}`)
	c.expect(false, map[string]any{"type": "render", "page": "a"})
	c.expect(false, map[string]any{"type": "joined", "page": "a"})
	for _, name := range []string{"b", "c"} {
		c.send(`{"type":"join","page":"` + name + `","token":"` + tok + `","v":1,"quiet":true}`)
		c.expect(true, map[string]any{"type": "joined", "page": name, "v": 1.0})
	}
	c.send(`{"type":"event","page":"b","id":"b-1","seq":1,"name":"add"}`)
	c.expect(false, map[string]any{"type": "diff", "page": "a", "v": 2.0})
	c.expect(true, map[string]any{"type": "ack", "page": "b", "id": "b-1", "ok": true})
	c.quiet()
	c.send(`{"type":"event","page":"c","id":"c-1","seq":1,"name":"toast"}`)
	c.expect(false, map[string]any{"type": "diff", "page": "a", "v": 3.0})
	c.expect(true, map[string]any{"type": "push", "page": "c", "name": "toast", "data": "c-1", "id": "c-1"})
	c.expect(false, map[string]any{"type": "ack", "page": "c", "id": "c-1"})
	if err := page.Push(testContext(t), "hello", nil); err != nil {
		t.Fatal(err)
	}
	c.expect(true, map[string]any{"type": "push", "page": "a", "name": "hello"})
	c.quiet()
	// A resync without quiet: b gets the page's diffs again, a copy of its own.
	c.send(`{"type":"join","page":"b","token":"` + tok + `","v":3}`)
	c.expect(true, map[string]any{"type": "joined", "page": "b", "v": 3.0})
	c.send(`{"type":"leave","page":"a"}`)
	c.send(`{"type":"event","page":"c","id":"c-2","seq":2,"name":"add"}`)
	c.expect(false, map[string]any{"type": "diff", "page": "b", "v": 4.0})
	c.expect(false, map[string]any{"type": "ack", "page": "c", "id": "c-2"})
	c.quiet()
}

package client_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// dropDiffs is a script for a page's head, loaded before the client: it
// wraps WebSocket so that the test can make the page miss diff frames
// (window.drop, the versions of the diffs to lose) or get twice (window.dup),
// and records every frame in (window.got: "type v base") and out
// (window.sent: the parsed message).
const dropDiffs = `
window.drop = new Set(); window.dup = new Set(); window.got = []; window.sent = [];
const WS = window.WebSocket;
window.WebSocket = class extends WS {
	set onmessage(f) {
		super.onmessage = f && ((e) => {
			const m = JSON.parse(e.data);
			const lost = m.type === "diff" && drop.delete(m.v);
			got.push((lost ? "lost " : "") + m.type + " " + (m.v ?? "") + " " + (m.base ?? ""));
			if (!lost) f.call(this, e);
			if (m.type === "diff" && dup.delete(m.v)) f.call(this, e);
		});
	}
	get onmessage() { return super.onmessage; }
	send(d) { sent.push(JSON.parse(d)); super.send(d); }
};`

// gapScript connects with the tree: no version, so the server sends the page.
const gapScript = `<script src="/livetemplate.js"></script>
<script>
  window.liveTemplate = new LiveTemplateClient({presetToken: "{{TOKEN}}"});
  window.updates = [];
  window.errors = [];
  liveTemplate.on("updated", (e) => updates.push(e.v));
  liveTemplate.on("error", (e) => errors.push(e.code));
  liveTemplate.connect("/live");
</script>`

// TestGap: a client holding the page's tree misses diffs; it notices the
// gap at the next diff's base, joins again with the version it holds, and
// converges to the server's HTML, applying every version once.
func TestGap(t *testing.T) {
	b := browsertest.Start(t)
	update := func(t *testing.T, p *livetemplate.Page, c counter) {
		t.Helper()
		if _, err := p.Update(c); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Diffs", func(t *testing.T) {
		s := newSite(t, siteConfig{head: "<script src=/drop.js></script>", script: gapScript,
			extra: map[string]http.Handler{"GET /drop.js": jsHandler(dropDiffs)}})
		tab := s.open(b, "/page")
		p := s.page()
		tab.WaitFor(`updates.length === 1`, 5*time.Second)
		update(t, p, counter{Count: 1, Log: []string{"a"}}) // v2
		tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
		browsertest.MustEval[bool](tab, `drop.add(3), drop.add(4), true`)
		update(t, p, counter{Count: 2, Log: []string{"a", "b"}})      // v3: lost
		update(t, p, counter{Count: 3, Log: []string{"b", "c"}})      // v4: lost
		update(t, p, counter{Count: 4, Log: []string{"c", "b", "d"}}) // v5: base 4, the client holds 2
		tab.WaitFor(`liveTemplate.version === 5`, 5*time.Second)
		s.waitHTML(tab, p)
		update(t, p, counter{Count: 5, Log: []string{"d", "e"}}) // v6
		update(t, p, counter{Count: 6, Log: []string{"e"}})      // v7
		tab.WaitFor(`liveTemplate.version === 7`, 5*time.Second)
		s.waitHTML(tab, p)
		time.Sleep(100 * time.Millisecond) // anything more would come now
		st := browsertest.MustEval[struct {
			Updates []int
			Joins   []string
			Errors  []string
			Got     []string
		}](tab, `({Updates: updates, Errors: errors, Got: got,
			Joins: sent.filter((m) => m.type === "join").map((m) => m.v + "")})`)
		if fmt.Sprint(st.Updates) != "[1 2 3 4 5 6 7]" {
			t.Errorf("updated events for versions %v, want each of 1 to 7 once\nframes: %q", st.Updates, st.Got)
		}
		// The first join is the page's own on the browser's shared connection.
		if fmt.Sprint(st.Joins) != "[0 2]" {
			t.Errorf("joins sent with versions %v, want the join from 0 and one resync from version 2\nframes: %q", st.Joins, st.Got)
		}
		if len(st.Errors) > 0 {
			t.Errorf("errors %v", st.Errors)
		}
		noConsole(t, tab)
	})

	t.Run("StaleDiff", func(t *testing.T) {
		// A diff the client already holds (here: one frame delivered
		// twice) is left alone: no resync, no second update.
		s := newSite(t, siteConfig{head: "<script src=/drop.js></script>", script: gapScript,
			extra: map[string]http.Handler{"GET /drop.js": jsHandler(dropDiffs)}})
		tab := s.open(b, "/page")
		p := s.page()
		tab.WaitFor(`updates.length === 1`, 5*time.Second)
		browsertest.MustEval[bool](tab, `dup.add(2), true`)
		update(t, p, counter{Count: 1, Log: []string{"a"}}) // v2, twice
		update(t, p, counter{Count: 2, Log: []string{"a", "b"}})
		tab.WaitFor(`liveTemplate.version === 3`, 5*time.Second)
		s.waitHTML(tab, p)
		time.Sleep(100 * time.Millisecond)
		st := browsertest.MustEval[struct {
			Updates []int
			Joins   int
			Got     []string
		}](tab, `({Updates: updates, Got: got, Joins: sent.filter((m) => m.type === "join").length})`)
		if fmt.Sprint(st.Updates) != "[1 2 3]" || st.Joins != 1 {
			t.Errorf("updated events %v and %d joins, want 1 2 3 and only the page's first join\nframes: %q", st.Updates, st.Joins, st.Got)
		}
		noConsole(t, tab)
	})

	t.Run("RenderWhileTyping", func(t *testing.T) {
		// The history keeps one diff: the missed ones come back as a
		// render of the whole page, while the user types in a field.
		src := `<p id="count">{{.Count}}</p><input id="name" name="name" value="{{len .Log}}">` +
			`<ul id="log">{{range .Log}}<li data-key="{{.}}">{{.}}</li>{{end}}</ul>`
		s := newSite(t, siteConfig{src: src, head: "<script src=/drop.js></script>", script: gapScript,
			opts:  []livetemplate.Option{livetemplate.WithHistory(1)},
			extra: map[string]http.Handler{"GET /drop.js": jsHandler(dropDiffs)}})
		tab := s.open(b, "/page")
		p := s.page()
		update(t, p, counter{Count: 1, Log: []string{"a", "b"}}) // v2
		tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
		browsertest.MustEval[bool](tab, `(() => {
			const input = document.getElementById("name");
			input.focus();
			input.value = "typed by me";
			input.setSelectionRange(3, 6);
			document.querySelectorAll("[data-lvt-root] *").forEach((e) => (e.mark = true));
			drop.add(3);
			return true;
		})()`)
		update(t, p, counter{Count: 2, Log: []string{"a", "b", "c"}}) // v3: lost
		update(t, p, counter{Count: 3, Log: []string{"b", "a"}})      // v4: base 3, rows moved
		tab.WaitFor(`liveTemplate.version === 4`, 5*time.Second)
		s.waitHTML(tab, p)
		update(t, p, counter{Count: 4, Log: []string{"b", "a", "c"}}) // v5
		tab.WaitFor(`liveTemplate.version === 5`, 5*time.Second)
		s.waitHTML(tab, p)
		time.Sleep(100 * time.Millisecond)
		st := browsertest.MustEval[struct {
			Updates          []int
			Got              []string
			Focus, Value     string
			SelStart, SelEnd int
			Kept             []string
		}](tab, `(() => {
			const input = document.getElementById("name");
			return {Updates: updates, Got: got, Focus: document.activeElement.id, Value: input.value,
				SelStart: input.selectionStart, SelEnd: input.selectionEnd,
				Kept: [...document.querySelectorAll("[data-lvt-root] *")].filter((e) => e.mark).map((e) => e.id || e.textContent)};
		})()`)
		if !strings.Contains(strings.Join(st.Got, ","), "render 4") {
			t.Errorf("frames %q: want a render of version 4 (the catch-up)", st.Got)
		}
		if fmt.Sprint(st.Updates) != "[1 2 4 5]" {
			t.Errorf("updated events for versions %v, want 1 2 4 5 once each\nframes: %q", st.Updates, st.Got)
		}
		if st.Focus != "name" || st.Value != "typed by me" || st.SelStart != 3 || st.SelEnd != 6 {
			t.Errorf("focus %q, value %q, selection %d-%d; want name, the typed value, 3-6", st.Focus, st.Value, st.SelStart, st.SelEnd)
		}
		if want := "[count name log b a]"; fmt.Sprint(st.Kept) != want {
			t.Errorf("elements kept from before the render: %v, want %s", st.Kept, want)
		}
		noConsole(t, tab)
	})

	t.Run("ScrollKept", func(t *testing.T) {
		// Diffs and a catch-up render (the history keeps one diff) leave
		// the window's and a scrolled box's positions where the user put
		// them.
		src := `<div id="box" style="height:100px;overflow:auto">{{range .Log}}<p data-key="{{.}}" style="height:50px;margin:0">{{.}}</p>{{end}}</div>` +
			`<p id="count">{{.Count}}</p><div style="height:3000px"></div>`
		s := newSite(t, siteConfig{src: src, head: "<script src=/drop.js></script>", script: gapScript,
			opts:  []livetemplate.Option{livetemplate.WithHistory(1)},
			extra: map[string]http.Handler{"GET /drop.js": jsHandler(dropDiffs)}})
		tab := s.open(b, "/page")
		p := s.page()
		rows := []string{"a", "b", "c", "d", "e", "f"}
		update(t, p, counter{Count: 1, Log: rows}) // v2
		tab.WaitFor(`liveTemplate.version === 2`, 5*time.Second)
		browsertest.MustEval[bool](tab, `(window.scrollTo(0, 400), document.getElementById("box").scrollTop = 120, drop.add(4), true)`)
		update(t, p, counter{Count: 2, Log: rows})                              // v3: a diff
		update(t, p, counter{Count: 3, Log: append(rows[:6:6], "g")})           // v4: lost
		update(t, p, counter{Count: 4, Log: append(rows[:6:6], "g", "h")})      // v5: base 4, a render
		update(t, p, counter{Count: 5, Log: append(rows[:6:6], "g", "h", "i")}) // v6: a diff
		tab.WaitFor(`liveTemplate.version === 6`, 5*time.Second)
		s.waitHTML(tab, p)
		st := browsertest.MustEval[struct {
			Window, Box float64
			Got         []string
		}](tab, `({Window: window.scrollY, Box: document.getElementById("box").scrollTop, Got: got})`)
		if strings.Count(strings.Join(st.Got, ","), "render ") < 2 {
			t.Errorf("frames %q: want a render after the first (the catch-up)", st.Got)
		}
		if st.Window != 400 || st.Box != 120 {
			t.Errorf("scroll positions: window %v, box %v; want 400 and 120", st.Window, st.Box)
		}
		noConsole(t, tab)
	})
}

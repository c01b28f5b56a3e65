package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// pushSrc has one hooked element, the chart, beside the count.
const pushSrc = `<p id="count">{{.Count}}</p><div id="chart" lvt-hook="Chart"></div>`

// pushJS registers the hook Chart, which logs each "point" push in
// window.log as "n@count": the push's n and the count that the page showed
// when the push arrived.
const pushJS = `window.log = [];
LiveTemplateClient.hooks.Chart = {
	mounted() {
		window.chart = this;
		this.handleEvent("point", (d) => log.push(d.n + "@" + document.getElementById("count").textContent));
	},
};`

// TestPushAndReply: in Chromium, with two tabs of one browser sharing one
// socket, Page.Push reaches each page's hooks once the page shows the
// Update made before it (the push waits for a fetch of the page that the
// change needed), and a hook's pushEvent resolves with the handler's reply.
func TestPushAndReply(t *testing.T) {
	b := browsertest.Start(t)
	s := newSite(t, siteConfig{src: pushSrc, version: true, csp: strictCSP,
		body:  `<script src="/push.js" defer></script>`,
		extra: map[string]http.Handler{"GET /push.js": jsHandler(pushJS)}})
	s.handle("count", func(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
		u, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(counter)
			c.Count++
			return c, nil
		})
		if err != nil {
			return err
		}
		return livetemplate.Reply(ctx, map[string]any{"n": p.Data().(counter).Count, "v": u.Version})
	})
	tabs := []*browsertest.Tab{s.open(b, "/page")}
	pages := []*livetemplate.Page{s.page()}
	tabs = append(tabs, s.open(b, "/page"))
	pages = append(pages, s.page())
	for _, tab := range tabs {
		tab.WaitFor(`window.chart`, 5*time.Second)
	}
	ctx := t.Context()
	var want []string
	for i := 1; i <= 5; i++ {
		for _, p := range pages {
			update(t, p, counter{Count: i})
			if err := p.Push(ctx, "point", map[string]int{"n": i}); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, fmt.Sprintf("%d@%d", i, i))
		if i == 1 {
			// The first change fetches the tree (the HTML came without it):
			// the push waits for it, and later diffs apply as they come.
			for _, tab := range tabs {
				tab.WaitFor(`document.getElementById("count").textContent === "1"`, 5*time.Second)
			}
		}
	}
	for i, tab := range tabs {
		tab.WaitFor(`log.length >= 5`, 5*time.Second)
		if got := browsertest.MustEval[[]string](tab, `log`); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("tab %d: pushes as the hook saw them %v; want %v, each after its change", i, got, want)
		}
	}
	for i, tab := range tabs {
		got := browsertest.MustEval[string](tab, `chart.pushEvent("count").then((r) => JSON.stringify(r), (e) => e.code)`)
		if got != `{"n":6,"v":7}` {
			t.Errorf("tab %d: pushEvent resolved with %s; want the handler's reply", i, got)
		}
	}
	if n := s.tr.opened.Load(); n != 1 {
		t.Errorf("%d connections for two tabs of one browser; want 1", n)
	}
}

package client_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// The page sync (src/sync.ts) alone: sequences of inputs replayed in the
// view's test page (window.LTSync), each step on the frozen state the last
// one returned, and the actions each step asked for.

// syncStep is an input (JSON) and the actions it must give, one line each:
// what, the page, and the version or code ("join p v3", "error p too_many_pages").
type syncStep struct {
	in   string
	acts []string
}

// syncCase is a sequence, and what its last state must say of pages.
type syncCase struct {
	name  string
	steps []syncStep
	end   map[string]string // page -> "phase fetch joins v tree"
}

// Inputs, as the client feeds them.
const (
	openShared = `{"type":"open","shared":true}`
	openSolo   = `{"type":"open","shared":false}`
	closeConn  = `{"type":"close"}`
)

func addPage(name string, v int) string {
	return `{"type":"add","name":"` + name + `","token":"T` + name + `","v":` + itoa(v) + `}`
}

func msg(m string) string { return `{"type":"message","m":` + m + `}` }

func render(page string, v int) string {
	return msg(`{"type":"render","page":"` + page + `","v":` + itoa(v) + `,"tree":{"s":{"0":["<p>","</p>"]},"f":[0,"x"]}}`)
}

func diffMsg(page string, base, v int) string {
	return msg(`{"type":"diff","page":"` + page + `","base":` + itoa(base) + `,"v":` + itoa(v) + `,"d":{"f":{"0":"y"}}}`)
}

func joinedMsg(page string, v int) string {
	return msg(`{"type":"joined","page":"` + page + `","v":` + itoa(v) + `}`)
}

func errorMsg(page, code string) string {
	return msg(`{"type":"error","page":"` + page + `","code":"` + code + `","message":"m"}`)
}

func pushMsg(page, name string) string {
	return msg(`{"type":"push","page":"` + page + `","name":"` + name + `","data":{"x":1}}`)
}

func named(typ, page string) string { return `{"type":"` + typ + `","name":"` + page + `"}` }

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// live is the start of most cases: page p, joined at v 1 with its tree.
var live = []syncStep{
	{addPage("p", 0), nil},
	{openShared, []string{"join p v0"}},
	{render("p", 1), []string{"connected p v0", "render p v1"}},
	{joinedMsg("p", 1), []string{"resend p"}},
}

func TestSync(t *testing.T) {
	b := browsertest.Start(t)
	tab := viewTab(t, b)
	cases := []syncCase{
		{name: "HTML with its version: joined at once, the tree in idle time", steps: []syncStep{
			{addPage("p", 3), nil},
			{openShared, []string{"join p v3"}},
			{joinedMsg("p", 3), []string{"connected p v3", "resend p", "idle p"}},
			{named("idle", "p"), []string{"join p v0"}},
			{named("idle", "p"), nil}, // asked already
			{render("p", 3), []string{"render p v3"}},
			{joinedMsg("p", 3), nil},
			{diffMsg("p", 3, 4), []string{"diff p v4"}},
		}, end: map[string]string{"p": "joined  0 4 true"}},
		{name: "no version: the join brings the page", steps: append(live[:4:4],
			syncStep{diffMsg("p", 1, 2), []string{"diff p v2"}},
			syncStep{diffMsg("p", 1, 2), nil}, // shown already
		), end: map[string]string{"p": "joined  0 2 true"}},
		{name: "its own socket: the URL joins, a PageHandler sends the token", steps: []syncStep{
			{`{"type":"add","name":"","token":"","v":5}`, nil},
			{openSolo, nil},
			{`{"type":"token","token":"Tnew"}`, nil},
			{msg(`{"type":"render","v":1,"tree":{"s":{"0":["<p>","</p>"]},"f":[0,"x"]}}`), []string{"connected  v0", "render  v1"}},
			{msg(`{"type":"joined","v":1}`), []string{"resend "}},
		}, end: map[string]string{"": "joined  0 1 true"}},
		{name: "a gap: a join from the version shown", steps: append(live[:4:4],
			syncStep{diffMsg("p", 2, 3), []string{"join p v1"}},
			syncStep{diffMsg("p", 3, 4), nil}, // the answer is on its way
			syncStep{diffMsg("p", 1, 2), []string{"diff p v2"}},
			syncStep{diffMsg("p", 2, 3), []string{"diff p v3"}},
			syncStep{joinedMsg("p", 3), nil},
		), end: map[string]string{"p": "joined  0 3 true"}},
		{name: "a change before the tree: only the whole page helps", steps: []syncStep{
			{addPage("p", 3), nil},
			{openShared, []string{"join p v3"}},
			{diffMsg("p", 3, 4), []string{"connected p v3", "join p v0"}},
			{diffMsg("p", 4, 5), nil},
			{render("p", 5), []string{"render p v5"}},
			{joinedMsg("p", 5), []string{"resend p"}},
			{joinedMsg("p", 5), nil},
		}, end: map[string]string{"p": "joined  0 5 true"}},
		{name: "a diff that does not apply: the whole page", steps: append(live[:4:4],
			syncStep{diffMsg("p", 1, 2), []string{"diff p v2"}},
			syncStep{`{"type":"failed","name":"p","render":false}`, []string{"join p v0"}},
			syncStep{diffMsg("p", 2, 3), nil},
			syncStep{render("p", 3), []string{"render p v3"}},
		), end: map[string]string{"p": "joined  1 3 true"}},
		{name: "a render that does not apply: asked again by the next change only", steps: append(live[:4:4],
			syncStep{`{"type":"failed","name":"p","render":true}`, nil},
			syncStep{diffMsg("p", 1, 2), []string{"join p v0"}},
		), end: map[string]string{"p": "joined tree 1 1 false"}},
		{name: "a refused join is retried, quietly", steps: []syncStep{
			{addPage("p", 0), nil},
			{openShared, []string{"join p v0"}},
			{errorMsg("p", "rate_limited"), []string{"retry p"}},
			{named("retry", "p"), []string{"join p v0"}},
			{errorMsg("p", "unavailable"), []string{"retry p"}},
			{named("retry", "p"), []string{"join p v0"}},
			{render("p", 1), []string{"connected p v0", "render p v1"}},
			{joinedMsg("p", 1), []string{"resend p"}},
		}, end: map[string]string{"p": "joined  0 1 true"}},
		{name: "the page ended", steps: append(live[:4:4],
			syncStep{errorMsg("p", "page_closed"), []string{"stop p page_closed"}},
		)},
		{name: "another error is reported", steps: append(live[:4:4],
			syncStep{errorMsg("p", "too_many_pages"), []string{"error p too_many_pages"}},
		)},
		{name: "not joined: join again, events wait for joined", steps: append(live[:4:4],
			syncStep{named("not_joined", "p"), []string{"join p v1"}},
			syncStep{joinedMsg("p", 1), []string{"resend p"}},
		), end: map[string]string{"p": "joined  0 1 true"}},
		{name: "the server holds another version and says nothing more", steps: append(live[:4:4],
			syncStep{named("not_joined", "p"), []string{"join p v1"}},
			syncStep{joinedMsg("p", 4), []string{"resend p", "join p v0"}},
		), end: map[string]string{"p": "joined tree 1 1 true"}},
		{name: "a close keeps a tree fetch, drops a gap's", steps: []syncStep{
			{addPage("p", 3), nil},
			{addPage("q", 0), nil},
			{openShared, []string{"join p v3", "join q v0"}},
			{joinedMsg("p", 3), []string{"connected p v3", "resend p", "idle p"}},
			{named("idle", "p"), []string{"join p v0"}},
			{render("q", 1), []string{"connected q v0", "render q v1"}},
			{joinedMsg("q", 1), []string{"resend q"}},
			{diffMsg("q", 2, 3), []string{"join q v1"}},
			{closeConn, nil},
			{named("retry", "p"), nil}, // no connection: the next one's join does it
			{openShared, []string{"join p v0", "join q v1"}},
		}, end: map[string]string{"p": "joining tree 1 3 false", "q": "joining  1 1 true"}},
		{name: "a push follows the change before it: held while the page fetches what it lacks", steps: []syncStep{
			{addPage("p", 3), nil},
			{openShared, []string{"join p v3"}},
			{joinedMsg("p", 3), []string{"connected p v3", "resend p", "idle p"}},
			{pushMsg("p", "a"), []string{"push p a"}},
			{diffMsg("p", 3, 4), []string{"join p v0"}}, // no tree: the whole page
			{pushMsg("p", "b"), nil},
			{pushMsg("p", "c"), nil},
			{render("p", 4), []string{"render p v4", "push p b", "push p c"}},
			{joinedMsg("p", 4), nil},
			{diffMsg("p", 5, 6), []string{"join p v4"}}, // a gap
			{pushMsg("p", "d"), nil},
			{diffMsg("p", 4, 5), []string{"diff p v5"}},
			{diffMsg("p", 5, 6), []string{"diff p v6"}},
			{joinedMsg("p", 6), []string{"push p d"}},
			{pushMsg("p", "e"), []string{"push p e"}},
		}, end: map[string]string{"p": "joined  0 6 true"}},
		{name: "many pages, each its own", steps: []syncStep{
			{addPage("p", 0), nil},
			{addPage("q", 0), nil},
			{openShared, []string{"join p v0", "join q v0"}},
			{render("q", 7), []string{"connected q v0", "render q v7"}},
			{render("r", 1), nil}, // a page this client does not hold
			{render("p", 1), []string{"connected p v0", "render p v1"}},
		}, end: map[string]string{"p": "live  1 1 true", "q": "live  1 7 true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ins []json.RawMessage
			for _, s := range c.steps {
				ins = append(ins, json.RawMessage(s.in))
			}
			js, err := json.Marshal(ins)
			if err != nil {
				t.Fatal(err)
			}
			type page struct {
				Phase, Fetch string
				Joins, V     int
				Tree         bool
			}
			got, err := browsertest.Eval[[]struct {
				Acts  []string
				State map[string]page
			}](tab, "window.LTSync("+string(js)+")")
			if err != nil {
				t.Fatalf("%v\nconsole:\n%s", err, strings.Join(tab.Console(), "\n"))
			}
			for i, s := range c.steps {
				if strings.Join(got[i].Acts, ", ") != strings.Join(s.acts, ", ") {
					t.Errorf("step %d %s: actions %q, want %q", i, s.in, got[i].Acts, s.acts)
				}
			}
			last := got[len(got)-1].State
			for name, want := range c.end {
				p, ok := last[name]
				if gotS := strings.Join([]string{p.Phase, p.Fetch, itoa(p.Joins), itoa(p.V), map[bool]string{true: "true", false: "false"}[p.Tree]}, " "); !ok || gotS != want {
					t.Errorf("page %q ends %q, want %q", name, gotS, want)
				}
			}
			if len(c.end) > 0 && len(last) != len(c.end) {
				t.Errorf("the sync holds %d pages, want %d", len(last), len(c.end))
			}
		})
	}
	if c := tab.Console(); len(c) > 0 {
		t.Errorf("console: %q", c)
	}
}

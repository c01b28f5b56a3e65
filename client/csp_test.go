package client_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// strictCSP allows scripts and connections of the page's own origin only:
// no inline scripts, no eval, no new Function.
const strictCSP = `default-src 'self'; script-src 'self'; connect-src 'self'`

// watchCSP records the page's CSP violations in window.violations; it runs
// before the page's other scripts. The page's inline script is blocked on
// purpose: its violation proves that the policy is enforced.
const watchCSP = `<script src="/watch.js"></script><script>window.inlineRan = true</script>`

// TestCSP runs the client, as the classic script and as the ES module, on a
// page whose Content-Security-Policy forbids inline scripts and eval.
func TestCSP(t *testing.T) {
	b := browsertest.Start(t)
	watch := jsHandler(`window.violations = [];
document.addEventListener("securitypolicyviolation", e => violations.push(e.effectiveDirective + " " + e.blockedURI));`)
	src := counterSrc + `<button id="add" lvt-click="add">+1</button>`

	check := func(t *testing.T, s *site, tab *browsertest.Tab) {
		t.Helper()
		p := s.page()
		if _, err := p.Update(counter{Count: 1}); err != nil { // a diff without a tree: a render comes
			t.Fatal(err)
		}
		s.waitHTML(tab, p)
		tab.WaitFor(`document.getElementById("add")`, 5*time.Second)
		browsertest.MustEval[bool](tab, `document.getElementById("add").click(), true`)
		tab.WaitFor(`document.getElementById("count").textContent === "2"`, 5*time.Second)
		s.waitHTML(tab, p)
		if v := browsertest.MustEval[[]string](tab, `violations`); len(v) != 1 || v[0] != "script-src-elem inline" {
			t.Errorf("CSP violations %q, want only the test's inline script", v)
		}
		if browsertest.MustEval[bool](tab, `window.inlineRan === true`) {
			t.Error("the inline script ran: no CSP")
		}
		noConsole(t, tab)
	}

	t.Run("Script", func(t *testing.T) {
		s := newSite(t, siteConfig{src: src, csp: strictCSP, head: watchCSP, version: true,
			extra: map[string]http.Handler{"GET /watch.js": watch}})
		tab := s.open(b, "/page")
		check(t, s, tab)
	})

	t.Run("Module", func(t *testing.T) {
		s := newSite(t, siteConfig{src: src, csp: strictCSP, head: watchCSP, version: true,
			script: `<script type="module" src="/app.mjs" data-token="{{TOKEN}}" data-version="{{V}}" id="app"></script>`,
			extra: map[string]http.Handler{
				"GET /watch.js": watch,
				"GET /app.mjs": jsHandler(`import { LiveTemplateClient } from "/livetemplate.mjs";
const d = document.getElementById("app").dataset;
const client = new LiveTemplateClient({ presetToken: d.token, version: Number(d.version) });
window.liveTemplate = client;
client.connect("/live");`),
			}})
		tab := s.open(b, "/page")
		check(t, s, tab)
	})
}

// TestNoEval checks the built bundle for eval and the Function constructor,
// which a strict CSP forbids.
func TestNoEval(t *testing.T) {
	files, err := built()
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`\beval\s*\(|\bFunction\s*\(|setTimeout\s*\(\s*["'\x60]`)
	for name, js := range files {
		if m := bad.Find(js); m != nil {
			i := bytes.Index(js, m)
			t.Errorf("%s: %q at %d: ...%s...", name, m, i, strings.ReplaceAll(string(js[max(0, i-40):min(len(js), i+40)]), "\n", " "))
		}
	}
}

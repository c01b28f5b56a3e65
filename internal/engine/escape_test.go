package engine

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"testing"
)

// escStep is one data value of an escaping case, and what the message that
// brings it to the client must carry.
type escStep struct {
	data  any
	is    []string // values the message must carry, exactly (html/template's documented output)
	lacks []string // substrings no value of the message may contain
}

// escCase runs a template over steps whose hostile values arrive in updates,
// after a benign first render. Besides the parity checks of checkSequence, it
// inspects the values each message carries: a client that writes a value
// into its slot writes exactly these bytes, so they must be escaped for the
// slot's context in the message itself.
type escCase struct {
	name   string
	src    string
	steps  []escStep
	forbid []string // substrings no value of any message may contain, in any letter case
	// check, if set, returns what is wrong with a value the messages carry,
	// or "" if nothing.
	check func(v string) string
}

const (
	xssJSURL     = "javascript:alert(1)"
	xssEndScript = "</script><script>alert(1)</script>"
)

func TestParityEscaping(t *testing.T) {
	cases := []escCase{
		{
			name: "href",
			src:  `<a href="{{.X}}">link</a>`,
			steps: []escStep{
				{data: pm{"X": "/home"}},
				{data: pm{"X": xssJSURL}, is: []string{"#ZgotmplZ"}},
				{data: pm{"X": "/ok?a=1&b=2"}},
				{data: pm{"X": " JavaScript:alert(1)"}, is: []string{"#ZgotmplZ"}},
				{data: pm{"X": "https://example.com/"}},
				{data: pm{"X": "vbscript:msgbox(1)"}, is: []string{"#ZgotmplZ"}},
				{data: pm{"X": "mailto:a@example.com"}},
				{data: pm{"X": "data:text/html;base64,PHNjcmlwdD4="}, is: []string{"#ZgotmplZ"}},
			},
			forbid: []string{"javascript:", "vbscript:", "data:text"},
		},
		{
			name: "src and srcset",
			src:  `<img src="{{.X}}" srcset="{{.X}} 2x"><iframe src="{{.X}}"></iframe>`,
			steps: []escStep{
				{data: pm{"X": "/a.png"}},
				{data: pm{"X": xssJSURL}, is: []string{"#ZgotmplZ"}},
				{data: pm{"X": "/b.png"}},
				{data: pm{"X": `x" onerror="alert(1)`}, lacks: []string{`"`}},
			},
			forbid: []string{"javascript:", "onerror=\""},
		},
		{
			name: "url query",
			src:  `<a href="/search?q={{.X}}&amp;page=1">s</a>`,
			steps: []escStep{
				{data: pm{"X": "go"}},
				{data: pm{"X": `"><script>alert(1)</script>`}},
				{data: pm{"X": "a b&c=d"}, lacks: []string{" ", "&", "="}},
			},
			forbid: []string{"<script", `"`, ">"},
		},
		{
			name: "event handler attribute",
			src:  `<button onclick="f({{.X}})">b</button>`,
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": `');alert(1);//`}},
				{data: pm{"X": `"),alert(1),("`}},
				{data: pm{"X": `</button><script>alert(1)</script>`}},
			},
			// A raw quote would end the attribute; inside it, the value must be
			// one JS string literal.
			forbid: []string{`"`, "'", "<"},
			check:  func(v string) string { return jsLiteral(html.UnescapeString(v), `"`) },
		},
		{
			name: "script block",
			src:  `<script>var x = {{.X}};</script>`,
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": xssEndScript}},
				{data: pm{"X": `"; alert(1); "`}},
				{data: pm{"X": "<!--"}},
				{data: pm{"X": 42}},
			},
			forbid: []string{"<", ">"},
			check: func(v string) string {
				if strings.TrimSpace(v) == "42" {
					return ""
				}
				return jsLiteral(v, `"`)
			},
		},
		{
			name: "js strings",
			src:  `<script>var s = "{{.X}}"; var t = '{{.X}}'; var r = /{{.X}}/;</script>`,
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": `"; alert(1); "`}},
				{data: pm{"X": `'; alert(1); '`}},
				{data: pm{"X": "/;alert(1);//"}},
				{data: pm{"X": xssEndScript}},
			},
			forbid: []string{"<", ">"},
			check:  func(v string) string { return jsRaw(v, "\"'/") },
		},
		{
			name: "js template literal",
			src:  "<script>var s = `pre {{.X}} post`;</script>",
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": "${alert(1)}"}},
				{data: pm{"X": "`; alert(1); `"}},
				{data: pm{"X": xssEndScript}},
			},
			forbid: []string{"${", "<", ">"},
			check:  func(v string) string { return jsRaw(v, "`$") },
		},
		{
			name: "style attribute",
			src:  `<p style="color: {{.X}}">p</p><div style="background: url({{.U}})">d</div>`,
			steps: []escStep{
				{data: pm{"X": "red", "U": "/bg.png"}},
				{data: pm{"X": "expression(alert(1))", "U": "/bg.png"}, is: []string{"ZgotmplZ"}},
				{data: pm{"X": "blue", "U": xssJSURL}, is: []string{"#ZgotmplZ"}},
				{data: pm{"X": "red;background:url(javascript:alert(1))", "U": "/x.png"}, is: []string{"ZgotmplZ"}},
				{data: pm{"X": `red"><script>alert(1)</script>`, "U": "/y.png"}},
			},
			forbid: []string{"expression(", "javascript:", "<script", `"`},
		},
		{
			name: "style block",
			src:  `<style>p { color: {{.X}}; } p::after { content: "{{.X}}"; }</style>`,
			steps: []escStep{
				{data: pm{"X": "red"}},
				{data: pm{"X": "expression(alert(1))"}},
				{data: pm{"X": "</style><script>alert(1)</script>"}},
				{data: pm{"X": `"} body { background: url(javascript:alert(1)) } p {"`}},
			},
			forbid: []string{"expression(", "</style", "<script", "javascript:", `"`},
		},
		{
			name: "rcdata",
			src:  `<title>{{.X}}</title><textarea>{{.X}}</textarea>`,
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": "</textarea><script>alert(1)</script>"}},
				{data: pm{"X": "</title><img src=x onerror=alert(1)>"}},
			},
			forbid: []string{"</textarea", "</title", "<script", "<img"},
		},
		{
			name: "unquoted attribute",
			src:  `<p class={{.X}} id=p>p</p>`,
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": "x onmouseover=alert(1)"}},
				{data: pm{"X": "x><script>alert(1)</script>"}},
				{data: pm{"X": `x"y'z`}},
			},
			forbid: []string{" ", "=", ">", "<", `"`, "'"},
		},
		{
			name: "attribute name from data",
			src:  `<div {{.X}}>d</div><p {{.X}}="v">p</p>`,
			steps: []escStep{
				{data: pm{"X": "title"}},
				{data: pm{"X": "onclick=alert(1)"}, is: []string{"ZgotmplZ"}},
				{data: pm{"X": "class"}},
				{data: pm{"X": "onmouseover"}, is: []string{"ZgotmplZ"}},
				{data: pm{"X": "id"}},
				{data: pm{"X": "style"}, is: []string{"ZgotmplZ"}},
				{data: pm{"X": "lang"}},
				{data: pm{"X": "href"}, is: []string{"ZgotmplZ"}},
			},
			forbid: []string{"onclick", "onmouseover", "style", "href", "="},
		},
		{
			name: "trusted values",
			src: `<div>{{.H}}</div><a href="{{.U}}">u</a><script>var j = {{.J}};</script>` +
				`<p style="{{.C}}">c</p>`,
			steps: []escStep{
				{data: pm{"H": "plain", "U": "/u", "J": "1", "C": "color: red"}},
				{
					data: pm{"H": template.HTML("<b>trusted</b>"), "U": template.URL("javascript:trusted"),
						"J": template.JS("trustedFn()"), "C": template.CSS("color: blue")},
					is: []string{"<b>trusted</b>", "javascript:trusted", "trustedFn()", "color: blue"},
				},
				// The same text as plain strings is escaped again.
				{
					data:  pm{"H": "<b>trusted</b>", "U": "javascript:trusted", "J": "trustedFn()", "C": "color: blue"},
					is:    []string{"#ZgotmplZ"},
					lacks: []string{"<b>", "javascript:"},
				},
				{
					data: pm{"H": template.HTML("<i>again</i>"), "U": template.URL("javascript:trusted"),
						"J": template.JS("trustedFn()"), "C": template.CSS("color: blue")},
					is: []string{"<i>again</i>", "javascript:trusted", "trustedFn()"},
				},
			},
		},
		{
			// Invalid UTF-8 reaches the client as U+FFFD (checkSequence
			// allows for that), JS line terminators and NUL bytes as
			// html/template escapes them in each context.
			name: "odd bytes in every context",
			src: `<p title="{{.X}}">{{.X}}</p><script>var x = {{.X}}; var y = "{{.X}}";</script>` +
				`<style>p { content: "{{.X}}" }</style><textarea>{{.X}}</textarea>`,
			steps: []escStep{
				{data: pm{"X": "a"}},
				{data: pm{"X": "\xff\xfe"}},
				{data: pm{"X": "\u2028\u2029"}},
				{data: pm{"X": "\x00\x01\t\r\n"}},
				{data: pm{"X": "é\xc3"}},
				{data: pm{"X": "\U0001F600"}},
			},
		},
		{
			name: "keyed rows",
			src: `<ul>{{range .L}}<li data-key="{{.ID}}"><a href="{{.U}}" onclick="go({{.U}})">go</a>` +
				`<script>var u = {{.U}};</script></li>{{end}}</ul>`,
			steps: []escStep{
				{data: pm{"L": []pm{{"ID": 1, "U": "/a"}, {"ID": 2, "U": "/b"}}}},
				// An update of a kept row.
				{data: pm{"L": []pm{{"ID": 1, "U": xssJSURL}, {"ID": 2, "U": "/b"}}}, is: []string{"#ZgotmplZ"}},
				// An inserted row, and a moved row that changes.
				{data: pm{"L": []pm{{"ID": 2, "U": xssEndScript}, {"ID": 3, "U": xssJSURL}, {"ID": 1, "U": "/a"}}},
					is: []string{"#ZgotmplZ"}},
			},
			// javascript: may appear inside the JS string literals, never at
			// the start of the href.
			forbid: []string{"<", ">"},
			check:  noScriptURL,
		},
		{
			name: "branch that appears in an update",
			src:  `<p>{{if .B}}<a href="{{.U}}">x</a>{{else}}<script>x = {{.U}}</script>{{end}}</p>`,
			steps: []escStep{
				{data: pm{"B": false, "U": "/a"}},
				{data: pm{"B": true, "U": xssJSURL}, is: []string{"#ZgotmplZ"}},
				{data: pm{"B": false, "U": xssEndScript}},
				{data: pm{"B": true, "U": xssJSURL}, is: []string{"#ZgotmplZ"}},
			},
			forbid: []string{"<", ">"},
			check:  noScriptURL,
		},
		{
			name: "derived callee",
			src:  `{{define "v"}}{{.}}{{end}}<a href="{{template "v" .X}}"><img src="{{template "v" .X}}"></a>`,
			steps: []escStep{
				{data: pm{"X": "/a"}},
				{data: pm{"X": xssJSURL}, is: []string{"#ZgotmplZ"}},
				{data: pm{"X": `"><script>alert(1)</script>`}},
			},
			forbid: []string{"javascript:", "<script", `"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl := template.Must(template.New(c.name).Parse(c.src))
			data := make([]any, len(c.steps))
			for i, s := range c.steps {
				data[i] = s.data
			}
			steps := checkSequence(t, tmpl, data...)
			if len(steps) != len(data) {
				t.Fatalf("%d of %d steps rendered", len(steps), len(data))
			}
			for i, s := range steps {
				values := messageValues(decodeMessage(t, orEmptyDiff(s.msg))["f"])
				for _, v := range values {
					for _, bad := range c.forbid {
						if strings.Contains(strings.ToLower(v), strings.ToLower(bad)) {
							t.Errorf("step %d: message %s carries value %q containing %q", i, s.msg, v, bad)
						}
					}
					if c.check != nil {
						if problem := c.check(v); problem != "" {
							t.Errorf("step %d: message %s carries value %q: %s", i, s.msg, v, problem)
						}
					}
					for _, bad := range c.steps[i].lacks {
						if strings.Contains(v, bad) {
							t.Errorf("step %d: message %s carries value %q containing %q", i, s.msg, v, bad)
						}
					}
				}
				for _, want := range c.steps[i].is {
					if i == 0 {
						t.Fatalf("step 0 expects %q: expected values must arrive in updates", want)
					}
					if !slices.Contains(values, want) {
						t.Errorf("step %d: message %s carries %q, want a value %q", i, s.msg, values, want)
					}
				}
			}
		})
	}
}

// orEmptyDiff returns msg, or an empty message for a step that changed
// nothing.
func orEmptyDiff(msg []byte) []byte {
	if len(msg) == 0 {
		return []byte(`{}`)
	}
	return msg
}

// noScriptURL complains about a value that a URL attribute would run as
// script.
func noScriptURL(v string) string {
	u := strings.ToLower(strings.TrimSpace(html.UnescapeString(v)))
	for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(u, scheme) {
			return "starts with " + scheme
		}
	}
	return ""
}

// jsLiteral complains unless v is one JS string literal quoted with quote:
// nothing before or after it, no raw quote inside.
func jsLiteral(v, quote string) string {
	if len(v) < 2 || !strings.HasPrefix(v, quote) || !strings.HasSuffix(v, quote) {
		return "not a " + quote + "-quoted JS string"
	}
	return jsRaw(v[1:len(v)-1], quote)
}

// jsRaw complains about any byte of delims in v that is not escaped by a
// backslash: in a JS string, template literal or regexp such a byte would
// end it, and what follows would run.
func jsRaw(v, delims string) string {
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\':
			i++
		case strings.IndexByte(delims, v[i]) >= 0:
			return fmt.Sprintf("raw %q at %d", v[i], i)
		case v[i] == '\n' || v[i] == '\r':
			return "raw line break"
		}
	}
	return ""
}

// TestEscapeCheckers makes sure the value checks above reject what an
// escaping that lost its context would send, so TestParityEscaping can fail.
func TestEscapeCheckers(t *testing.T) {
	bad := []struct {
		check func(string) string
		v     string
	}{
		{noScriptURL, "javascript:alert(1)"},
		{noScriptURL, " JaVaScRiPt:alert(1)"},
		{noScriptURL, "javascript&#58;alert(1)"},
		{func(v string) string { return jsLiteral(v, `"`) }, `"a"; alert(1); ""`},
		{func(v string) string { return jsLiteral(v, `"`) }, `alert(1)`},
		{func(v string) string { return jsLiteral(v, `"`) }, `"a\\"; alert(1); //"`},
		{func(v string) string { return jsRaw(v, "'") }, `'; alert(1); '`},
		{func(v string) string { return jsRaw(v, "`$") }, "${alert(1)}"},
	}
	for _, b := range bad {
		if b.check(b.v) == "" {
			t.Errorf("check accepts %q", b.v)
		}
	}
	good := []struct {
		check func(string) string
		v     string
	}{
		{noScriptURL, "#ZgotmplZ"},
		{noScriptURL, "/a?q=javascript:x"},
		{func(v string) string { return jsLiteral(v, `"`) }, `"a\"; alert(1); \""`},
		{func(v string) string { return jsLiteral(v, `"`) }, `"a\\\"b"`},
	}
	for _, g := range good {
		if p := g.check(g.v); p != "" {
			t.Errorf("check rejects %q: %s", g.v, p)
		}
	}
}

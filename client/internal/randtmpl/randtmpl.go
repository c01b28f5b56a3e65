// Package randtmpl makes random html/template templates and random sequences
// of data for them, for the browser view's parity tests: every template is
// HTML that a browser parses the way its text reads (valid nesting), and
// covers the shapes the view patches: text, quoted, unquoted and boolean
// attributes, tables, selects, textareas, titles, scripts and styles, keyed
// and positional ranges (nested, with else, break and continue), if/else,
// with/else, template calls and recursion, and template.HTML values. Delims
// writes a template with random delimiters.
package randtmpl

import (
	"fmt"
	"html/template"
	"math/rand/v2"
	"slices"
	"strings"
)

// Node is the data of every template: the root and every row of a range.
type Node struct {
	ID   string // the row's key; unique among its siblings (except when Dup)
	S, T string
	N    int
	B, C bool
	H    template.HTML // phrasing content
	BH   template.HTML // flow content, some of it unbalanced
	URL  string
	Kids []*Node
}

// Gen makes templates and data from one seeded source.
type Gen struct {
	// Ext adds the constructs of the generator's second version: rows
	// keyed by id, tables without tbody holding two ranges or an if, rows
	// in a pre and a textarea, select multiple, nested keyed lists, and
	// more moves per change. Off, a seed makes what it made before they
	// came (the regression seeds found before).
	Ext bool

	r     *rand.Rand
	d     *rand.Rand // draws delimiters, apart from r
	defs  []string   // {{define}}s of the template being made
	ndefs int
	ids   int
}

// New returns a generator seeded with seed.
func New(seed uint64) *Gen {
	return &Gen{
		r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		d: rand.New(rand.NewPCG(seed, seed^0x64656c696d697473)),
	}
}

// Template returns a random template's text and whether it is a whole
// document (<!DOCTYPE html><html>...).
func (g *Gen) Template() (string, bool) {
	g.defs, g.ndefs = nil, 0
	var body string
	doc := g.r.IntN(6) == 0
	if doc {
		body = `<!DOCTYPE html><html><head><title>{{.T}}</title>` + g.pick(`<style>b { color: {{.S}} }</style>`, `<meta name="x" content="{{.S}}">`, ``) +
			`</head><body>` + g.flow(0, 3) + `</body></html>`
	} else {
		body = g.flow(0, 2+g.r.IntN(3))
	}
	return strings.Join(g.defs, "") + body, doc
}

// delimPairs are the delimiters Delims draws: the usual alternatives,
// asymmetric pairs (one side the default's), the default's sides swapped,
// NUL, non-ASCII runes, and pairs that are HTML, JS or CSS syntax.
var delimPairs = [][2]string{
	{"[[", "]]"}, {"{{", "]]"}, {"[[", "}}"}, {"}}", "{{"}, {"<%", "%>"}, {"{%", "%}"}, {"\x00", "\x00"},
	{"«", "»"}, {"@", "@"}, {"((", "))"}, {"{", "}"}, {"<", ">"}, {"<!--", "-->"},
}

// Delims returns src, a text made by Template, written with random
// delimiters, and the delimiters: the default {{ and }} half of the time.
// A pair that src holds as text would change what the template means, so
// then another is drawn. The draws have a source of their own: a seed makes
// the same templates and data whether Delims is called or not.
func (g *Gen) Delims(src string) (out, left, right string) {
	if g.d.IntN(2) == 0 {
		return src, "{{", "}}"
	}
	want, err := template.New("page").Parse(src)
	if err != nil {
		return src, "{{", "}}"
	}
	for _, i := range g.d.Perm(len(delimPairs)) {
		left, right = delimPairs[i][0], delimPairs[i][1]
		out = strings.NewReplacer("{{", left, "}}", right).Replace(src)
		got, err := template.New("page").Delims(left, right).Parse(out)
		if err == nil && sameTrees(got, want) {
			return out, left, right
		}
	}
	return src, "{{", "}}"
}

// sameTrees reports whether a and b hold the same templates with the same
// parse trees. A tree prints with {{ and }} whatever its delimiters were.
func sameTrees(a, b *template.Template) bool {
	if len(a.Templates()) != len(b.Templates()) {
		return false
	}
	for _, x := range a.Templates() {
		y := b.Lookup(x.Name())
		if y == nil || (x.Tree == nil) != (y.Tree == nil) {
			return false
		}
		if x.Tree != nil && x.Tree.Root.String() != y.Tree.Root.String() {
			return false
		}
	}
	return true
}

func (g *Gen) pick(options ...string) string { return options[g.r.IntN(len(options))] }

// flow returns n pieces of flow content (a div's children) at range depth d.
func (g *Gen) flow(d, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(g.flowPiece(d))
	}
	return b.String()
}

func (g *Gen) flowPiece(d int) string {
	n := 30
	if g.Ext {
		n = 36
	}
	switch k := g.r.IntN(n); {
	case k < 3:
		return g.text()
	case k == 3:
		return `<p class="{{.S}}">` + g.phrasing(d, 2) + `</p>`
	case k == 4:
		return `<div id="d{{.N}}" ` + g.pick(`{{if .B}}hidden{{end}}`, `data-n={{.N}}`, `title='{{.T}}'`) + `>` + g.flow(d, 2) + `</div>`
	case k == 5:
		return `{{if .B}}` + g.flow(d, 1+g.r.IntN(2)) + `{{else}}` + g.flow(d, 1) + `{{end}}`
	case k == 6:
		return `{{if .C}}` + g.flow(d, 1) + `{{end}}`
	case k == 7:
		return `{{with .S}}<span>{{.}}</span>{{else}}<em>empty</em>{{end}}`
	case k == 8 && d < 3:
		return g.list(d)
	case k == 9 && d < 3:
		return g.table(d)
	case k == 10 && d < 3:
		return g.selectEl(d)
	case k == 11:
		return `<textarea name="t{{.N}}">{{.S}}</textarea>`
	case k == 12:
		return `<input type="checkbox" name="c{{.ID}}" {{if .B}}checked{{end}} value="{{.T}}">` +
			g.pick(`<input value="{{.S}}">`, `<input type="text" value={{.T}} {{if .C}}disabled{{end}}>`, ``)
	case k == 13:
		return `<details {{if .C}}open{{end}}><summary>{{.T}}</summary>` + g.flow(d, 1) + `</details>`
	case k == 14:
		return `<pre>{{.S}}</pre>`
	case k == 15:
		return `<a href="{{.URL}}" class="x {{if .B}}on{{end}}">{{.T}}</a>`
	case k == 16:
		return `<script>var v{{.N}} = {{.S}};</script>`
	case k == 17:
		return `<div>{{.H}}</div>`
	case k == 18:
		return g.call(d)
	case k == 19 && d < 3:
		return g.loop(d, `<div>`, `</div>`, `<div>none</div>`, func(d int) string { return g.flow(d, 1+g.r.IntN(2)) })
	case k == 20:
		return `<button type="button" disabled={{.B}} style="width: {{.N}}px">{{.N}}</button>`
	case k == 21 && d < 2:
		return g.recursive()
	case k == 22:
		return `<div {{if .B}}title="{{.T}}" class="a"{{else}}data-x="{{.S}}"{{end}} id="e{{.N}}">{{.N}}</div>`
	case k == 23:
		return `<script>var a{{.N}} = {{if .B}}{{.N}}{{else}}{{.S}}{{end}};</script><style>.c{{.N}} { width: {{.N}}px }</style>`
	case k == 24:
		g.ndefs++
		name := fmt.Sprintf("c%d", g.ndefs)
		g.defs = append(g.defs, `{{define "`+name+`"}}{{if .B}}on {{end}}{{.T}}{{end}}`)
		return `<span class="{{template "` + name + `" .}}" title="{{range .Kids}}k{{.ID}} {{end}}">{{.N}}</span>`
	case k == 25:
		return `<svg viewBox="0 0 {{.N}} 10" width="{{.N}}"><circle r="{{.N}}"></circle>{{if .B}}<text x="1">{{.T}}</text>{{end}}</svg>`
	case k == 26 && d < 3:
		// Markup the parser restructures: rows without end tags, a block in a p.
		return g.pick(`<ul>{{range .Kids}}<li>{{.S}}{{end}}</ul>`, `<select>{{range .Kids}}<option value="{{.ID}}">{{.S}}{{end}}</select>`,
			`<p>{{.S}}{{if .B}}<div>block</div>{{end}}</p>`, `<table><tr>{{if .B}}<td>{{.T}}</td>{{end}}{{if .C}}<td>c</td>{{end}}</tr></table>`)
	case k == 27:
		return `<div class="h">{{.BH}}</div>`
	case k == 28:
		return `<textarea>{{if .B}}{{.S}}{{else}}{{.T}}{{end}}</textarea><pre>{{if .C}}{{.S}}{{end}}{{.T}}</pre>`
	case k == 29:
		return `<a href="/x?q={{.S}}&n={{.N}}" {{if .C}}target="_blank"{{end}}>{{.URL}}</a>`
	case k == 30 && d < 3:
		return `<div>` + g.loop(d, `<p id="k{{.ID}}">`, `</p>`, ``, func(d int) string { return g.phrasing(d, 1) + `<input name="i{{.ID}}">` }) + `</div>`
	case k == 31 && d < 3:
		// Two ranges in the tbody that the parser adds, white space around them.
		return "<table>\n" + g.loop(d, `<tr>`, `</tr>`, `<tr><td>none</td></tr>`, func(int) string { return `<td>{{.S}}</td>` }) +
			g.loop(d, `<tr data-key="{{.ID}}">`, `</tr>`, ``, func(int) string { return `<td>{{.T}}</td>` }) + g.pick("\n", " ", "") + `</table>`
	case k == 32:
		return `<table><caption>{{.T}}</caption>{{if .B}}<tr><td>{{.N}}</td></tr>{{end}}` + g.pick(" ", "") + `</table>`
	case k == 33 && d < 3:
		return g.pick(`<pre>{{range .Kids}}{{.S}}{{end}}</pre>`, "<pre>\n{{range .Kids}}<b>{{.T}}</b>\n{{end}}</pre>", `<textarea>{{range .Kids}}{{.S}} {{end}}</textarea>`)
	case k == 34 && d < 3:
		return `<select multiple name="m{{.N}}">` + g.loop(d, `<option data-key="{{.ID}}" {{if .C}}selected{{end}}>`, `</option>`, ``, func(int) string { return `{{.T}}` }) + `</select>`
	case k == 35 && d < 2:
		return `<ul>{{range .Kids}}<li data-key="{{.ID}}">{{.S}}<ol>{{range .Kids}}<li data-key="{{.ID}}"><input name="n{{.ID}}" value="{{.T}}">` +
			`{{range .Kids}}<i data-key="{{.ID}}">{{.N}}</i>{{end}}</li>{{end}}</ol></li>{{end}}</ul>`
	}
	return `<b>{{.T}}</b>`
}

// text is plain text with actions.
func (g *Gen) text() string {
	return g.pick(`{{.S}}`, `x {{.T}} y`, `{{.N}}: {{.S}}{{.T}}`, ` `, `{{len .Kids}} kids`, `{{$.N}}`, "\n  {{.S}}\n")
}

// phrasing returns n pieces of phrasing content (a p's or span's children).
func (g *Gen) phrasing(d, n int) string {
	var b strings.Builder
	for range n {
		switch g.r.IntN(7) {
		case 0, 1:
			b.WriteString(g.text())
		case 2:
			b.WriteString(`<b title={{.S}}>{{.T}}</b>`)
		case 3:
			b.WriteString(`{{if .B}}<i>{{.S}}</i>{{else if .C}}c{{end}}`)
		case 4:
			if d < 3 {
				b.WriteString(g.loop(d, ``, ``, `none`, func(int) string { return `<span data-key="{{.ID}}">{{.S}}</span>` }))
				break
			}
			fallthrough
		case 5:
			b.WriteString(`<span>{{.H}}</span>`)
		default:
			b.WriteString(`<code class='{{.T}}'>{{.N}}</code>`)
		}
	}
	return b.String()
}

// loop is a {{range .Kids}} of rows made by row inside open and close, keyed
// or not, maybe with break and continue, and with none as its else.
func (g *Gen) loop(d int, open, close, none string, row func(d int) string) string {
	head := `{{range .Kids}}`
	if g.r.IntN(4) == 0 {
		head = `{{range $i, $k := .Kids}}`
	}
	pre := ""
	switch g.r.IntN(8) {
	case 0:
		pre = `{{if .C}}{{continue}}{{end}}`
	case 1:
		pre = `{{if and .C .B}}{{break}}{{end}}`
	}
	els := ""
	if g.r.IntN(3) == 0 {
		els = `{{else}}` + none
	}
	return head + pre + open + row(d+1) + close + els + `{{end}}`
}

// list is a ul or ol of rows.
func (g *Gen) list(d int) string {
	tag := g.pick("ul", "ol")
	open := g.pick(`<li data-key="{{.ID}}">`, `<li>`, `<li class="{{.T}}" data-key="{{.ID}}">`)
	return `<` + tag + `>` + g.loop(d, open, `</li>`, `<li>none</li>`, func(d int) string { return g.flow(d, 1+g.r.IntN(2)) }) + `</` + tag + `>`
}

// table is a table of rows, with a tbody or without one (the parser adds it).
func (g *Gen) table(d int) string {
	row := func(d int) string {
		cells := `<td>{{.ID}}</td><td class="{{.S}}">` + g.phrasing(d, 1) + `</td>`
		if g.r.IntN(2) == 0 {
			cells += `{{if .B}}<td>b</td>{{else}}<td><input value="{{.T}}"></td>{{end}}`
		}
		return cells
	}
	open := g.pick(`<tr data-key="{{.ID}}">`, `<tr>`)
	rows := g.loop(d, open, `</tr>`, `<tr><td>none</td></tr>`, row)
	switch g.r.IntN(3) {
	case 0:
		return `<table>` + rows + `</table>`
	case 1:
		return `<table><thead><tr><th>{{.T}}</th></tr></thead><tbody>` + rows + `</tbody></table>`
	}
	return `<table><tbody>` + rows + `</tbody></table>`
}

// selectEl is a select of options, selected by a boolean attribute.
func (g *Gen) selectEl(d int) string {
	opts := g.loop(d, `<option value="{{.ID}}" {{if .B}}selected{{end}}>`, `</option>`, `<option>none</option>`, func(int) string { return `{{.S}}` })
	return `<select name="s{{.N}}">` + g.pick(`<option value="">-</option>`, ``) + opts + `</select>`
}

// call defines a template and calls it with the current data.
func (g *Gen) call(d int) string {
	g.ndefs++
	name := fmt.Sprintf("t%d", g.ndefs)
	g.defs = append(g.defs, `{{define "`+name+`"}}`+g.flow(min(d+1, 3), 1+g.r.IntN(2))+`{{end}}`)
	return `{{template "` + name + `" .}}`
}

// recursive defines a template that calls itself for every kid.
func (g *Gen) recursive() string {
	g.ndefs++
	name := fmt.Sprintf("r%d", g.ndefs)
	g.defs = append(g.defs, `{{define "`+name+`"}}<li data-key="{{.ID}}">{{.S}}{{if .Kids}}<ul>{{range .Kids}}{{template "`+name+`" .}}{{end}}</ul>{{end}}</li>{{end}}`)
	return `<ul>{{template "` + name + `" .}}</ul>`
}

var (
	texts = []string{"", "a", "hello world", "<b>not bold</b>", "a & b", `say "hi"`, "it's", "\nnew line", "  spaced  ", "é ✓ 漢", "x<y>z", "red", "1", "javascript:alert(1)", "&amp;", "</script><script>alert(1)</script>"}
	htmls = []template.HTML{"", "plain", "<b>bold</b>", "a &amp; b", "<i>x</i> and <em>y</em>", `<span class="k">k</span>`, "&lt;tag&gt;", "line<br>break", "<!-- note -->x", "&nbsp;&copy; &#169;", "a\r\nb"}
	// blocks can be shown only where flow content goes (in a div, not a p or span)
	blocks = []template.HTML{"<p>one</p><p>two</p>", "<ul><li>a</li><li>b</li></ul>", "<div>unclosed", "</div>stray", "<table><tr><td>t</td></tr></table>"}
	urls   = []string{"/a?x=1&y=2", "https://example.com/", "javascript:alert(1)", "", "#top"}
)

// Data returns a random root.
func (g *Gen) Data() *Node {
	n := g.node(0)
	return n
}

func (g *Gen) node(depth int) *Node {
	g.ids++
	n := &Node{ID: fmt.Sprint(g.ids)}
	g.fields(n)
	if depth < 3 {
		for range g.r.IntN(5 - depth) {
			n.Kids = append(n.Kids, g.node(depth+1))
		}
	}
	return n
}

func (g *Gen) fields(n *Node) {
	n.S = texts[g.r.IntN(len(texts))]
	n.T = texts[g.r.IntN(len(texts))]
	n.N = g.r.IntN(20) - 3
	n.B = g.r.IntN(2) == 0
	n.C = g.r.IntN(3) == 0
	n.H = htmls[g.r.IntN(len(htmls))]
	n.BH = blocks[g.r.IntN(len(blocks))]
	n.URL = urls[g.r.IntN(len(urls))]
}

// Next returns a changed deep copy of n: some fields change, and kids are
// removed, inserted, moved and changed.
func (g *Gen) Next(n *Node) *Node {
	return g.change(n, 0)
}

func (g *Gen) change(n *Node, depth int) *Node {
	c := *n
	if g.r.IntN(3) == 0 {
		switch g.r.IntN(7) {
		case 0:
			c.S = texts[g.r.IntN(len(texts))]
		case 1:
			c.T = texts[g.r.IntN(len(texts))]
		case 2:
			c.N = g.r.IntN(20) - 3
		case 3:
			c.B = !c.B
		case 4:
			c.C = !c.C
		case 5:
			c.H = htmls[g.r.IntN(len(htmls))]
			c.BH = blocks[g.r.IntN(len(blocks))]
		default:
			c.URL = urls[g.r.IntN(len(urls))]
		}
	}
	kids := make([]*Node, 0, len(n.Kids)+2)
	for _, k := range n.Kids {
		if g.r.IntN(6) == 0 {
			continue // removed
		}
		if g.r.IntN(2) == 0 {
			k = g.change(k, depth+1)
		}
		kids = append(kids, k)
	}
	if depth < 3 {
		for range g.r.IntN(3) {
			if g.r.IntN(2) == 0 {
				at := g.r.IntN(len(kids) + 1)
				kids = append(kids[:at], append([]*Node{g.node(depth + 1)}, kids[at:]...)...)
			}
		}
	}
	if len(kids) > 1 && g.r.IntN(3) == 0 { // a move
		i, j := g.r.IntN(len(kids)), g.r.IntN(len(kids))
		k := kids[i]
		kids = append(kids[:i], kids[i+1:]...)
		kids = append(kids[:j], append([]*Node{k}, kids[j:]...)...)
	}
	if g.Ext && len(kids) > 2 && g.r.IntN(2) == 0 { // more moves: a run of rows reversed
		i := g.r.IntN(len(kids) - 1)
		j := i + 2 + g.r.IntN(len(kids)-i-1)
		slices.Reverse(kids[i:j])
	}
	if len(kids) > 1 && g.r.IntN(12) == 0 { // a repeated key: rows by position
		d := *kids[1]
		d.ID = kids[0].ID
		kids[1] = &d
	}
	if g.r.IntN(10) == 0 {
		kids = nil
	}
	c.Kids = kids
	return &c
}

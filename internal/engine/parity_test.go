package engine

import (
	"html/template"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// genCase is one generated template set, its delimiters and its data
// sequence. The text is written with {{ and }}; source writes it with the
// case's delimiters.
type genCase struct {
	seed        int64
	text        string
	left, right string
	data        []*genData
}

func (c genCase) source() string { return withDelims(c.text, c.left, c.right) }

func newGenCase(seed int64) genCase {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6c697665))
	c := genCase{seed: seed, text: genTemplate(r), data: randSequence(r)}
	// The delimiters have a source of their own, so that a seed makes the
	// template it made before they were drawn, only written with them.
	c.left, c.right = genDelims(rand.New(rand.NewPCG(uint64(seed), 0x64656c6d)), c.text)
	return c
}

// genResult is what running one case covered.
type genResult struct {
	rejected   bool // html/template rejected the template when escaping
	steps, ran int  // data values, and those that executed without error
	rewritten  int  // ranges whose rows may be reused
	kept       int  // rows copied from the tree before
}

// run checks c with checkSequence, over its data and over a sequence that
// changes its first data value in place. A template html/template rejects is not
// checked further, after making sure that Compile reports html/template's
// own error for it.
func (c genCase) run(t testing.TB) genResult {
	t.Helper()
	tmpl, err := template.New("page").Delims(c.left, c.right).Funcs(genFuncs).Parse(c.source())
	if err != nil {
		t.Fatalf("generated template does not parse: %v", err)
	}
	prog, err := Compile(tmpl)
	if err != nil {
		checkRejected(t, tmpl, err, c.data[0])
		return genResult{rejected: true}
	}
	data := make([]any, len(c.data))
	for i, d := range c.data {
		data[i] = next(func() any { genEpoch = i; return d })
	}
	steps := checkSequence(t, tmpl, data...)
	inPlace := inPlaceSequence(c.seed, c.data[0])
	inPlaceSteps := checkSequence(t, tmpl, inPlace...)
	res := genResult{steps: len(data) + len(inPlace), ran: len(steps) + len(inPlaceSteps), rewritten: len(prog.memo)}
	for _, s := range append(steps, inPlaceSteps...) {
		res.kept += s.tree.kept
	}
	return res
}

// envInt reads an integer from the environment, or returns def.
func envInt(t *testing.T, name string, def int64) int64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

// TestParityRandom checks generated templates against html/template over
// generated data sequences. It is deterministic; PARITY_SEED sets the first
// seed and PARITY_N the number of templates, so that a failure reported for
// seed s is rerun alone with PARITY_SEED=s PARITY_N=1.
func TestParityRandom(t *testing.T) {
	const defaultSeed, defaultN = 1, 600
	base := envInt(t, "PARITY_SEED", defaultSeed)
	n := envInt(t, "PARITY_N", defaultN)
	if testing.Short() {
		n = min(n, 50)
	}
	var (
		total       genResult
		rejected    int
		checked     []string
		delims      = map[[2]string]int{}
		rejectedOne string
	)
	for seed := base; seed < base+n; seed++ {
		c := newGenCase(seed)
		var res genResult
		if !t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) { res = c.run(t) }) {
			t.Errorf("reproduce with PARITY_SEED=%d PARITY_N=1\ndelimiters %q %q, template:\n%s\n%s", seed, c.left, c.right, c.source(), dataString(c.data))
			continue
		}
		if res.rejected {
			rejected++
			rejectedOne = c.text
			continue
		}
		total.steps += res.steps
		total.ran += res.ran
		total.kept += res.kept
		if res.rewritten > 0 {
			total.rewritten++
		}
		checked = append(checked, c.text)
		delims[[2]string{c.left, c.right}]++
	}
	t.Logf("%d templates checked over %d data values (%d executed without error); %d rejected by html/template; "+
		"%d with ranges whose rows may be reused, %d rows copied",
		len(checked), total.steps, total.ran, rejected, total.rewritten, total.kept)
	if rejected*5 > int(n) {
		t.Errorf("html/template rejected %d of %d generated templates; the generator drifted. One of them:\n%s", rejected, n, rejectedOne)
	}
	if total.ran*4 < total.steps*3 {
		t.Errorf("only %d of %d executions succeeded; the generator drifted", total.ran, total.steps)
	}
	if base == defaultSeed && n >= defaultN {
		if total.rewritten*4 < len(checked) || total.kept*4 < total.steps {
			t.Errorf("only %d templates reuse rows, %d rows copied in all: the generator no longer exercises reuse", total.rewritten, total.kept)
		}
		// Other seed ranges may miss a rare construct by chance.
		checkCoverage(t, checked)
		checkDelimsCoverage(t, delims)
	}
}

// genConstructs are pieces of template text that the checked templates must
// contain between them, so that the generator cannot quietly stop reaching a
// construct or an escaping context.
var genConstructs = []string{
	// Fields, methods, maps, variables.
	".S", ".Items", ".M.a", ".Label", ".Ptr", ".Greet ", ".Epoch", "$.", " := ", " = ", "range $v",
	// Pipelines, builtins and FuncMap functions.
	" | printf", " | upper", "and ", "or ", "not ", "len ", "index ", "slice ", "print ", "printf ",
	"println ", "eq ", "ne ", "lt ", "le ", "gt ", "ge ", "call ", "join ", "add ", "check ", "epoch",
	// Control structures.
	"{{if ", "else if ", "{{else}}", "with ", "else with ", "{{break}}", "{{continue}}",
	// Ranges over slices, arrays, maps, ints, channels and iterators.
	"range .Items", ".Arr", "range .M", "range 3", "range .N", ".Chan", ".Seq}}", ".Seq2", "seq ", "pairs ",
	// Templates, blocks, recursion, zero values.
	`{{template "val"`, `{{block "blk`, `{{template "tree"`, `{{template "item"`, `template "zero" 0`,
	`template "zero" }}`,
	// Comments and trim markers.
	"{{/*", "<!--", "<!-- {{", "{{- ", " -}}",
	// Escaping contexts.
	`href="`, "href={{", `src='`, "srcset=", "?q=", "http://x/?a=b&c=", `onclick="`, "onmouseover='",
	"<script>", "`a ${", "var re = /", "<style>", `style="`, "url(", "<textarea>", "<title>",
	"value=", `{{template "breakout"`, `var o = {{template "val"`, "var o = '{{template", "var o = `{{template",
	`color: {{template "val"`, `<textarea>{{template "val"`, `type="application/ld+json"`, `type="text/x-template"`,
	"srcdoc=", "<span {{",
	// Keyed rows.
	`<li data-key="{{.ID}}">`, "data-key='", "data-key={{", `data-key="{{.Name}}"`,
}

func checkCoverage(t *testing.T, texts []string) {
	all := strings.Join(texts, "\n")
	for _, c := range genConstructs {
		if !strings.Contains(all, c) {
			t.Errorf("no checked template contains %q", c)
		}
	}
}

// checkDelimsCoverage checks that the checked templates were written with
// many delimiter pairs, among them asymmetric ones and NUL (the byte of the
// engine's markers), and half of them with the default.
func checkDelimsCoverage(t *testing.T, used map[[2]string]int) {
	for _, p := range [][2]string{{"{{", "]]"}, {"[[", "}}"}, {"\x00", "\x00"}, {"[[", "]]"}, {"{", "}"}} {
		if used[p] == 0 {
			t.Errorf("no checked template has the delimiters %q %q", p[0], p[1])
		}
	}
	total := 0
	for _, n := range used {
		total += n
	}
	if len(used) < len(delimPairs)/2 || used[[2]string{"{{", "}}"}]*3 > total*2 {
		t.Errorf("the checked templates drew too few delimiters: %v", used)
	}
}

// The generator must be deterministic: a seed names a failure.
func TestParityGeneratorDeterministic(t *testing.T) {
	a, b := newGenCase(42), newGenCase(42)
	if a.text != b.text || dataString(a.data) != dataString(b.data) {
		t.Fatalf("seed 42 made two different cases:\n%s\n%s", a.text, b.text)
	}
	if c := newGenCase(43); c.text == a.text {
		t.Fatalf("seeds 42 and 43 made the same template:\n%s", a.text)
	}
}

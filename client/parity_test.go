package client_test

import (
	"flag"
	"fmt"
	"html/template"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/internal/randtmpl"
)

var (
	paritySeed  = flag.Uint64("parity.seed", 0, "first seed of TestViewParity's random templates (0: from the clock)")
	parityCount = flag.Int("parity.n", 300, "random templates in TestViewParity")
	paritySteps = flag.Int("parity.steps", 8, "data values per random template")
)

// regressionSeeds once failed TestViewParity; they run on every test run,
// with the generator's first version (randtmpl.Gen.Ext off) that found them.
var regressionSeeds = []uint64{
	1795314955820694105, // an unbalanced template.HTML ("</div>stray") in a new row
	1795314955820694361, // a value at the start of a pre turned non-empty: the newline after it stays
	1795314955820697078, // unbalanced template.HTML in rows of nested ranges
	1795314967471634522,
	1795314967471635221, // unbalanced template.HTML in a branch that flips
	1795314967471636059, // the pre newline, in a branch
	1795314967471636577,
	1795314967471636842, // unbalanced template.HTML in a whole document's rows
	1795315194429014893, // a text at the start of a pre turned non-empty: the newline of the text after it stays
	1795316594111232586, // a row that turns empty ({{continue}}) in a table without tbody: the tbody goes
}

// regressionSeedsExt are regression seeds of the generator's second
// version (randtmpl.Gen.Ext), the one that the random seeds use.
var regressionSeedsExt = []uint64{
	1795316711042410470, // rows at the start of a pre: the first one loses its first newline to the parser
	1795316711042410693,
	1795316711042411119,
	1795316711042411478,
	1795316711042411593,
	1795316755145026587, // a resync render keeps the tbody that the parser added: it goes when its rows do
}

// TestViewParity feeds the view the engine's messages for random templates
// and random data sequences (randtmpl), and checks after every step that its
// DOM is the one Chromium builds from html/template's output for the same
// data. The seeds are logged: rerun one with -parity.seed=S -parity.n=1.
func TestViewParity(t *testing.T) {
	first := *paritySeed
	if first == 0 {
		first = uint64(time.Now().UnixNano())
	}
	type seed struct {
		n   uint64
		ext bool
	}
	var seeds []seed
	for _, n := range regressionSeeds {
		seeds = append(seeds, seed{n, false})
	}
	for _, n := range regressionSeedsExt {
		seeds = append(seeds, seed{n, true})
	}
	for i := range *parityCount {
		seeds = append(seeds, seed{first + uint64(i), true})
	}
	t.Logf("seeds %d to %d (rerun: -parity.seed=%d -parity.n=%d)", first, first+uint64(*parityCount)-1, first, *parityCount)
	var cases []viewCase
	templates := map[string]string{}
	for _, seed := range seeds {
		c, src, ok := randomCase(t, seed.n, seed.ext, *paritySteps)
		if ok {
			cases = append(cases, c)
			templates[c.Name] = src
		}
	}
	tab := viewTab(t, browsertest.Start(t))
	start := time.Now()
	var fails []viewFailure
	for i := 0; i < len(cases); i += 50 { // batches keep each Eval well under its timeout
		fails = append(fails, runCases(t, tab, cases[i:min(i+50, len(cases))])...)
	}
	t.Logf("%d templates, %d steps each, in %v", len(cases), *paritySteps, time.Since(start))
	st := browsertest.MustEval[map[string]int](tab, "window.LTStats")
	t.Logf("last batch: %d diffs, %d whole-page rebuilds, %d value rebuilds (fill), DOM nodes kept %d, created %d", st["diffs"], st["roots"], st["fills"], st["kept"], st["created"])
	seen := map[string]bool{}
	for _, f := range fails {
		if seen[f.Name] {
			continue // the first wrong step of a case says enough
		}
		seen[f.Name] = true
		t.Errorf("%s, step %d\ntemplate: %s\n got: %s\nwant: %s", f.Name, f.Step, templates[f.Name], f.Got, f.Want)
		if len(seen) == 5 {
			t.Fatalf("more failures left out")
		}
	}
}

// randomCase renders seed's random template for steps random data values
// with the engine, and html/template's output for each as the expected HTML.
func randomCase(t *testing.T, seed uint64, ext bool, steps int) (viewCase, string, bool) {
	t.Helper()
	g := randtmpl.New(seed)
	g.Ext = ext
	src, doc := g.Template()
	src, left, right := g.Delims(src)
	name := fmt.Sprint("seed ", seed)
	if !ext {
		name += " (first version)"
	}
	if left != "{{" || right != "}}" {
		name += fmt.Sprintf(" delimiters %q %q", left, right)
	}
	tmpl, err := template.New("page").Delims(left, right).Parse(src)
	if err != nil {
		t.Fatalf("%s: parse %s: %v", name, src, err)
	}
	data := []any{g.Data()}
	for range steps - 1 {
		data = append(data, g.Next(data[len(data)-1].(*randtmpl.Node)))
	}
	// A resync's render keeps an open that a details or dialog had (the
	// user may have opened it): only templates without them render mid-way.
	c := viewCase{Name: name, Doc: doc, Renders: !strings.Contains(src, "<details") && !strings.Contains(src, "<dialog")}
	if c.Steps, err = engineSteps(tmpl, data...); err != nil {
		if executes(tmpl, data) {
			t.Errorf("%s: the engine failed where html/template did not: %v\ntemplate: %s", name, err, src)
		} else {
			t.Logf("%s: skipped: %v", name, err)
		}
		return c, src, false
	}
	return c, src, true
}

// executes reports whether html/template executes tmpl with every value of
// data without error.
func executes(tmpl *template.Template, data []any) bool {
	for _, d := range data {
		oracle, err := tmpl.Clone()
		if err != nil || oracle.Execute(io.Discard, d) != nil {
			return false
		}
	}
	return true
}

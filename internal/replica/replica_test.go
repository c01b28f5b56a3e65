package replica

import (
	"strings"
	"testing"
)

func apply(t *testing.T, tr *Tree, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if err := tr.Apply([]byte(m)); err != nil {
			t.Fatalf("Apply(%s): %v", m, err)
		}
	}
}

func html(t *testing.T, tr *Tree) string {
	t.Helper()
	h, err := tr.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestApply(t *testing.T) {
	var tr Tree
	apply(t, &tr, `{"s":{"0":["<li>","</li>"],"1":["<ul>","</ul>"]},"f":[1,{"r":[[0,"a"],[0,"b"],[0,"c"]]}]}`)
	if got, want := html(t, &tr), "<ul><li>a</li><li>b</li><li>c</li></ul>"; got != want {
		t.Fatalf("full tree: %q, want %q", got, want)
	}
	// Remove b; of a, c move c (index 1 among those left) to the front; insert d at the end; patch a.
	apply(t, &tr, `{"f":{"0":{"d":[1],"p":[[0,1],[2,[0,"d"]]],"u":{"1":{"0":"A"}}}}}`)
	if got, want := html(t, &tr), "<ul><li>c</li><li>A</li><li>d</li></ul>"; got != want {
		t.Fatalf("after patch: %q, want %q", got, want)
	}
	// Replace the comprehension by a fragment, then back.
	apply(t, &tr, `{"s":{"2":["none"]},"f":{"0":[2]}}`, `{"f":{"0":{"r":[]}}}`)
	if got, want := html(t, &tr), "<ul></ul>"; got != want {
		t.Fatalf("after replacements: %q, want %q", got, want)
	}
}

// TestApplyMalformed checks that every malformed message is an error, never a
// panic, and names what is wrong.
func TestApplyMalformed(t *testing.T) {
	base := `{"s":{"0":["<li>","</li>"],"1":["<ul>","","</ul>"],"2":["<b>","</b>"]},"f":[1,{"r":[[0,"a"]]},[2,"x"]]}`
	cases := []struct {
		msg, want string
	}{
		{`not json`, "invalid character"},
		{`{"s":{"x":["a"]},"f":[0]}`, "statics id"},
		{`{"f":{"9":"x"}}`, "slot"},
		{`{"f":{"0":{"d":[5]}}}`, "delete of row 5"},
		{`{"f":{"0":{"p":[[3,0]]}}}`, "placement at 3"},
		{`{"f":{"0":{"p":[[0,4]]}}}`, "move of row 4"},
		{`{"f":{"0":{"p":[[1,[0,"x"]],[0,[0,"y"]]]}}}`, "ascending"},
		{`{"f":{"0":{"u":{"7":{"0":"x"}}}}}`, "update of row"},
		{`{"f":{"0":{"p":[[0,"text"]]}}}`, "new row is a string"},
		{`{"f":{"1":{"r":[["x"]]}}}`, "statics id"},
		{`{"f":{"1":{"0":{"0":"x"}}}}`, "patch for a string"},
		{`{"f":"root text"}`, "root is string"},
		{`{"f":[]}`, "empty fragment"},
		{`{"f":[1,{"r":[[0,"a"]]},[7,"x"]]}`, "unknown statics id 7"},
		{`{"f":[1,{"r":[[0,"a"]]}]}`, "3 parts for 1 slots"},
	}
	for _, c := range cases {
		var tr Tree
		apply(t, &tr, base)
		err := tr.Apply([]byte(c.msg))
		if err == nil {
			_, err = tr.HTML()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.msg, err, c.want)
		}
	}
}

func TestHTMLBeforeApply(t *testing.T) {
	var tr Tree
	if _, err := tr.HTML(); err == nil {
		t.Error("HTML of an empty tree succeeded")
	}
	if err := tr.Apply([]byte(`{"f":{"0":"x"}}`)); err == nil {
		t.Error("a patch applied to an empty tree")
	}
}

// FuzzApply feeds arbitrary messages after a valid tree: Apply and HTML must
// return errors, never panic.
func FuzzApply(f *testing.F) {
	f.Add(`{"f":{"0":{"d":[0],"p":[[0,[0,"x"]]],"u":{"0":{"0":"y"}}}}}`)
	f.Add(`{"s":{"3":["a","b"]},"f":{"1":[3,"q"]}}`)
	f.Add(`{"f":[1,{"r":[]},"x"]}`)
	f.Fuzz(func(t *testing.T, msg string) {
		var tr Tree
		if err := tr.Apply([]byte(`{"s":{"0":["<li>","</li>"],"1":["<ul>","","</ul>"]},"f":[1,{"r":[[0,"a"],[0,"b"]]},"z"]}`)); err != nil {
			t.Fatal(err)
		}
		if tr.Apply([]byte(msg)) == nil {
			_, _ = tr.HTML()
		}
	})
}

package presence

import (
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	var tb Table[string]
	tb.Set("p", "a", []string{"alice"})
	tb.Set("p", "b", []string{"bob", "bob2"})
	tb.Set("q", "b", []string{"carol"})
	if got := slices.Sorted(slices.Values(tb.Viewers("p"))); !slices.Equal(got, []string{"alice", "bob", "bob2"}) {
		t.Errorf("p's viewers %q", got)
	}
	dropped := tb.Drop("b")
	if len(dropped) != 2 || !slices.Equal(dropped["q"], []string{"carol"}) {
		t.Errorf("dropped %v", dropped)
	}
	if got := tb.Viewers("p"); !slices.Equal(got, []string{"alice"}) {
		t.Errorf("after b died, p's viewers %q", got)
	}
	tb.Set("p", "a", nil)
	if got := tb.All(); len(got) != 0 {
		t.Errorf("instances left: %q", got)
	}
}

package ltbench

import (
	"strings"
	"testing"
	"time"
)

// TestRunEngine runs the engine suite with tiny loops and checks that every
// metric is there, positive, and that the goals are set.
func TestRunEngine(t *testing.T) {
	ms, err := Run("engine", Options{Rounds: 1, Duration: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkMetrics(t, ms, map[string]float64{
		"engine.update_vs_execute_ratio":         0.5,
		"engine.update_allocs_vs_execute_ratio":  2,
		"engine.update_bytes_ratio":              0.005,
		"engine.change_all_vs_execute_ratio":     1.5,
		"engine.update_10k_one_field_vs_execute": 0.1,
		"engine.update_scaling_ns_per_row":       500,
	}, []string{
		"engine.update_scaling_100", "engine.update_scaling_1000", "engine.update_scaling_10000", "engine.update_scaling_100000",
		"engine.update_message_bytes",
		"engine.insert_middle_bytes", "engine.insert_middle_vs_execute_ratio",
		"engine.reverse_bytes", "engine.reverse_vs_execute_ratio",
		"engine.remove_one_bytes",
		"engine.change_all_bytes", "engine.change_all_vs_execute_ratio",
		"engine.first_render_tree_bytes", "engine.first_render_html_bytes",
		"engine.first_render_tree_vs_html_ratio",
	})
}

// checkMetrics checks that every metric of ms is positive, that those named
// in goals are there with that goal and those in names are there, and
// returns the metrics by name.
func checkMetrics(t *testing.T, ms []Metric, goals map[string]float64, names []string) map[string]Metric {
	t.Helper()
	got := make(map[string]Metric)
	for _, m := range ms {
		if m.Value <= 0 {
			t.Errorf("%s = %v, want a positive value", m.Name, m.Value)
		}
		got[m.Name] = m
	}
	for name, goal := range goals {
		if m, ok := got[name]; !ok || m.Goal == nil || *m.Goal != goal {
			t.Errorf("%s: missing or without goal %v: %+v", name, goal, m)
		}
	}
	for _, name := range names {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: missing", name)
		}
	}
	return got
}

func TestRunUnknownSuite(t *testing.T) {
	_, err := Run("nope", DefaultOptions)
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "engine") {
		t.Fatalf("Run(nope): %v, want an error naming the suite and the known ones", err)
	}
}

func TestMessageBytes(t *testing.T) {
	got := string(appendDiffMessage(nil, []byte(`{"f":{}}`)))
	if want := `{"t":"diff","p":1,"v":2,"b":1,"d":{"f":{}}}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

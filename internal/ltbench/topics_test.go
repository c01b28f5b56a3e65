package ltbench

import (
	"context"
	"testing"
	"time"
)

// TestRunTopics runs the topics suite small: every metric is there, and no
// message is lost or run twice.
func TestRunTopics(t *testing.T) {
	defer func(n int) { Conns = n }(Conns)
	Conns = 50
	ms, err := Run("topics", Options{Rounds: 3, Duration: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var latencies []Metric
	for _, m := range ms {
		switch m.Name {
		case "topics.lost", "topics.duplicated":
			if m.Value != 0 || m.Goal == nil || *m.Goal != 0 {
				t.Errorf("%s = %v (goal %v), want 0 of goal 0", m.Name, m.Value, m.Goal)
			}
		default:
			latencies = append(latencies, m)
		}
	}
	got := checkMetrics(t, latencies, map[string]float64{"topics.fanout_p99_ms": 100}, []string{"topics.fanout_p50_ms"})
	if p50, p99 := got["topics.fanout_p50_ms"].Value, got["topics.fanout_p99_ms"].Value; p50 > p99 {
		t.Errorf("p50 %v ms > p99 %v ms", p50, p99)
	}
	if len(ms) != 4 {
		t.Errorf("%d metrics, want 4", len(ms))
	}
}

// TestSetClusterTopics: the metrics of the cluster's part follow the
// suite's own, and its counts of messages lost and run twice add to the
// suite's.
func TestSetClusterTopics(t *testing.T) {
	defer func(n int) { Conns = n }(Conns)
	Conns = 20
	defer SetClusterTopics(nil)
	var pages int
	SetClusterTopics(func(_ context.Context, n int) ([]Metric, error) {
		pages = n
		return []Metric{{Name: "topics.cluster_fanout_p99_ms", Value: 7, Unit: "ms"}, {Name: "topics.lost", Value: 2, Unit: "messages"}}, nil
	})
	ms, err := Run("topics", Options{Rounds: 2, Duration: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range ms {
		got[m.Name] = m.Value
	}
	if pages != 20 || got["topics.cluster_fanout_p99_ms"] != 7 || got["topics.lost"] != 2 || len(ms) != 5 {
		t.Errorf("the cluster's part ran with %d pages; metrics %v, want its fan-out (7) and its lost (2) added, 5 in all", pages, got)
	}
}

package ltbench

import (
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain lets the ws suite start the test binary as its client process,
// as it starts cmd/ltbench's (see RunClientProcess).
func TestMain(m *testing.M) {
	RunClientProcess()
	os.Exit(m.Run())
}

// checkAttackMetrics checks the attack set's metrics, which may be 0 (an
// attack that pinned nothing), and returns the others.
func checkAttackMetrics(t *testing.T, ms []Metric) []Metric {
	t.Helper()
	var rest []Metric
	var most, top *Metric
	for _, m := range ms {
		switch {
		case m.Name == "ws.attack_max_conn_bytes":
			top = &m
		case strings.HasPrefix(m.Name, "ws.attack_"):
			if m.Value < 0 || m.Unit != "bytes" {
				t.Errorf("%s = %v %s, want bytes, not negative", m.Name, m.Value, m.Unit)
			}
			if most == nil || m.Value > most.Value {
				most = &m
			}
		default:
			rest = append(rest, m)
		}
	}
	switch {
	case top == nil || most == nil:
		t.Error("attack metrics missing")
	case top.Value != most.Value || top.Goal == nil || *top.Goal != 8<<20:
		t.Errorf("ws.attack_max_conn_bytes %+v, want %s's value with the goal 8 MiB", *top, most.Name)
	}
	return rest
}

// TestRunWS runs the ws suite with 200 connections (fewer make the
// memory per connection a difference of noise), a fan-out of 3 updates
// and 0.2 s of events, and checks that every metric is there, positive and
// finite, with its goal, and that no goroutine of the suite is left.
func TestRunWS(t *testing.T) {
	defer func(n int) { Conns = n }(Conns)
	Conns = 200
	before := runtime.NumGoroutine()
	ms, err := Run("ws", Options{Rounds: 3, Duration: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ms = checkAttackMetrics(t, ms)
	got := checkMetrics(t, ms, map[string]float64{
		"ws.fanout_p99_ms":   50,
		"ws.idle_conn_bytes": 20480,
	}, []string{
		"ws.fanout_p50_ms", "ws.idle_conn_heap_bytes", "ws.idle_conn_stack_bytes",
		"ws.idle_conn_goroutines", "ws.events_per_sec",
	})
	for _, m := range ms {
		if math.IsInf(m.Value, 0) {
			t.Errorf("%s = %v, want a finite value", m.Name, m.Value)
		}
	}
	if p50, p99 := got["ws.fanout_p50_ms"].Value, got["ws.fanout_p99_ms"].Value; p50 > p99 {
		t.Errorf("p50 %v ms > p99 %v ms", p50, p99)
	}
	// The last handlers of the endpoint's connections return a moment after
	// the application closes.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the suite, %d before", n, before)
	}
}

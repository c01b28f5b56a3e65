package main

import (
	"testing"

	"github.com/livetemplate/livetemplate/internal/ltbench"
)

// TestDemoSuiteInBrowser runs the demo suite for two restarts: every metric
// is measured, and the tab resumes after its socket is open again.
func TestDemoSuiteInBrowser(t *testing.T) {
	ms, err := runDemo(ltbench.Options{Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range ms {
		if m.Value <= 0 {
			t.Errorf("%s: %v", m.Name, m.Value)
		}
		got[m.Name] = m.Value
	}
	if len(got) != 5 || got["demo.restart_resume_ms"] < got["demo.restart_reconnect_ms"] {
		t.Errorf("the metrics: %v", got)
	}
}

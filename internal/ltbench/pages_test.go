package ltbench

import (
	"testing"
	"time"
)

// TestRunPages runs the pages suite with few pages and tiny loops and checks
// that every metric is there, positive, with its goal, and that an idle page
// holds a sane amount of memory.
func TestRunPages(t *testing.T) {
	ms, err := Run("pages", Options{Rounds: 1, Duration: time.Millisecond, Pages: 50})
	if err != nil {
		t.Fatal(err)
	}
	got := checkMetrics(t, ms, map[string]float64{
		"pages.update_vs_execute":             1.5,
		"pages.new_page_vs_execute":           1.5,
		"pages.idle_page_bytes_per_html_byte": 1.2,
	}, []string{
		"pages.idle_page_bytes", "pages.idle_small_page_bytes",
		"pages.update_time", "pages.new_page_time", "pages.execute_time",
	})
	idle, perHTML := got["pages.idle_page_bytes"], got["pages.idle_page_bytes_per_html_byte"]
	if idle.Goal == nil {
		t.Fatalf("pages.idle_page_bytes has no goal")
	}
	// The goal is 2x the HTML plus 2 KiB; the HTML's length follows from it.
	html := (*idle.Goal - 2048) / 2
	if html < 10000 {
		t.Errorf("goal %v implies %v bytes of HTML; the todo page has over 20,000", *idle.Goal, html)
	}
	if idle.Value >= 20*html || perHTML.Value >= 20 {
		t.Errorf("an idle page holds %v bytes (%vx its HTML), want under 20x its %v bytes of HTML", idle.Value, perHTML.Value, html)
	}
	if small := got["pages.idle_small_page_bytes"]; small.Value >= idle.Value {
		t.Errorf("a small page holds %v bytes, no less than the todo page's %v", small.Value, idle.Value)
	}
}

func TestRunPagesNegative(t *testing.T) {
	if _, err := Run("pages", Options{Rounds: 1, Duration: time.Millisecond, Pages: -1}); err == nil {
		t.Fatal("Run with -1 pages: no error")
	}
}

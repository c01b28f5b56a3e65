package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDemoMetrics: the demo serves its application's metrics at /metrics in
// Prometheus's text format; a connection joined to a page shows in them.
func TestDemoMetrics(t *testing.T) {
	d := start(t, "-memory")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := d.dial(t, ctx)
	if _, err := c.Join(ctx, d.tokenOf(t, "/dashboard/")); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %s, %s", res.Status, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"livetemplate_connections", "livetemplate_joins", "livetemplate_pages"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s:\n%s", want, body)
		}
	}
}

package main

import (
	"context"
	"math"

	"github.com/livetemplate/livetemplate/client/clientbench"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func init() { ltbench.Register("client", runClient) }

// runClient is the client suite: the browser client in headless Chromium.
func runClient(opts ltbench.Options) ([]ltbench.Metric, error) {
	r, err := clientbench.Run(context.Background(), opts.Rounds)
	if err != nil {
		return nil, err
	}
	round := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	return []ltbench.Metric{
		// The earlier Go implementation's client was 41,600 bytes.
		ltbench.Metric{Name: "client.bundle_gzip_bytes", Value: float64(r.BundleGzipBytes), Unit: "bytes"}.WithGoal(18000),
		// Well inside one frame (16 ms), with room for the app's own work.
		ltbench.Metric{Name: "client.apply_one_slot_1000_rows_ms", Value: round(r.ApplyOneSlotMS), Unit: "ms"}.WithGoal(1),
		// Peers send the page twice: about 2.
		ltbench.Metric{Name: "client.first_load_bytes_ratio", Value: round(r.FirstLoad), Unit: "ratio"}.WithGoal(1.3),
		{Name: "client.first_load_bytes_ratio_without_version", Value: round(r.FirstLoadFull), Unit: "ratio"},
		// Page.Push to the hooks of 100 tabs: 10 browsers of 10 tabs, each browser's on one connection.
		{Name: "client.push_p99_ms", Value: round(r.PushP99MS), Unit: "ms"},
		{Name: "client.push_p50_ms", Value: round(r.PushP50MS), Unit: "ms"},
		// Click to live: a live navigation joins on the open connection and loads no script.
		ltbench.Metric{Name: "client.navigate_vs_reload_ratio", Value: round(r.NavigateRatio), Unit: "ratio"}.WithGoal(0.5),
		// 20 navigations across 3 tabs of one browser, all on the one shared connection.
		ltbench.Metric{Name: "client.navigate_connections", Value: float64(r.NavigateConns), Unit: "connections"}.WithGoal(1),
	}, nil
}

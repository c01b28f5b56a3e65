package main

import (
	"context"

	"github.com/livetemplate/livetemplate/internal/ltbench"
	"github.com/livetemplate/livetemplate/upload/uploadbench"
)

func init() { ltbench.Register("uploads", runUploads) }

// runUploads is the uploads suite: the tus upload server and a Go client in
// this process, over loopback.
func runUploads(ltbench.Options) ([]ltbench.Metric, error) {
	r, err := uploadbench.Run(context.Background(), uploadbench.Options{})
	if err != nil {
		return nil, err
	}
	return []ltbench.Metric{
		// Goal >= 0.8 (a floor, which Metric.Goal cannot say).
		{Name: "uploads.throughput_vs_http_ratio", Value: r.ThroughputRatio, Unit: "ratio"},
		{Name: "uploads.tus_mb_per_s", Value: r.TusMBps, Unit: "MB/s"},
		{Name: "uploads.post_mb_per_s", Value: r.PostMBps, Unit: "MB/s"},
		ltbench.Metric{Name: "uploads.server_rss_growth_mb", Value: r.RSSGrowthMB, Unit: "MB"}.WithGoal(16),
		// At most one chunk (8 MiB).
		ltbench.Metric{Name: "uploads.resume_wasted_bytes", Value: float64(r.ResumeWasted), Unit: "bytes"}.WithGoal(8 << 20),
	}, nil
}

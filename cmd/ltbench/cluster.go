package main

import (
	"context"

	"github.com/livetemplate/livetemplate/cluster/clusterbench"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func init() { ltbench.Register("cluster", runCluster) }

// runCluster is the cluster suite: three instances on an embedded NATS
// server in this process.
func runCluster(ltbench.Options) ([]ltbench.Metric, error) {
	r, err := clusterbench.Run(context.Background(), clusterbench.Options{})
	if err != nil {
		return nil, err
	}
	m := r.Metrics()
	metric := func(name, unit string) ltbench.Metric {
		return ltbench.Metric{Name: name, Value: m[name], Unit: unit}
	}
	return []ltbench.Metric{
		// Two hops (client, instance, NATS, instance, client) within what a
		// single instance is allowed (50 ms) twice over.
		metric("cluster.fanout_p99_ms", "ms").WithGoal(100),
		// A killed owner gives nothing up: the lease (1 s in this suite)
		// plus the first event's round trip.
		metric("cluster.kill_takeover_ms", "ms"),
		metric("cluster.lost_acked_updates", "updates").WithGoal(0),
		metric("cluster.duplicated_updates", "updates").WithGoal(0),
		// Each instance shut down (Application.Shutdown) and started again
		// while 300 clients on 30 pages send events, with the default 5 s
		// lease: no client waits for a lease.
		metric("cluster.rolling_restart_lost_acked", "events").WithGoal(0),
		metric("cluster.rolling_restart_duplicated", "events").WithGoal(0),
		metric("cluster.rolling_restart_stall_p99_ms", "ms").WithGoal(1000),
	}, nil
}

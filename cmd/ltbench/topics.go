package main

import (
	"context"

	"github.com/livetemplate/livetemplate/cluster/clusterbench"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func init() { ltbench.SetClusterTopics(runClusterTopics) }

// runClusterTopics is the topics suite's part on a cluster: three instances
// on an embedded NATS server in this process.
func runClusterTopics(ctx context.Context, pages int) ([]ltbench.Metric, error) {
	r, err := clusterbench.RunTopics(ctx, clusterbench.TopicsOptions{Pages: pages})
	if err != nil {
		return nil, err
	}
	m := r.Metrics()
	count := func(name string) ltbench.Metric {
		return ltbench.Metric{Name: name, Value: m[name], Unit: "messages"}
	}
	return []ltbench.Metric{
		// One hop more than on one instance (publisher, NATS, owner, NATS,
		// follower, client), and a store write per page: 1.5 times the
		// single instance's goal.
		ltbench.Metric{Name: "topics.cluster_fanout_p99_ms", Value: m["topics.cluster_fanout_p99_ms"], Unit: "ms"}.WithGoal(150),
		// Summed with the single instance's counts: 1,000 messages to 30
		// pages while the owner of 10 of them is killed.
		count("topics.lost").WithGoal(0),
		count("topics.duplicated").WithGoal(0),
	}, nil
}

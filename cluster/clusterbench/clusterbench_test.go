package clusterbench_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/cluster/clusterbench"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the suite small: it works, and loses and repeats nothing.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := clusterbench.Run(ctx, clusterbench.Options{
		Clients: 12, Updates: 5, Events: 20,
		RollingClients: 12, RollingPages: 3, Steady: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.LostAcked != 0 || r.Duplicated != 0 {
		t.Fatalf("lost %d acknowledged events, applied %d twice", r.LostAcked, r.Duplicated)
	}
	if r.RollingLostAcked != 0 || r.RollingDuplicated != 0 {
		t.Fatalf("rolling restart: lost %d acknowledged events, applied %d twice", r.RollingLostAcked, r.RollingDuplicated)
	}
	if r.FanoutP99 <= 0 || r.Takeover <= 0 || r.RollingStallP99 <= 0 {
		t.Fatalf("no measure: %+v", r)
	}
	for name, v := range r.Metrics() {
		t.Logf("%s = %v", name, v)
	}
}

// TestRunTopics runs the topics suite small: it works, and no page loses
// or runs twice a message across the death of an instance.
func TestRunTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := clusterbench.RunTopics(ctx, clusterbench.TopicsOptions{Pages: 12, Fanouts: 2, Publishes: 150, AuditPages: 6})
	if err != nil {
		t.Fatal(err)
	}
	if r.Lost != 0 || r.Duplicated != 0 {
		t.Fatalf("lost %d messages, ran %d twice", r.Lost, r.Duplicated)
	}
	if r.FanoutP99 <= 0 {
		t.Fatalf("no measure: %+v", r)
	}
	for name, v := range r.Metrics() {
		t.Logf("%s = %v", name, v)
	}
}

package tabsbench_test

import (
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// TestRun: the suite runs in Chromium and its figures hold together: five
// tabs hold one connection, every handover has its failover, no event is
// lost, run twice or left without its ack, a hung leader is deposed, two
// mounts hold a connection each, every click is timed, tabs pushing past
// the rate through a crash lose nothing, run nothing twice or out of
// order, and the frames of an event are counted.
func TestRun(t *testing.T) {
	r, err := tabsbench.Run(t.Context(), tabsbench.Options{Tabs: 3, Handovers: 6, TwoEndpoints: 3 * time.Second, Clicks: 5, OverloadTabs: 4, OverloadCrashes: 1, FramesTabs: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.ServerConnections != 1 {
		t.Errorf("%d server connections for 3 tabs, want 1", r.ServerConnections)
	}
	if len(r.Failovers) != 6 || r.Failovers[0] < 0 {
		t.Errorf("failovers %v for 6 handovers", r.Failovers)
	}
	if r.Events == 0 || r.LostEvents != 0 || r.DuplicatedEvents != 0 || r.Unsettled != 0 || r.Failed != 0 {
		t.Errorf("%d events ran, %d lost, %d run twice, %d unsettled, %d failed", r.Events, r.LostEvents, r.DuplicatedEvents, r.Unsettled, r.Failed)
	}
	if r.HungLeaderStall <= 0 || r.HungLeaderStall > 5000 {
		t.Errorf("a follower's event waited %.0f ms while the leader hung 6 s", r.HungLeaderStall)
	}
	if r.TwoEndpointConnections != 2 {
		t.Errorf("%d connections for tabs on two mounts, want 2", r.TwoEndpointConnections)
	}
	if len(r.ClickLeader) != 5 || len(r.ClickFollower) != 5 {
		t.Errorf("clicks timed: %v in the leader, %v in the follower", r.ClickLeader, r.ClickFollower)
	}
	if o := r.Overload; o.Events == 0 || o.Lost != 0 || o.Duplicated != 0 || o.OutOfOrder != 0 || o.Unsettled != 0 {
		t.Errorf("overload: %+v", o)
	}
	if r.FramesPerEvent < 1 {
		t.Errorf("%.2f frames per event", r.FramesPerEvent)
	}
}

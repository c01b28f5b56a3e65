package main

import (
	"context"
	"math"

	"github.com/livetemplate/livetemplate/client/tabsbench"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func init() { ltbench.Register("tabs", runTabs) }

// runTabs is the tabs suite: five tabs of one headless Chromium share one
// connection while their leader is closed and crashed, 2 x rounds times; a
// leader hangs; tabs use two mounts of one endpoint; the leader and a
// follower click 2 x rounds times each; eight tabs push at four times the
// default rate through two leader crashes; a follower of eight tabs on one
// page clicks 2 x rounds times.
func runTabs(opts ltbench.Options) ([]ltbench.Metric, error) {
	r, err := tabsbench.Run(context.Background(), tabsbench.Options{Tabs: 5, Handovers: 2 * opts.Rounds, Clicks: 2 * opts.Rounds})
	if err != nil {
		return nil, err
	}
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	return []ltbench.Metric{
		ltbench.Metric{Name: "tabs.server_connections", Value: float64(r.ServerConnections), Unit: "connections"}.WithGoal(1),
		// A crashed tab's Web Lock goes within about 90 ms; a new connection
		// and the rejoin of every page take a few more.
		ltbench.Metric{Name: "tabs.failover_p50_ms", Value: r.FailoverP50(), Unit: "ms"}.WithGoal(200),
		ltbench.Metric{Name: "tabs.failover_max_ms", Value: r.FailoverMax(), Unit: "ms"}.WithGoal(1000),
		ltbench.Metric{Name: "tabs.lost_events", Value: float64(r.LostEvents), Unit: "events"}.WithGoal(0),
		ltbench.Metric{Name: "tabs.duplicated_events", Value: float64(r.DuplicatedEvents), Unit: "events"}.WithGoal(0),
		// pushEvent promises that failed, or had not settled 15 s after the run.
		ltbench.Metric{Name: "tabs.unacknowledged_pushes", Value: float64(r.Unsettled + r.Failed), Unit: "events"}.WithGoal(0),
		{Name: "tabs.events", Value: float64(r.Events), Unit: "events"},
		// Handovers in which a follower had deposed the leader (silent for a second) before the kill.
		{Name: "tabs.unprovoked_handovers", Value: float64(r.Unprovoked), Unit: "handovers"},
		// A follower deposes a leader that answers nothing for a second.
		ltbench.Metric{Name: "tabs.hung_leader_stall_ms", Value: round(r.HungLeaderStall), Unit: "ms"}.WithGoal(1500),
		ltbench.Metric{Name: "tabs.two_endpoints_connections", Value: float64(r.TwoEndpointConnections), Unit: "connections"}.WithGoal(2),
		{Name: "tabs.click_to_paint_p50_ms_leader", Value: round(tabsbench.ClickP50(r.ClickLeader)), Unit: "ms"},
		{Name: "tabs.click_to_paint_p50_ms_follower", Value: round(tabsbench.ClickP50(r.ClickFollower)), Unit: "ms"},
		// The first click of each, on a page loaded with data-version, once its tree came.
		{Name: "tabs.first_click_to_paint_ms", Value: round(max(r.ClickLeader[0], r.ClickFollower[0])), Unit: "ms"},
		// Eight tabs push at about four times the default event rate, which they share, through two leader crashes.
		ltbench.Metric{Name: "tabs.overload_duplicated_events", Value: float64(r.Overload.Duplicated), Unit: "events"}.WithGoal(0),
		ltbench.Metric{Name: "tabs.overload_lost_events", Value: float64(r.Overload.Lost), Unit: "events"}.WithGoal(0),
		ltbench.Metric{Name: "tabs.overload_out_of_order_events", Value: float64(r.Overload.OutOfOrder), Unit: "events"}.WithGoal(0),
		{Name: "tabs.overload_events", Value: float64(r.Overload.Events), Unit: "events"},
		// Frames the server writes per click of a follower, eight tabs showing the page.
		ltbench.Metric{Name: "tabs.frames_per_event", Value: round(r.FramesPerEvent), Unit: "frames"}.WithGoal(2),
	}, nil
}

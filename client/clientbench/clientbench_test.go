package clientbench_test

import (
	"testing"

	"github.com/livetemplate/livetemplate/client/clientbench"
	"github.com/livetemplate/livetemplate/internal/bundle"
)

// TestRun: the suite runs in Chromium and its figures hold together: the
// versioned first load costs less than one without a version, which sends
// the page's tree too.
func TestRun(t *testing.T) {
	r, err := clientbench.Run(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.BundleGzipBytes <= 0 || r.BundleGzipBytes >= len(bundle.Script) {
		t.Errorf("bundle gzip bytes %d of %d", r.BundleGzipBytes, len(bundle.Script))
	}
	if r.ApplyOneSlotMS < 0 {
		t.Errorf("apply time %v", r.ApplyOneSlotMS)
	}
	if r.NavigateRatio <= 0 || r.NavigateConns != 1 {
		t.Errorf("navigation: ratio %v to a load, %d connections for 20 in 3 tabs, want 1", r.NavigateRatio, r.NavigateConns)
	}
	if r.FirstLoad < 1 || r.FirstLoad >= r.FirstLoadFull {
		t.Errorf("first load ratio %v with a version, %v without", r.FirstLoad, r.FirstLoadFull)
	}
	if r.PushP50MS <= 0 || r.PushP99MS < r.PushP50MS {
		t.Errorf("push times: p50 %v ms, p99 %v ms", r.PushP50MS, r.PushP99MS)
	}
}

// TestPushLatency: every push reaches every tab's hook, the tabs of a
// browser through its one connection, once each.
func TestPushLatency(t *testing.T) {
	lat, err := clientbench.PushLatency(t.Context(), 2, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push times: %v ms", lat)
	if len(lat) != 2*3*4 || lat[0] < -1 || lat[len(lat)-1] > 5000 { // -1: the browser's clock has whole milliseconds
		t.Errorf("%d push times from %v to %v ms; want 24 of 0 to 5,000", len(lat), lat[0], lat[len(lat)-1])
	}
}

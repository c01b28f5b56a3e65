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
}

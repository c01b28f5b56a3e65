package uploadbench

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the measurements small: each completes, and a resume sends
// less than a chunk twice.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Run(ctx, Options{Size: 4 << 20, LargeSize: 8 << 20, Chunk: 1 << 20, Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.ThroughputRatio <= 0 || r.TusMBps <= 0 || r.PostMBps <= 0 {
		t.Fatalf("throughput %+v", r)
	}
	if r.ResumeWasted < 0 || r.ResumeWasted > 1<<20 {
		t.Fatalf("resume sent %d bytes twice, more than a chunk", r.ResumeWasted)
	}
}

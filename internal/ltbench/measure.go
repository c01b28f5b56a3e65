package ltbench

import (
	"runtime"
	"slices"
	"time"
)

// cost is what one operation costs on average over a timed loop.
type cost struct {
	ns     float64
	allocs float64
}

// op is one iteration of a measured loop. It keeps its own state between
// calls and between loops, so that each call continues where the last ended.
type op func() error

// measure runs op n times and returns its cost per call. It collects garbage
// first so that one measurement does not pay for the previous one's garbage.
func measure(n int, f op) (cost, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range n {
		if err := f(); err != nil {
			return cost{}, err
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return cost{
		ns:     float64(elapsed.Nanoseconds()) / float64(n),
		allocs: float64(after.Mallocs-before.Mallocs) / float64(n),
	}, nil
}

// iterations returns how many calls of f take about d: it doubles the count
// until a run takes a tenth of d, then scales. This also warms f up.
func iterations(d time.Duration, f op) (int, error) {
	for n := 1; ; n *= 2 {
		c, err := measure(n, f)
		if err != nil {
			return 0, err
		}
		if elapsed := time.Duration(c.ns * float64(n)); elapsed >= d/10 {
			return max(1, int(float64(d)/c.ns)), nil
		}
	}
}

// median returns the middle of xs (the mean of the two middles for an even
// count).
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

// Package ltbench measures LiveTemplate against its goals. A suite is a named
// set of measurements that returns metrics; each suite lives in its own file
// and registers itself, so that new suites need no change elsewhere.
// cmd/ltbench runs them; BENCHMARKS.md says what every metric means.
package ltbench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metric is one measured figure.
type Metric struct {
	Name  string   `json:"metric"`
	Value float64  `json:"value"`
	Unit  string   `json:"unit"`
	Goal  *float64 `json:"goal,omitempty"` // the most Value may be; nil for none
}

// Met reports whether m has a goal and its value is within it.
func (m Metric) Met() bool { return m.Goal != nil && m.Value <= *m.Goal }

// Options tune how long a suite measures.
type Options struct {
	// Rounds is how many times each measurement is repeated; a suite reports
	// the median, which a noisy machine disturbs less than the mean.
	Rounds int
	// Duration is how long one timed measurement runs.
	Duration time.Duration
	// Pages is how many live pages the pages suite holds at once to measure
	// the memory of one; 0 means [DefaultPages].
	Pages int
}

// DefaultPages is the pages suite's default Options.Pages: enough that the
// per-page share of a map's growth and of the heap's bookkeeping averages
// out, few enough to take about a second.
const DefaultPages = 2000

// DefaultOptions keeps the engine suite under a minute on two cores. Many
// short rounds beat few long ones on a shared machine: a burst of load from
// a neighbour then tends to hit both sides of a ratio, not one.
var DefaultOptions = Options{Rounds: 25, Duration: 40 * time.Millisecond}

// suite is a named set of measurements.
type suite struct {
	name string
	run  func(Options) ([]Metric, error)
}

var suites = map[string]suite{}

// Register adds the suite name, measured by run. Each suite's file calls it
// from init; suites whose dependencies the library's module must not carry
// (a browser, a NATS server) live in the cmd module and register there.
func Register(name string, run func(Options) ([]Metric, error)) {
	suites[name] = suite{name: name, run: run}
}

// Suites returns the names of the known suites, sorted.
func Suites() []string {
	names := make([]string, 0, len(suites))
	for name := range suites {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Run runs the named suite and returns its metrics.
func Run(name string, opts Options) ([]Metric, error) {
	s, ok := suites[name]
	if !ok {
		return nil, fmt.Errorf("ltbench: unknown suite %q (known: %s)", name, strings.Join(Suites(), ", "))
	}
	if opts.Rounds < 1 || opts.Duration <= 0 || opts.Pages < 0 {
		return nil, fmt.Errorf("ltbench: suite %q: rounds (%d) and duration (%v) must be positive, pages (%d) not negative", name, opts.Rounds, opts.Duration, opts.Pages)
	}
	ms, err := s.run(opts)
	if err != nil {
		return nil, fmt.Errorf("ltbench: suite %q: %w", name, err)
	}
	return ms, nil
}

// WithGoal returns m with goal g.
func (m Metric) WithGoal(g float64) Metric {
	m.Goal = &g
	return m
}

// ratio is a unitless metric, rounded to four significant digits: the noise
// of a shared machine is larger than that.
func ratio(name string, v float64) Metric {
	return Metric{Name: name, Value: significant(v, 4), Unit: "ratio"}
}

// byteCount is a size metric.
func byteCount(name string, n int) Metric {
	return Metric{Name: name, Value: float64(n), Unit: "bytes"}
}

func significant(v float64, digits int) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	return r
}

// duration is a time metric in nanoseconds.
func duration(name string, ns float64) Metric {
	return Metric{Name: name, Value: significant(ns, 4), Unit: "ns"}
}

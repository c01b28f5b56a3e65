package ltbench

import (
	"fmt"
	"html/template"
	"time"

	"github.com/livetemplate/livetemplate/internal/engine"
)

// race is one timed comparison: an op (an update, or for the pages suite
// also a new page) and its Execute baseline, measured in alternation round
// after round, so that a noisy neighbour slows both.
type race struct {
	name             string
	subject, execute side
}

// side is one op of a race, the loop count that makes it last the asked
// duration, and its cost in every round so far.
type side struct {
	op    op
	n     int
	costs []cost
}

// newRace sizes the loops of subject and execute to d.
func newRace(name string, subject, execute op, d time.Duration) (*race, error) {
	r := &race{name: name, subject: side{op: subject}, execute: side{op: execute}}
	for _, s := range []*side{&r.execute, &r.subject} {
		var err error
		if s.n, err = iterations(d, s.op); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return r, nil
}

// runRaces times every race's two sides in alternation, rounds times.
func runRaces(races []*race, rounds int) error {
	for round := range rounds {
		for _, r := range races {
			// Alternate which side goes first, so that drift favours neither.
			sides := [2]*side{&r.execute, &r.subject}
			if round%2 == 1 {
				sides[0], sides[1] = sides[1], sides[0]
			}
			for _, s := range sides {
				c, err := measure(s.n, s.op)
				if err != nil {
					return fmt.Errorf("%s: %w", r.name, err)
				}
				s.costs = append(s.costs, c)
			}
		}
	}
	return nil
}

// medians are a race's results over its rounds: the ratios of subject over
// Execute, each taken within its round, and both sides' times in ns.
type medians struct {
	time, allocs      float64
	subjectNs, execNs float64
}

func (r *race) medians() medians {
	var times, allocs, subNs, execNs []float64
	for i, s := range r.subject.costs {
		e := r.execute.costs[i]
		times = append(times, s.ns/e.ns)
		allocs = append(allocs, s.allocs/e.allocs)
		subNs = append(subNs, s.ns)
		execNs = append(execNs, e.ns)
	}
	return medians{time: median(times), allocs: median(allocs), subjectNs: median(subNs), execNs: median(execNs)}
}

// timeChanges times the changes listed in timed against Execute and returns
// the median ratios.
func timeChanges(tmpl *template.Template, prog *engine.Program, cs []change, opts Options) ([]Metric, error) {
	var races []*race
	for _, c := range cs {
		if !timed[c.name] {
			continue
		}
		upd, err := c.update(prog)
		if err != nil {
			return nil, err
		}
		r, err := newRace(c.name, upd, c.execute(tmpl), opts.Duration)
		if err != nil {
			return nil, err
		}
		races = append(races, r)
	}
	if err := runRaces(races, opts.Rounds); err != nil {
		return nil, err
	}
	var ms []Metric
	for _, r := range races {
		ms = append(ms, engineMetrics(r)...)
	}
	return ms, nil
}

// engineMetrics returns the medians over the rounds of update over Execute.
// The headline update also reports its allocations and both absolute times.
// The goals: an update that changes one row of 100 should cost at most half
// an Execute, one of 10,000 a tenth (its cost is the change, not the page),
// and one that changes every row no more than 1.5 Executes (the reads that
// find unchanged rows must pay for themselves).
func engineMetrics(r *race) []Metric {
	m := r.medians()
	t := ratio("engine."+r.name+"_vs_execute_ratio", m.time)
	switch r.name {
	case "update_10k_one_field":
		return []Metric{ratio("engine.update_10k_one_field_vs_execute", m.time).WithGoal(0.1)}
	case "change_all":
		return []Metric{t.WithGoal(1.5)}
	case "update":
		return []Metric{
			t.WithGoal(0.5),
			ratio("engine.update_allocs_vs_execute_ratio", m.allocs).WithGoal(2),
			duration("engine.update_time", m.subjectNs),
			duration("engine.execute_time", m.execNs),
		}
	}
	return []Metric{t}
}

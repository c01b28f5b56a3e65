package ltbench

import (
	"fmt"
	"html/template"

	"github.com/livetemplate/livetemplate/internal/engine"
)

// race is one timed change: its update and its Execute baseline, measured
// in alternation round after round, so that a noisy neighbour slows both.
type race struct {
	name            string
	update, execute side
}

// side is one op of a race, the loop count that makes it last the asked
// duration, and its cost in every round so far.
type side struct {
	op    op
	n     int
	costs []cost
}

// timeChanges times the changes listed in timed against Execute and returns
// the median ratios.
func timeChanges(tmpl *template.Template, prog *engine.Program, cs []change, opts Options) ([]Metric, error) {
	var races []*race
	for _, c := range cs {
		if !timed[c.name] {
			continue
		}
		r, err := newRace(c, tmpl, prog, opts)
		if err != nil {
			return nil, err
		}
		races = append(races, r)
	}
	for round := range opts.Rounds {
		for _, r := range races {
			// Alternate which side goes first, so that drift favours neither.
			sides := [2]*side{&r.execute, &r.update}
			if round%2 == 1 {
				sides[0], sides[1] = sides[1], sides[0]
			}
			for _, s := range sides {
				c, err := measure(s.n, s.op)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", r.name, err)
				}
				s.costs = append(s.costs, c)
			}
		}
	}
	var ms []Metric
	for _, r := range races {
		ms = append(ms, r.metrics()...)
	}
	return ms, nil
}

// newRace prepares c's ops and sizes their loops to opts.Duration.
func newRace(c change, tmpl *template.Template, prog *engine.Program, opts Options) (*race, error) {
	upd, err := c.update(prog)
	if err != nil {
		return nil, err
	}
	r := &race{name: c.name, update: side{op: upd}, execute: side{op: c.execute(tmpl)}}
	for _, s := range []*side{&r.execute, &r.update} {
		if s.n, err = iterations(opts.Duration, s.op); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return r, nil
}

// metrics returns the medians over the rounds of update over Execute, each
// round's ratio taken within the round. The headline update also reports
// its allocations and both absolute times.
func (r *race) metrics() []Metric {
	var times, allocs, updNs, execNs []float64
	for i, u := range r.update.costs {
		e := r.execute.costs[i]
		times = append(times, u.ns/e.ns)
		allocs = append(allocs, u.allocs/e.allocs)
		updNs = append(updNs, u.ns)
		execNs = append(execNs, e.ns)
	}
	t := ratio("engine."+r.name+"_vs_execute_ratio", median(times))
	if r.name != "update" {
		return []Metric{t}
	}
	return []Metric{
		t.withGoal(1.5),
		ratio("engine.update_allocs_vs_execute_ratio", median(allocs)).withGoal(2),
		duration("engine.update_time", median(updNs)),
		duration("engine.execute_time", median(execNs)),
	}
}

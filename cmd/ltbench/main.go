// Command ltbench runs LiveTemplate's benchmark suites and prints their
// metrics, as a table or, with -json, as one JSON object per line:
//
//	go run ./cmd/ltbench -suite engine -json
//
// BENCHMARKS.md says what every metric means and what it measured last.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func main() {
	// The ws suite starts this executable again as its client process.
	ltbench.RunClientProcess()
	suite := flag.String("suite", "engine", "suite to run, one of: "+strings.Join(ltbench.Suites(), ", "))
	asJSON := flag.Bool("json", false, "print one JSON object per metric and line")
	rounds := flag.Int("rounds", ltbench.DefaultOptions.Rounds, "times each measurement is repeated; the median is reported")
	dur := flag.Duration("time", ltbench.DefaultOptions.Duration, "duration of one timed measurement")
	pages := flag.Int("pages", ltbench.DefaultPages, "live pages the pages suite holds to measure the memory of one")
	conns := flag.Int("conns", ltbench.DefaultConns, "idle connections the ws suite holds to measure the memory of one; also caps its other clients")
	flag.Parse()
	ltbench.Conns = *conns

	ms, err := ltbench.Run(*suite, ltbench.Options{Rounds: *rounds, Duration: *dur, Pages: *pages})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // already says "ltbench:"
		os.Exit(1)
	}
	print := printTable
	if *asJSON {
		print = printJSON
	}
	if err := print(os.Stdout, ms); err != nil {
		fmt.Fprintln(os.Stderr, "ltbench:", err)
		os.Exit(1)
	}
}

// printJSON writes one JSON object per metric and line.
func printJSON(w io.Writer, ms []ltbench.Metric) error {
	enc := json.NewEncoder(w)
	for _, m := range ms {
		if err := enc.Encode(m); err != nil {
			return fmt.Errorf("write metric %s: %w", m.Name, err)
		}
	}
	return nil
}

// printTable writes the metrics as aligned columns, with whether each goal
// is met.
func printTable(w io.Writer, ms []ltbench.Metric) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tUNIT\tGOAL\t")
	for _, m := range ms {
		goal := ""
		if m.Goal != nil {
			status := "met"
			if !m.Met() {
				status = "MISSED"
			}
			goal = "<= " + strconv.FormatFloat(*m.Goal, 'g', -1, 64) + " " + status
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", m.Name, strconv.FormatFloat(m.Value, 'g', -1, 64), m.Unit, goal)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

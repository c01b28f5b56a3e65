package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sample() []ltbench.Metric {
	goal := 1.5
	return []ltbench.Metric{
		{Name: "engine.a_ratio", Value: 1.2, Unit: "ratio", Goal: &goal},
		{Name: "engine.b_bytes", Value: 40, Unit: "bytes"},
	}
}

func TestPrintJSON(t *testing.T) {
	var b bytes.Buffer
	if err := printJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := `{"metric":"engine.a_ratio","value":1.2,"unit":"ratio","goal":1.5}
{"metric":"engine.b_bytes","value":40,"unit":"bytes"}
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPrintTable(t *testing.T) {
	var b bytes.Buffer
	if err := printTable(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "<= 1.5 met") || strings.Count(out, "\n") != 3 {
		t.Fatalf("unexpected table:\n%s", out)
	}
}

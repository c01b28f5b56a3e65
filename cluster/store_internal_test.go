package cluster

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/livetemplate/livetemplate"
)

// TestRecordEventWindow: a record carries the last WithEventWindow results,
// a success as its id alone, an error with its code and message, and reads
// back as it was written; a record of the earlier encoding (every result an
// object) still reads.
func TestRecordEventWindow(t *testing.T) {
	cfg := defaultConfig()
	WithState[any]("t")(&cfg)
	s := &store{cfg: &cfg}
	rec := livetemplate.PageRecord{Template: "t", Data: map[string]any{"n": 1.0}, Version: 3, Owner: "o"}
	for i := range 1024 { // a full WithDedupeWindow of browser event ids
		rec.Events = append(rec.Events, livetemplate.EventResult{ID: fmt.Sprintf("k3j4h5g6f7d8-%d", i+1)})
	}
	rec.Events[1020].Code, rec.Events[1020].Message = "handler_error", "no"
	rec.Events[1021].Reply = `{"n":12}`
	b, err := s.encodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a record with %d of %d event results: %d bytes", DefaultEventWindow, len(rec.Events), len(b))
	if limit := 20*DefaultEventWindow + 100; len(b) > limit {
		t.Errorf("the record has %d bytes, want at most %d", len(b), limit)
	}
	got, err := s.decodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := rec.Events[len(rec.Events)-DefaultEventWindow:]; !slices.Equal(got.Events, want) {
		t.Errorf("events read back: %d, want the last %d (first %v, want %v)", len(got.Events), len(want), got.Events[0], want[0])
	}
	old := []byte(`{"t":"t","v":2,"o":"x","e":[{"i":"a"},{"i":"b","c":"handler_error","m":"no"}]}` + "\n" + `{}`)
	got, err = s.decodeRecord(old)
	if err != nil {
		t.Fatal(err)
	}
	want := []livetemplate.EventResult{{ID: "a"}, {ID: "b", Code: "handler_error", Message: "no"}}
	if !slices.Equal(got.Events, want) || got.Version != 2 || got.Owner != "x" {
		t.Errorf("the earlier encoding read as %+v", got)
	}
}

// FuzzRecord decodes a page record's value, malformed or not: nothing
// panics, a malformed one is an error, and a record that decodes encodes to
// a value that decodes the same (its last WithEventWindow events).
func FuzzRecord(f *testing.F) {
	cfg := defaultConfig()
	WithState[any]("t")(&cfg)
	WithEventWindow(4)(&cfg)
	s := &store{cfg: &cfg}
	for _, seed := range []string{
		`{"t":"t","v":2,"o":"x","e":["a",{"i":"b","c":"handler_error","m":"no"}]}` + "\n" + `{"n":1}`,
		`{"t":"t","v":1}` + "\n" + `null`,
		`{"t":"t","v":2,"e":["a",{"i":"b","r":{ "n" : [1, "x"] }}]}` + "\n" + `{}`,
		`{"t":"u","v":1}` + "\n" + `{}`,
		`{"t":"t","e":[1]}` + "\n" + `{}`,
		`{"t":"t"`, "\n", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		rec, err := s.decodeRecord(value)
		if err != nil {
			return
		}
		b, err := s.encodeRecord(rec)
		if err != nil {
			return // data that JSON decodes but cannot encode (none known)
		}
		back, err := s.decodeRecord(b)
		if err != nil {
			t.Fatalf("%q decoded, encoded as %q, which does not decode: %v", value, b, err)
		}
		rec.Events = rec.Events[max(0, len(rec.Events)-4):]
		if len(rec.Events) == 0 {
			rec.Events = nil
		}
		if !reflect.DeepEqual(back, rec) {
			t.Fatalf("%q decoded as %+v, then as %+v", value, rec, back)
		}
	})
}

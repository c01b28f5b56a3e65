package quota

import (
	"testing"
	"time"
)

func TestTakeRelease(t *testing.T) {
	now := time.Now()
	later := now.Add(time.Hour)
	q := New(Limits{KeyFiles: 2, KeyBytes: 100, Files: 3, Bytes: 150})
	if r := q.Take("a", []File{{"1", 60}, {"2", 30}}, later, now); r != None {
		t.Fatalf("first take refused: %v", r)
	}
	if r := q.Take("a", []File{{"3", 1}}, later, now); r != PerKey {
		t.Fatalf("a third file of a: %v, want PerKey", r)
	}
	if r := q.Take("b", []File{{"4", 61}}, later, now); r != Overall {
		t.Fatalf("b past the bytes in all: %v, want Overall", r)
	}
	if r := q.Take("b", []File{{"4", 20}, {"5", 1}}, later, now); r != Overall {
		t.Fatalf("b past the files in all: %v, want Overall", r)
	}
	if kf, kb, f, b := q.InFlight("b"); kf != 0 || kb != 0 || f != 2 || b != 90 {
		t.Fatalf("a refused take holds room: %d %d %d %d", kf, kb, f, b)
	}
	q.Release("1")
	q.Release("1") // twice: nothing more
	if kf, kb, f, b := q.InFlight("a"); kf != 1 || kb != 30 || f != 1 || b != 30 {
		t.Fatalf("after release: %d %d %d %d", kf, kb, f, b)
	}
	if r := q.Take("a", []File{{"3", 70}}, later, now); r != None {
		t.Fatalf("after release: %v", r)
	}
}

func TestExpiry(t *testing.T) {
	now := time.Now()
	q := New(Limits{KeyFiles: 1})
	if r := q.Take("a", []File{{"1", 1}}, now.Add(time.Minute), now); r != None {
		t.Fatal(r)
	}
	if r := q.Take("a", []File{{"2", 1}}, now.Add(time.Hour), now.Add(30*time.Second)); r != PerKey {
		t.Fatalf("before expiry: %v", r)
	}
	if r := q.Take("a", []File{{"2", 1}}, now.Add(time.Hour), now.Add(time.Minute)); r != None {
		t.Fatalf("after expiry: %v", r)
	}
}

func TestNoLimits(t *testing.T) {
	q := New(Limits{})
	now := time.Now()
	for i := range 100 {
		if r := q.Take("a", []File{{string(rune('a' + i)), 1 << 40}}, now.Add(time.Hour), now); r != None {
			t.Fatalf("take %d refused without limits", i)
		}
	}
}

package roster

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// log is a roster's deliveries, as "+page:viewer" and "-page:viewer".
type log struct {
	mu  sync.Mutex
	got []string
}

func (l *log) deliver(c Change[string, string]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sign := "+"
	if c.Kind == Left {
		sign = "-"
	}
	l.got = append(l.got, sign+c.Page+":"+c.Viewer)
}

// wait waits until the log holds want, and fails the test if it holds
// anything else, then or for a moment after.
func (l *log) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		got := slices.Clone(l.got)
		l.mu.Unlock()
		switch {
		case slices.Equal(got, want):
			time.Sleep(20 * time.Millisecond)
			l.mu.Lock()
			defer l.mu.Unlock()
			if !slices.Equal(l.got, want) {
				t.Fatalf("changes %q, want %q", l.got, want)
			}
			return
		case len(got) > len(want) || time.Now().After(deadline):
			t.Fatalf("changes %q, want %q", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func newRoster(t *testing.T, grace time.Duration) (*Roster[string, string, string], *log) {
	l := new(log)
	same := func(a, b string) bool { return a == b }
	r := New[string, string, string](grace, same, l.deliver)
	t.Cleanup(r.Close)
	return r, l
}

func TestJoinLeave(t *testing.T) {
	r, l := newRoster(t, time.Hour)
	r.Join("p", "k1", "alice")
	r.Join("p", "k2", "bob")
	r.Join("q", "k1", "alice")
	r.Leave("p", "k1", false)
	l.wait(t, "+p:alice", "+p:bob", "+q:alice", "-p:alice")
	r.Leave("p", "k1", false) // twice
	r.Leave("p", "nobody", false)
	l.wait(t, "+p:alice", "+p:bob", "+q:alice", "-p:alice")
	if v := r.Viewers("p"); !slices.Equal(v, []string{"bob"}) {
		t.Errorf("p's viewers %q, want bob", v)
	}
}

// TestHandover: a key joined on a second connection before its first one
// is lost stays one viewer; one lost and joined again within the grace
// neither leaves nor joins.
func TestHandover(t *testing.T) {
	r, l := newRoster(t, time.Hour)
	r.Join("p", "k", "alice")
	r.Join("p", "k", "alice") // the new leader's connection
	r.Leave("p", "k", true)   // the old one's end
	r.Leave("p", "k", true)   // the new one lost too
	r.Join("p", "k", "alice") // back within the grace
	l.wait(t, "+p:alice")
}

// TestGrace: a viewer whose last join was lost leaves after the grace.
func TestGrace(t *testing.T) {
	r, l := newRoster(t, 50*time.Millisecond)
	r.Join("p", "k", "alice")
	start := time.Now()
	r.Leave("p", "k", true)
	l.wait(t, "+p:alice", "-p:alice")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("left after %v, before the grace", d)
	}
	r.Join("p", "k", "alice")
	l.wait(t, "+p:alice", "-p:alice", "+p:alice")
}

// TestAnotherIdentity: a key joined again within its grace by another
// identity is another viewer.
func TestAnotherIdentity(t *testing.T) {
	r, l := newRoster(t, time.Hour)
	r.Join("p", "k", "alice")
	r.Leave("p", "k", true)
	r.Join("p", "k", "anonymous")
	l.wait(t, "+p:alice", "-p:alice", "+p:anonymous")
}

// TestEndAndClose: a page that ended forgets its viewers without telling;
// a closed roster tells nothing more.
func TestEndAndClose(t *testing.T) {
	r, l := newRoster(t, 10*time.Millisecond)
	r.Join("p", "k", "alice")
	r.Leave("p", "k", true)
	r.End("p")
	time.Sleep(50 * time.Millisecond)
	l.wait(t, "+p:alice")
	r.Join("q", "k", "bob")
	r.Leave("q", "k", true)
	r.Close()
	time.Sleep(50 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	if fmt.Sprint(l.got) != "[+p:alice +q:bob]" && fmt.Sprint(l.got) != "[+p:alice]" {
		t.Errorf("changes %q after Close", l.got)
	}
}

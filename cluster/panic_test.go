package cluster_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
)

// panicCodec is the JSON codec, whose Marshal or Unmarshal panics while
// armed.
type panicCodec struct {
	cluster.JSON
	marshal, unmarshal atomic.Bool
}

func (c *panicCodec) Marshal(v any) ([]byte, error) {
	if c.marshal.Load() {
		panic("boom: codec Marshal")
	}
	return c.JSON.Marshal(v)
}

func (c *panicCodec) Unmarshal(b []byte, v any) error {
	if c.unmarshal.Load() {
		panic("boom: codec Unmarshal")
	}
	return c.JSON.Unmarshal(b, v)
}

// lockedLog is a log's output, for one goroutine at a time.
type lockedLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lockedLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// bounded runs fn, which must return within 5 seconds without panicking.
func bounded(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- errors.New(what + " panicked")
			}
		}()
		done <- fn()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return within 5 s: wedged", what)
		return nil
	}
}

// TestPanickingCodec: on real NATS, a codec that panics while the owner
// writes a change fails that Update with ErrPanicked and leaves the page
// as it was; one that panics while a follower decodes the owner's change
// (in a goroutine of the NATS subscription) is logged, and the follower
// catches up with the next change. Clients on both instances converge, and
// the instances close.
func TestPanickingCodec(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns := startNATS(t)
	codecs := map[string]*panicCodec{"a": new(panicCodec), "b": new(panicCodec)}
	quiet := livetemplate.WithLogger(slog.New(slog.DiscardHandler)) // the panics are on purpose
	var logB lockedLog
	a := newInstanceVia(t, ns, ns.url(), "a", []cluster.Option{cluster.WithCodec(codecs["a"])}, quiet)
	b := newInstanceVia(t, ns, ns.url(), "b", []cluster.Option{cluster.WithCodec(codecs["b"])},
		livetemplate.WithLogger(slog.New(slog.NewTextHandler(&logB, nil))))
	page, err := a.app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := a.join(t, ctx, page.GetToken()), b.join(t, ctx, page.GetToken())

	codecs["a"].marshal.Store(true)
	err = bounded(t, "the owner's Update", func() error {
		_, err := page.Update(counter{Count: 99})
		return err
	})
	codecs["a"].marshal.Store(false)
	if !errors.Is(err, livetemplate.ErrPanicked) {
		t.Fatalf("Update with a panicking codec: %v; want ErrPanicked", err)
	}
	if v := page.Version(); v != 1 {
		t.Fatalf("version %d after the failed Update; want 1", v)
	}

	codecs["b"].unmarshal.Store(true)
	if err := send(ctx, onA, "e1"); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(logB.String(), "Cluster.Decode panicked") {
		if ctx.Err() != nil {
			t.Fatalf("the follower did not log its codec's panic; its log:\n%s", logB.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	codecs["b"].unmarshal.Store(false)
	if err := send(ctx, onB, "e2"); err != nil {
		t.Fatalf("an event on the follower after its codec panicked: %v", err)
	}
	converge(t, ctx, counterHTML([]string{"e1", "e2"}), onA, onB)
	for _, in := range []*instance{b, a} {
		bounded(t, "Close of "+in.name, func() error { in.stop(); return nil })
	}
}

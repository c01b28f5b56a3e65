package livetemplate_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// collected reads the application's metrics back from reader.
type collected map[string]metricdata.Aggregation

func collect(t *testing.T, reader *sdkmetric.ManualReader) collected {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	c := make(collected)
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != livetemplate.MeterName {
			t.Fatalf("scope %q, want %q", sm.Scope.Name, livetemplate.MeterName)
		}
		for _, m := range sm.Metrics {
			c[m.Name] = m.Data
		}
	}
	return c
}

// sum returns the value of a counter's (or up-down counter's) point whose
// attributes hold kv (any point without kv).
func (c collected) sum(t *testing.T, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	s, ok := c[name].(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s: %T, want an int64 sum", name, c[name])
	}
	var total int64
	for _, p := range s.DataPoints {
		if matches(p.Attributes, kv) {
			total += p.Value
		}
	}
	return total
}

// count returns how many values a histogram recorded with kv.
func (c collected) count(t *testing.T, name string, kv ...attribute.KeyValue) uint64 {
	t.Helper()
	h, ok := c[name].(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s: %T, want a float64 histogram", name, c[name])
	}
	var n uint64
	for _, p := range h.DataPoints {
		if matches(p.Attributes, kv) {
			n += p.Count
		}
	}
	return n
}

func matches(set attribute.Set, kv []attribute.KeyValue) bool {
	for _, want := range kv {
		if got, ok := set.Value(want.Key); !ok || got != want.Value {
			return false
		}
	}
	return true
}

// TestMetrics: with a meter provider, the application records its
// connections and browsers, pages, joins, events by result code with their
// duration, diff bytes, fenced connections, limits hit and store latency, as a reader
// of the provider reads them.
func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	app, url, page := liveCounter(t, livetemplate.WithMeterProvider(mp), livetemplate.WithMaxConnectionPages(1))
	ctx := t.Context()
	watcher := join(t, dial(t, url), page.GetToken())
	pc := dial(t, url)
	p := join(t, pc, page.GetToken())
	if err := p.Event(ctx, "add", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Event(ctx, "fail", nil); err == nil {
		t.Fatal("the event fail succeeded")
	}
	if err := watcher.WaitVersion(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// A browser's newer connection fences its older one.
	old := dial(t, url, livetemplatetest.WithBrowser("browser-1", 1))
	dial(t, url, livetemplatetest.WithBrowser("browser-1", 2))
	<-old.Done()
	// A second page on a connection of one page at most hits a limit.
	if _, err := pc.Join(ctx, newPage(t, app, "counter", counter{}).GetToken()); err == nil {
		t.Fatal("a connection joined two pages, past WithMaxConnectionPages(1)")
	}

	// The server ends the fenced connection after the client sees it end.
	c := collect(t, reader)
	for c.sum(t, "livetemplate.connections") != 3 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		c = collect(t, reader)
	}
	code := attribute.Key("livetemplate.code")
	checks := []struct {
		name      string
		got, want int64
	}{
		{"livetemplate.connections", c.sum(t, "livetemplate.connections"), 3},
		{"livetemplate.browsers", c.sum(t, "livetemplate.browsers"), 1},
		{"livetemplate.fenced", c.sum(t, "livetemplate.fenced"), 1},
		{"livetemplate.limits", c.sum(t, "livetemplate.limits", attribute.String("livetemplate.limit", "too_many_pages")), 1},
		{"livetemplate.pages", c.sum(t, "livetemplate.pages"), 2},
		{"livetemplate.joins", c.sum(t, "livetemplate.joins"), 2},
		{"livetemplate.events ok", c.sum(t, "livetemplate.events", code.String("ok")), 1},
		{"livetemplate.events handler_error", c.sum(t, "livetemplate.events", code.String("handler_error")), 1},
		{"livetemplate.event.duration", int64(c.count(t, "livetemplate.event.duration")), 2},
		{"livetemplate.store.duration put", int64(c.count(t, "livetemplate.store.duration", attribute.String("livetemplate.op", "put"))), 3}, // two pages made, one changed
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %d, want %d", ch.name, ch.got, ch.want)
		}
	}
	if b := c.sum(t, "livetemplate.diff.bytes"); b <= 0 {
		t.Errorf("livetemplate.diff.bytes = %d: the event's diff went to two connections", b)
	}
}

// TestNoMeterProvider: without WithMeterProvider the application works and
// records into no provider (the default is a no-op).
func TestNoMeterProvider(t *testing.T) {
	_, url, page := liveCounter(t)
	if err := join(t, dial(t, url), page.GetToken()).Event(t.Context(), "add", nil); err != nil {
		t.Fatal(err)
	}
}

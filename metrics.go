package livetemplate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// MeterName is the name of the meter with which an application records its
// metrics (see [WithMeterProvider]).
const MeterName = "github.com/livetemplate/livetemplate"

// WithMeterProvider records the application's OpenTelemetry metrics with
// the meter [MeterName] of mp: connections, browsers and live pages, joins,
// events (count and errors by code, duration), diff bytes sent, catch-ups,
// fenced connections, limits hit, takeovers and hand-offs in a cluster,
// and the store's latency. docs/operations.md lists every instrument.
// Default: none, nothing is recorded.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meterProvider = mp }
}

// Attribute keys of the instruments.
const (
	attrCode  = attribute.Key("livetemplate.code")  // an event's result: "ok" or the protocol's error code
	attrLimit = attribute.Key("livetemplate.limit") // the limit hit: a protocol error code, or slow_client, too_many_messages
	attrOp    = attribute.Key("livetemplate.op")    // a store call: get, put, delete
	attrError = attribute.Key("error")              // whether a store call failed
)

// meters are an application's instruments. Each method records one
// occurrence; with no meter provider, the instruments are no-ops.
type meters struct {
	joins, events, diffBytes, catchUps, fenced, limits, takeovers, handoffs metric.Int64Counter
	eventDuration, storeDuration                                            metric.Float64Histogram
	observed                                                                metric.Registration
	eventOK                                                                 metric.MeasurementOption
}

// newMeters makes a's instruments, with the meter provider of its options.
func newMeters(a *Application) (*meters, error) {
	mp := a.cfg.meterProvider
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter(MeterName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc))
		errs = append(errs, err)
		return h
	}
	ms := &meters{
		joins:         counter("livetemplate.joins", "{join}", "Pages joined by connections"),
		events:        counter("livetemplate.events", "{event}", "Events of this instance's connections, by result code"),
		diffBytes:     counter("livetemplate.diff.bytes", "By", "Bytes of diffs queued to connections"),
		catchUps:      counter("livetemplate.catchups", "{catchup}", "Catch-ups sent in place of diffs to connections that fell behind"),
		fenced:        counter("livetemplate.fenced", "{connection}", "Connections closed because a newer connection of the same browser took over"),
		limits:        counter("livetemplate.limits", "{hit}", "Limits hit by clients, by limit"),
		takeovers:     counter("livetemplate.cluster.takeovers", "{page}", "Pages this instance took over from an owner without a lease"),
		handoffs:      counter("livetemplate.cluster.handoffs", "{page}", "Pages this instance gave up as it shut down"),
		eventDuration: seconds("livetemplate.event.duration", "Time from an event's arrival to its result"),
		storeDuration: seconds("livetemplate.store.duration", "Latency of the page store's calls, by operation"),
		eventOK:       metric.WithAttributeSet(attribute.NewSet(attrCode.String("ok"))),
	}
	if err := ms.observe(m, a); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return ms, nil
}

// observe registers the instruments read at each collection: open
// connections, browsers, live pages.
func (ms *meters) observe(m metric.Meter, a *Application) error {
	conns, err1 := m.Int64ObservableUpDownCounter("livetemplate.connections", metric.WithUnit("{connection}"), metric.WithDescription("Open WebSocket connections"))
	browsers, err2 := m.Int64ObservableUpDownCounter("livetemplate.browsers", metric.WithUnit("{browser}"), metric.WithDescription("Browsers with an open connection that names its browser (one shared socket per browser)"))
	pages, err3 := m.Int64ObservableUpDownCounter("livetemplate.pages", metric.WithUnit("{page}"), metric.WithDescription("Live pages held in memory"))
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	var err error
	ms.observed, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		n, b := a.conns.counts()
		o.ObserveInt64(conns, int64(n))
		o.ObserveInt64(browsers, int64(b))
		live, _ := a.pages.count()
		o.ObserveInt64(pages, int64(live))
		return nil
	}, conns, browsers, pages)
	return err
}

// stop ends the observations, when the application closes.
func (ms *meters) stop() {
	if ms.observed != nil {
		ms.observed.Unregister()
	}
}

func (ms *meters) joined() { ms.joins.Add(context.Background(), 1) }

// event records the result *res of an event that arrived at start.
func (ms *meters) event(start time.Time, res **protocol.Error) {
	ctx := context.Background()
	opt := ms.eventOK
	if *res != nil && !protocol.SendsElsewhere((*res).Code) {
		opt = metric.WithAttributeSet(attribute.NewSet(attrCode.String((*res).Code)))
		ms.limited((*res).Code)
	}
	ms.events.Add(ctx, 1, opt)
	ms.eventDuration.Record(ctx, time.Since(start).Seconds(), opt)
}

func (ms *meters) diffSent(n int) { ms.diffBytes.Add(context.Background(), int64(n)) }
func (ms *meters) caughtUp()      { ms.catchUps.Add(context.Background(), 1) }
func (ms *meters) takeover()      { ms.takeovers.Add(context.Background(), 1) }
func (ms *meters) handedOff()     { ms.handoffs.Add(context.Background(), 1) }

// refused records a message refused with code, if a limit refused it.
func (ms *meters) refused(code string) { ms.limited(code) }

func (ms *meters) limited(code string) {
	switch code {
	case protocol.CodeRateLimited, protocol.CodeLimitReached, protocol.CodeTooManyPages:
		ms.limits.Add(context.Background(), 1, metric.WithAttributes(attrLimit.String(code)))
	}
}

// closed records a connection closed with code.
func (ms *meters) closed(code websocket.StatusCode) {
	ctx := context.Background()
	switch code {
	case protocol.CloseReplaced:
		ms.fenced.Add(ctx, 1)
	case protocol.CloseSlowClient:
		ms.limits.Add(ctx, 1, metric.WithAttributes(attrLimit.String("slow_client")))
	case protocol.CloseTooManyMessages:
		ms.limits.Add(ctx, 1, metric.WithAttributes(attrLimit.String("too_many_messages")))
	}
}

// stored records a store call op that started at start and failed if *err
// is not nil.
func (ms *meters) stored(op string, start time.Time, err *error) {
	ms.storeDuration.Record(context.Background(), time.Since(start).Seconds(),
		metric.WithAttributes(attrOp.String(op), attrError.Bool(*err != nil)))
}

// counts returns how many connections are open, and how many of them name
// their browser.
func (s *connSet) counts() (conns, browsers int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all), len(s.browsers)
}

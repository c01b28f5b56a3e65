package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// metrics is the demo's OpenTelemetry meter provider, which the
// application records its metrics with (livetemplate.WithMeterProvider),
// and the Prometheus exporter that reads it at every scrape of /metrics.
type metrics struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler // serves the metrics in Prometheus's text format
}

// newMetrics makes the provider and its exporter, on a registry of its own
// (not Prometheus's global one, which other code of the process may fill).
func newMetrics() (*metrics, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("metrics: prometheus exporter: %w", err)
	}
	return &metrics{
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)),
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}, nil
}

// withMetrics serves the metrics at GET /metrics and the site elsewhere.
func (m *metrics) withMetrics(site http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler)
	mux.Handle("/", site)
	return mux
}

// close stops the provider once the application has closed.
func (m *metrics) close() error {
	return m.provider.Shutdown(context.Background())
}

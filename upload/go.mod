module github.com/livetemplate/livetemplate/upload

go 1.26.0

require (
	github.com/coder/websocket v1.8.14
	github.com/livetemplate/livetemplate v0.0.0
	github.com/tus/tusd/v2 v2.9.1
	go.uber.org/goleak v1.3.0
	golang.org/x/exp v0.0.0-20250106191152-7588d65b2ba8
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
)

replace github.com/livetemplate/livetemplate => ../

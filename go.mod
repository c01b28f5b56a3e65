module github.com/livetemplate/livetemplate

go 1.26.0

require go.uber.org/goleak v1.3.0

require (
	github.com/andybalholm/cascadia v1.3.5
	github.com/coder/websocket v1.8.14
	golang.org/x/net v0.63.0
)

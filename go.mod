module github.com/livetemplate/livetemplate

go 1.26

require go.uber.org/goleak v1.3.0

require github.com/coder/websocket v1.8.14

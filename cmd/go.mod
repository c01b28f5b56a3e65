module github.com/livetemplate/livetemplate/cmd

go 1.26

require github.com/livetemplate/livetemplate v0.0.0

require github.com/coder/websocket v1.8.14 // indirect

replace github.com/livetemplate/livetemplate => ../

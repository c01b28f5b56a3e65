module github.com/livetemplate/livetemplate/cmd

go 1.26

require (
	github.com/livetemplate/livetemplate v0.0.0
	github.com/livetemplate/livetemplate/client v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.2 // indirect
	github.com/chromedp/chromedp v0.23.0 // indirect
	github.com/coder/websocket v1.8.14 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
)

replace (
	github.com/livetemplate/livetemplate => ../
	github.com/livetemplate/livetemplate/client => ../client
)

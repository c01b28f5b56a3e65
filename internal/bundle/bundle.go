// Package bundle holds the browser client as built from client/src by
// `go generate` (client/cmd/bundle): generated files, committed so that the
// library's users need neither Node.js nor esbuild.
package bundle

import _ "embed"

// Script is livetemplate.js, a classic script: included in a page, it puts
// the client's API on window and connects the page by itself.
//
//go:embed livetemplate.js
var Script []byte

// Module is livetemplate.mjs, the same client as an ES module.
//
//go:embed livetemplate.mjs
var Module []byte

// Dev is livetemplate-dev.js, the classic script that shows development
// mode's errors over the page: the endpoint serves it in development mode
// only, and the client loads it on the first dev message.
//
//go:embed livetemplate-dev.js
var Dev []byte

// Nav is livetemplate-nav.mjs, the client's chunk (live navigation, client-side
// commands, the indicator, development mode's hand-off) that it loads on
// demand from its own URL with the query "nav".
//
//go:embed livetemplate-nav.mjs
var Nav []byte

// Upload is livetemplate-upload.mjs, the chunk of uploads (checks, the tus
// client, progress) that the client loads on demand from its own URL with the
// query "upload" when its page has an upload input.
//
//go:embed livetemplate-upload.mjs
var Upload []byte

// Package examples holds LiveTemplate's examples, one package each, which
// the demo (cmd/demo) serves side by side:
//
//   - counter: a page per connection;
//   - dashboard: one page that a ticker changes and every browser shows, the
//     page of its name (Application.SharedPage);
//   - todo: keyed rows, and a form with server-side validation that is each
//     viewer's own page beside the shared list;
//   - chat: one room, the page of its name, shared by every tab, which
//     share one socket; it shows who is in the room, by the name of
//     signin;
//   - notify: a page per connection, made for the member it belongs to,
//     fed by the chat's messages through a topic;
//   - signin: a name in a cookie, the identity of the examples'
//     connections (WithConnect).
//
// Each package registers its templates and event handlers on an
// *livetemplate.Application and its routes on an *http.ServeMux. Their pages
// expect what the demo serves beside them: the browser client at
// /livetemplate.js, the application's live endpoint (app.Handler()) at /live,
// the style sheet at /demo.css and the icon at /favicon.svg. Their scripts
// are files of their own, so that a Content-Security-Policy without inline
// scripts (the demo's) allows them.
package examples

import "embed"

// Source is the examples' source code, tests and templates, by package
// directory ("counter/counter.go"), for the demo to show.
//
//go:embed counter dashboard todo chat notify signin
var Source embed.FS

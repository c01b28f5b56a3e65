// Package livetemplate serves live, server-rendered pages made from ordinary
// html/template templates.
//
// Create an [Application] with [NewApplication], register templates with
// [Application.RegisterTemplate] (or [Application.RegisterTemplateFromFile],
// [Application.RegisterTemplateFS]), then create a [Page] from a template and
// data with [Application.NewPage]. A page has a token ([Page.GetToken]) by
// which any connection, tab or device finds it again with
// [Application.GetPage], for the page's whole life; [Application.SharedPage]
// returns the one page of a name, on every instance and across restarts,
// and makes it the first time. [Page.Render] returns its
// HTML, exactly what html/template's Execute writes; [Page.Update] changes its
// data and returns only what changed, as a minimal diff with a version.
//
// Live pages: [Application.Handler] is the WebSocket endpoint through which
// browsers join pages by token; [Application.HandleEvent] registers what an
// event from a browser does to a page, and every change of a page
// ([Page.Update], [Page.Modify]) reaches every connection joined to it as a
// diff. [Application.PageHandler] gives each connection a page of its own.
// Package livetemplatetest is a client of the endpoint for tests.
//
// Several instances of an application serve the same pages with
// [WithCluster]: the module github.com/livetemplate/livetemplate/cluster
// gives one on NATS (docs/operations.md).
//
// Pages end when they are closed, when they go unused for longer than their
// time to live, or when the page limit evicts the least recently used one;
// errors wrapping [ErrPageClosed], [ErrPageExpired] and [ErrPageEvicted] say
// which. docs/guide.md walks through both ways of wiring a page to a
// WebSocket; the examples below are runnable.
package livetemplate

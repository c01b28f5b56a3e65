package livetemplate

import (
	"context"
	"fmt"
	"net/url"
)

// ParamsEvent is the name of the event with which the browser client tells
// a page the query of the tab's URL (see [Application.HandleParams]): its
// data is the query as a JSON string, without the "?" ("filter=done"). It
// is reserved: [Application.HandleEvent] refuses it.
const ParamsEvent = "lvt:params"

// A ParamsHandler handles the query of a browser tab's URL on a page: it
// sets the page's data from params (a filter, a tab, a search), as an
// [EventHandler] does from an event, and may return [PatchReplace] to
// normalize the tab's URL.
type ParamsHandler func(ctx context.Context, p *Page, params url.Values) error

// HandleParams registers h to be told the query of the tab's URL on the
// pages of the template registered as templateName, whose script tag has
// data-params (the client's params option): the client tells it when it
// first joins the page (after a load or a live navigation), when a link
// marked lvt-patch or a handler's [Patch] changes the URL, and on back and
// forward between the page's URLs. Each of these is an event named
// [ParamsEvent]: h runs in the page's turn, once per event like any
// handler, and its changes reach every viewer of the page as a diff. The
// URL is each tab's own, but the page's data is the page's: on a page that
// several tabs show, the latest params apply for all of them.
//
// It fails as [Application.HandleEvent] does: with [ErrUnknownTemplate] if
// there is no such template, and if the template has a params handler.
func (a *Application) HandleParams(templateName string, h ParamsHandler) error {
	if h == nil {
		return fmt.Errorf("livetemplate: handle params: nil handler")
	}
	return a.handleEvent(templateName, ParamsEvent, func(ctx context.Context, p *Page, e Event) error {
		var q string
		if err := e.Decode(&q); err != nil {
			return err
		}
		params, err := url.ParseQuery(q)
		if err != nil {
			return fmt.Errorf("livetemplate: params %q: %w", q, err)
		}
		return h(ctx, p, params)
	})
}

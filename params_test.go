package livetemplate_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/livetemplate/livetemplate"
)

// TestHandleParams: the params event runs the template's params handler
// with the query it carries, once per event id like any event (numbered,
// in its tab's order); its change reaches the page's viewers as a diff, and
// a query that does not parse is the handler's error.
func TestHandleParams(t *testing.T) {
	app, u, page := liveCounter(t)
	var runs atomic.Int32
	err := app.HandleParams("counter", func(ctx context.Context, p *livetemplate.Page, params url.Values) error {
		runs.Add(1)
		return add(ctx, p, len(params["f"]), strings.Join(params["f"], "+"))
	})
	if err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, u, nil)
	c.joined(page.GetToken())
	for range 2 { // the event, then its resend
		c.sendSeq("tab", 1, livetemplate.ParamsEvent, `"f=a%20b&f=c"`)
		if ack, _ := c.acked("tab-1"); ack["ok"] != true {
			t.Fatalf("ack %v", ack)
		}
	}
	c.sendSeq("tab", 2, livetemplate.ParamsEvent, `"f=%zz"`)
	if ack, diff := c.acked("tab-2"); ack["ok"] != false || ack["code"] != "handler_error" || diff {
		t.Errorf("a bad query: ack %v, diff %v", ack, diff)
	}
	if d := page.Data().(counter); runs.Load() != 1 || d.Count != 2 || d.Log[0] != "a b+c" {
		t.Errorf("%d runs, data %+v; want 1 run that added 2, logged %q", runs.Load(), d, "a b+c")
	}
}

// TestHandleParamsRegistration: the params event is reserved, a template
// has one params handler, and an unknown template is ErrUnknownTemplate.
func TestHandleParamsRegistration(t *testing.T) {
	app := counterApp(t)
	h := func(context.Context, *livetemplate.Page, url.Values) error { return nil }
	if err := app.HandleEvent("counter", livetemplate.ParamsEvent, func(context.Context, *livetemplate.Page, livetemplate.Event) error { return nil }); err == nil {
		t.Error("HandleEvent took the params event")
	}
	if err := app.HandleParams("nope", h); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
	if err := app.HandleParams("counter", nil); err == nil {
		t.Error("a nil handler was taken")
	}
	if err := app.HandleParams("counter", h); err != nil {
		t.Fatal(err)
	}
	if err := app.HandleParams("counter", h); err == nil {
		t.Error("a second params handler was taken")
	}
}

package livetemplate_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/internal/protocol"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// ownerOnly is a join check: a page of the template "who" whose data is a
// name may be joined by that user only; other templates by anyone.
func ownerOnly(ctx context.Context, p *livetemplate.Page) error {
	if p.Template() != "who" {
		return nil
	}
	switch owner := p.Data().(string); {
	case owner == "panic":
		panic("a broken check")
	case owner == "slow":
		<-ctx.Done()
		return ctx.Err()
	case owner != nameOf(ctx):
		return fmt.Errorf("this is %s's page: %w", owner, livetemplate.ErrNotAllowed)
	}
	return nil
}

// TestJoinCheck: the join check sees the identity and the page; a refused
// join gets not_allowed with the check's text, a join on connect too, and
// the owner joins.
func TestJoinCheck(t *testing.T) {
	app, url := whoApp(t, livetemplate.WithJoinCheck(ownerOnly))
	page := newPage(t, app, "who", "alice")
	ctx := testContext(t)
	for _, name := range []string{"bob", ""} {
		_, err := dial(t, url+"/live", as(name)).Join(ctx, page.GetToken())
		var e *livetemplatetest.Error
		if !errors.As(err, &e) || e.Code != protocol.CodeNotAllowed || e.Message != "this is alice's page: not allowed" {
			t.Errorf("%q joins alice's page: %v; want %s with the check's text", name, err, protocol.CodeNotAllowed)
		}
	}
	_, err := dial(t, url+"/live", as("bob"), livetemplatetest.WithToken(page.GetToken())).Default(ctx)
	if e := (*livetemplatetest.Error)(nil); !errors.As(err, &e) || e.Code != protocol.CodeNotAllowed {
		t.Errorf("bob joins alice's page on connect: %v; want %s", err, protocol.CodeNotAllowed)
	}
	p := join(t, dial(t, url+"/live", as("alice")), page.GetToken())
	waitHTML(t, p, whoSrc, "alice")
	// A PageHandler's page is its connection's own.
	if _, err := dial(t, url+"/who", as("carol")).Default(ctx); err != nil {
		t.Errorf("a PageHandler's own page: %v", err)
	}
}

// TestJoinCheckFails: a check that panics refuses without its text; one
// that runs past WithEventTimeout gets unavailable, which the client
// retries.
func TestJoinCheckFails(t *testing.T) {
	var checks atomic.Int32
	counting := func(ctx context.Context, p *livetemplate.Page) error {
		checks.Add(1)
		return ownerOnly(ctx, p)
	}
	app, url := whoApp(t, livetemplate.WithJoinCheck(counting), livetemplate.WithEventTimeout(100*time.Millisecond))
	ctx := testContext(t)
	for owner, code := range map[string]string{"panic": protocol.CodeNotAllowed, "slow": protocol.CodeUnavailable} {
		page := newPage(t, app, "who", owner)
		_, err := dial(t, url+"/live", as(owner)).Join(ctx, page.GetToken())
		var e *livetemplatetest.Error
		if !errors.As(err, &e) || e.Code != code {
			t.Errorf("a check that goes %s: %v; want %s", owner, err, code)
		}
	}
	if n := checks.Load(); n != 2 {
		t.Errorf("%d checks ran, want 2", n)
	}
}

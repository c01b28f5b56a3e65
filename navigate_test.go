package livetemplate_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/livetemplate/livetemplate"
)

// TestRedirect: a handler that returns Redirect or Navigate sends its
// event's sender elsewhere, in an ack that says the event succeeded; the
// handler's change is kept, and a resend of the event gets the same ack
// without running the handler again.
func TestRedirect(t *testing.T) {
	app, url, page := liveCounter(t)
	var runs atomic.Int32
	handle(t, app, "counter", "go", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		runs.Add(1)
		if err := add(ctx, p, 1, e.ID); err != nil {
			return err
		}
		var d struct{ To string }
		if err := e.Decode(&d); err != nil {
			return err
		}
		if d.To == "live" {
			return livetemplate.Navigate("/orders?id=7")
		}
		return livetemplate.Redirect("https://example.com/done")
	})
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	for _, ev := range []struct{ id, to, key, want string }{
		{"t-1", "live", "navigate", "/orders?id=7"},
		{"t-2", "doc", "redirect", "https://example.com/done"},
	} {
		for range 2 { // the event, then its resend
			c.send(`{"type":"event","id":"` + ev.id + `","name":"go","data":{"to":"` + ev.to + `"}}`)
			m := c.next()
			for m["type"] == "diff" {
				m = c.next()
			}
			if m["type"] != "ack" || m["id"] != ev.id || m["ok"] != true || m[ev.key] != ev.want || len(m) != 4 {
				t.Fatalf("ack %v, want ok with %s %q", m, ev.key, ev.want)
			}
		}
	}
	if n := runs.Load(); n != 2 || page.Data().(counter).Count != 2 {
		t.Errorf("%d runs, count %d; want 2 and 2", n, page.Data().(counter).Count)
	}
}

// TestRedirectURL: only paths and http(s) URLs are redirects; another URL
// is the handler's error.
func TestRedirectURL(t *testing.T) {
	for _, u := range []string{"/a", "b?c=1", "https://x.example/", "http://x.example", "#top"} {
		var r *livetemplate.RedirectError
		if err := livetemplate.Redirect(u); !errors.As(err, &r) || r.URL != u || r.Live {
			t.Errorf("Redirect(%q) = %v", u, err)
		}
		if err := livetemplate.Navigate(u); !errors.As(err, &r) || !r.Live {
			t.Errorf("Navigate(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"javascript:alert(1)", "data:text/html,x", "", "//evil.example/", "http://[::1"} {
		if err := livetemplate.Redirect(u); !errors.Is(err, livetemplate.ErrBadRedirect) {
			t.Errorf("Redirect(%q) = %v, want ErrBadRedirect", u, err)
		}
	}
}

// TestIsNavigation tells a live navigation's request from a load's.
func TestIsNavigation(t *testing.T) {
	r := httptest.NewRequest("GET", "/orders", nil)
	if livetemplate.IsNavigation(r) {
		t.Error("a load is a navigation")
	}
	r.Header.Set(livetemplate.NavigationHeader, "1")
	if !livetemplate.IsNavigation(r) {
		t.Error("a navigation is not")
	}
}

// TestPatch: a handler that returns Patch or PatchReplace changes its
// sender's URL, in an ack that says the event succeeded (patch or replace),
// and a resend gets the same ack without the handler running again.
func TestPatch(t *testing.T) {
	app, url, page := liveCounter(t)
	var runs atomic.Int32
	handle(t, app, "counter", "filter", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		runs.Add(1)
		if err := add(ctx, p, 1, e.ID); err != nil {
			return err
		}
		if e.ID == "t-2" {
			return livetemplate.PatchReplace("?filter=all")
		}
		return livetemplate.Patch("/counter?filter=done")
	})
	c := rawDial(t, url, nil)
	c.joined(page.GetToken())
	for _, ev := range []struct{ id, key, want string }{
		{"t-1", "patch", "/counter?filter=done"},
		{"t-2", "replace", "?filter=all"},
	} {
		for range 2 { // the event, then its resend
			c.send(`{"type":"event","id":"` + ev.id + `","name":"filter"}`)
			m := c.next()
			for m["type"] == "diff" {
				m = c.next()
			}
			if m["type"] != "ack" || m["id"] != ev.id || m["ok"] != true || m[ev.key] != ev.want || len(m) != 4 {
				t.Fatalf("ack %v, want ok with %s %q", m, ev.key, ev.want)
			}
		}
	}
	if n := runs.Load(); n != 2 || page.Data().(counter).Count != 2 {
		t.Errorf("%d runs, count %d; want 2 and 2", n, page.Data().(counter).Count)
	}
}

// TestPatchURL: a patch stays on the page's origin: paths, queries and
// fragments are patches; a URL with a scheme or a host, or one that a
// browser reads as such, is the handler's error.
func TestPatchURL(t *testing.T) {
	for _, u := range []string{"/a", "?filter=done", "b?c=1", "#top", "/todo/x?filter=active#list"} {
		var r *livetemplate.RedirectError
		if err := livetemplate.Patch(u); !errors.As(err, &r) || r.URL != u || !r.Patch || r.Replace || r.Live {
			t.Errorf("Patch(%q) = %v", u, err)
		}
		if err := livetemplate.PatchReplace(u); !errors.As(err, &r) || !r.Patch || !r.Replace {
			t.Errorf("PatchReplace(%q) = %#v", u, err)
		}
	}
	for _, u := range []string{"https://x.example/", "http://x.example", "javascript:alert(1)", "mailto:a@b", "", "//evil.example/", `/\evil.example/`, `\\evil.example`, "http://[::1"} {
		if err := livetemplate.Patch(u); !errors.Is(err, livetemplate.ErrBadRedirect) {
			t.Errorf("Patch(%q) = %v, want ErrBadRedirect", u, err)
		}
		if err := livetemplate.PatchReplace(u); !errors.Is(err, livetemplate.ErrBadRedirect) {
			t.Errorf("PatchReplace(%q) = %v, want ErrBadRedirect", u, err)
		}
	}
}

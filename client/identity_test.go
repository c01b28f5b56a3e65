package client_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/client/tabsbench"
)

// The browser tests of identity: a cookie session decides who the
// browser's one connection belongs to, private pages refuse everyone but
// their owner, and a sign-out in one tab reaches the connection that all
// the tabs share.

// sessionUser is the identity of the site's connections.
type sessionUser struct{ Session, Name string }

// authSite is a site with server-side sessions: /signin?name=N signs the
// browser in as N (a cookie "session"), POST /signout signs it out and has
// the application reconnect the session's connections, and /mine/{owner}
// shows owner's private page, which only owner may join.
type authSite struct {
	*site
	conns    tabsbench.ConnCount
	sessions map[string]string             // session id -> name, under site.mu
	owners   map[string]string             // page id -> owner, under site.mu
	byOwner  map[string]*livetemplate.Page // under site.mu
}

func newAuthSite(t *testing.T) *authSite {
	t.Helper()
	as := &authSite{sessions: map[string]string{}, owners: map[string]string{}, byOwner: map[string]*livetemplate.Page{}}
	as.site = newSite(t, siteConfig{
		opts: []livetemplate.Option{livetemplate.WithConnect(as.connect), livetemplate.WithJoinCheck(as.mayJoin)},
		routes: func(s *site) map[string]http.Handler {
			return map[string]http.Handler{
				"/live":             as.conns.Wrap(s.tr.wrap(s.app.Handler())),
				"GET /tabs.js":      jsHandler(string(tabsbench.Script)),
				"GET /signin":       http.HandlerFunc(as.signIn),
				"POST /signout":     http.HandlerFunc(as.signOut),
				"GET /mine/{owner}": http.HandlerFunc(as.serveMine),
			}
		},
	})
	return as
}

func (as *authSite) connect(r *http.Request) (sessionUser, error) {
	c, err := r.Cookie("session")
	if err != nil {
		return sessionUser{}, nil
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	if name, ok := as.sessions[c.Value]; ok {
		return sessionUser{Session: c.Value, Name: name}, nil
	}
	return sessionUser{}, nil
}

func (as *authSite) mayJoin(ctx context.Context, p *livetemplate.Page) error {
	u, _ := livetemplate.Identity[sessionUser](ctx)
	as.mu.Lock()
	owner := as.owners[p.ID()]
	as.mu.Unlock()
	if owner != "" && owner != u.Name {
		return fmt.Errorf("this page is %s's: %w", owner, livetemplate.ErrNotAllowed)
	}
	return nil
}

func (as *authSite) signIn(w http.ResponseWriter, r *http.Request) {
	id := rand.Text()
	as.mu.Lock()
	as.sessions[id] = r.URL.Query().Get("name")
	as.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/", HttpOnly: true})
	fmt.Fprint(w, "signed in")
}

// signOut ends the session first, then reconnects its connections, whose
// next handshake then finds no session.
func (as *authSite) signOut(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("session")
	if err != nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	as.mu.Lock()
	delete(as.sessions, c.Value)
	as.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Path: "/", MaxAge: -1})
	as.app.Reconnect(func(ctx context.Context, _ string) bool {
		u, _ := livetemplate.Identity[sessionUser](ctx)
		return u.Session == c.Value
	})
	w.WriteHeader(http.StatusNoContent)
}

func (as *authSite) serveMine(w http.ResponseWriter, r *http.Request) {
	owner := r.PathValue("owner")
	as.mu.Lock()
	p := as.byOwner[owner]
	if p == nil {
		var err error
		if p, err = as.app.NewPage("t", counter{}); err != nil {
			as.mu.Unlock()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		as.byOwner[owner], as.owners[p.ID()] = p, owner
	}
	as.mu.Unlock()
	tabsbench.WritePage(w, p, "/live", false)
}

// open opens a tab of b on path and waits until its client has settled:
// live, or stopped by an error.
func (as *authSite) open(t *testing.T, b *browsertest.Browser, path string) *browsertest.Tab {
	t.Helper()
	tab := b.Tab(t)
	tab.Navigate(as.srv.URL + path)
	tab.WaitFor(`window.errs && (errs.length > 0 || (conns.length > 0 && liveTemplate.state === "open"))`, 20*time.Second)
	return tab
}

// signInAs signs browser b in as name, in a tab of its own.
func (as *authSite) signInAs(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	tab := b.Tab(t)
	tab.Navigate(as.srv.URL + "/signin?name=" + name)
	tab.WaitFor(`document.body.textContent === "signed in"`, 10*time.Second)
	tab.Close()
}

func TestIdentity(t *testing.T) {
	b := browsertest.Start(t)

	t.Run("SignOutInOneTab", func(t *testing.T) {
		// Two tabs of alice's share one connection; she signs out in one:
		// the connection reconnects without her session, and both tabs'
		// private page is refused, reported once, not retried.
		as := newAuthSite(t)
		as.signInAs(t, b, "alice")
		tabs := []*browsertest.Tab{as.open(t, b, "/mine/alice"), as.open(t, b, "/mine/alice")}
		for _, tab := range tabs {
			if got := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("add", {n: 1}).then(() => "ok", (e) => e.code)`); got != "ok" {
				t.Fatalf("alice's event on her page: %s", got)
			}
		}
		if n := as.conns.Opened(); n != 1 {
			t.Fatalf("%d connections opened by two tabs, want 1", n)
		}
		if got := browsertest.MustEval[float64](tabs[0], `fetch("/signout", {method: "POST"}).then((r) => r.status)`); got != http.StatusNoContent {
			t.Fatalf("sign-out: HTTP %v", got)
		}
		for _, tab := range tabs {
			tab.WaitFor(`errs.includes("not_allowed")`, 10*time.Second)
		}
		time.Sleep(2 * time.Second) // a client that joined again would have by now
		for i, tab := range tabs {
			if got := browsertest.MustEval[string](tab, `liveTemplate.pushEvent("add", {n: 1}).then(() => "ok", (e) => e.code)`); got != "not_allowed" {
				t.Errorf("tab %d: an event after the sign-out: %s, want not_allowed", i, got)
			}
			if got := browsertest.MustEval[int](tab, `errs.length`); got != 1 {
				t.Errorf("tab %d reported %d errors, want the one refusal", i, got)
			}
		}
		if p := as.byOwner["alice"]; p.Data().(counter).Count != 2 {
			t.Errorf("alice's page counts %d, want her 2 events", p.Data().(counter).Count)
		}
	})

	t.Run("Stranger", func(t *testing.T) {
		// Bob opens alice's page: refused, reported, no retry; his own works.
		as := newAuthSite(t)
		as.signInAs(t, b, "bob")
		tab := as.open(t, b, "/mine/alice")
		time.Sleep(time.Second)
		if got := browsertest.MustEval[string](tab, `errs.join(",") + " " + liveTemplate.state`); got != "not_allowed closed" {
			t.Errorf("bob on alice's page: %q, want not_allowed and closed", got)
		}
		mine := as.open(t, b, "/mine/bob")
		if got := browsertest.MustEval[string](mine, `liveTemplate.pushEvent("add", {n: 1}).then(() => "ok", (e) => e.code)`); got != "ok" {
			t.Errorf("bob's event on his page: %s", got)
		}
	})
}

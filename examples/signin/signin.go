// Package signin is the examples' minimal sign-in: a name, kept in a
// cookie, that WithConnect turns into the identity of the browser's
// connection. It shows where an application's identity comes from; a real
// application signs the cookie (or keeps a session on the server) and
// checks a password.
package signin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/livetemplate/livetemplate"
)

// Cookie is the name of the cookie that holds the signed-in name,
// query-escaped.
const Cookie = "lt_demo_name"

// MaxName is the longest name, in characters.
const MaxName = 24

// Member is who a connection belongs to: a name, or "" for a guest.
type Member struct{ Name string }

// Identify is the examples' WithConnect function: the member that the
// request's cookie names, or a guest.
func Identify(r *http.Request) (Member, error) {
	c, err := r.Cookie(Cookie)
	if err != nil {
		return Member{}, nil
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil {
		return Member{}, nil // not ours: a guest
	}
	return Member{Name: clean(name)}, nil
}

// Of returns the member of an event handler's (or a join check's) context.
func Of(ctx context.Context) Member {
	m, _ := livetemplate.Identity[Member](ctx)
	return m
}

// Mount registers POST /signin (a form's name) and POST /signout on mux,
// and POST /signin/reconnect (a form's browser: the browser id of the
// client, LiveTemplateClient.leader.browser), which reconnects that
// browser's connections. A page's script posts the first two with fetch,
// which stores the cookie, then the third: the browser's shared connection
// connects again with the cookie of now, and its tabs' pages go on as the
// new member.
func Mount(app *livetemplate.Application, mux *http.ServeMux) {
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: Cookie, Value: url.QueryEscape(clean(r.FormValue("name"))), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /signout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: Cookie, Path: "/", MaxAge: -1})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /signin/reconnect", func(w http.ResponseWriter, r *http.Request) {
		if browser := r.FormValue("browser"); browser != "" {
			app.Reconnect(func(_ context.Context, b string) bool { return b == browser })
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// clean trims a name to MaxName characters of valid UTF-8.
func clean(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	for utf8.RuneCountInString(s) > MaxName {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

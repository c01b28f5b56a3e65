package livetemplate

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// NavigationHeader is the request header with which the browser client
// fetches the next page of a live navigation (its value is "1"): see
// [IsNavigation].
const NavigationHeader = "LT-Navigate"

// IsNavigation reports whether r fetches a page for a live navigation (a
// link marked lvt-nav, or [Navigate]): the client takes the page's live
// root and title from the response, which must still be the whole
// document. A handler may leave out what only a first load needs.
func IsNavigation(r *http.Request) bool {
	return r.Header.Get(NavigationHeader) == "1"
}

// ErrBadRedirect is the error of [Redirect] and [Navigate] for a URL that is
// neither a path nor an http or https URL (a javascript: URL, say), which a
// browser must not be sent to, and of [Patch] and [PatchReplace] for a URL
// that is not on the page's origin (one with a scheme or a host).
var ErrBadRedirect = errors.New("livetemplate: a redirect goes to a path or an http(s) URL")

// RedirectError is the error that [Redirect], [Navigate], [Patch] and
// [PatchReplace] return: an event handler returns it to send the event's
// sender to URL. It is not a failure: the sender's ack says the event
// succeeded.
type RedirectError struct {
	URL     string // a path, relative or absolute, or (not for a patch) an http or https URL
	Live    bool   // navigate live (Navigate), rather than load the document (Redirect)
	Patch   bool   // only change the sender's URL, on the same page (Patch, PatchReplace)
	Replace bool   // for a patch: replace the sender's history entry rather than push one
}

func (e *RedirectError) Error() string {
	switch {
	case e.Patch:
		return "livetemplate: patch the URL to " + e.URL
	case e.Live:
		return "livetemplate: navigate to " + e.URL
	}
	return "livetemplate: redirect to " + e.URL
}

// Redirect returns the error with which an event handler sends the browser
// tab that sent the event to url, which it loads as a new document; the
// handler's changes to the page stand. Only the sender goes: the page's
// other viewers stay. A resend of the event (after a lost connection) gets
// the same redirect, without the handler running again. url is a path or an
// http or https URL; another one gives an error wrapping [ErrBadRedirect],
// which the handler's ack reports as handler_error.
//
//	return livetemplate.Redirect("/orders/" + id)
func Redirect(url string) error {
	return redirect(url, false)
}

// Navigate is [Redirect] with a live navigation: the sender's client
// fetches the page at url and, when it is a live page of the same
// endpoint, shows it on the connection it has (see docs/client.md); it
// loads the document otherwise.
func Navigate(url string) error {
	return redirect(url, true)
}

// Patch returns the error with which an event handler changes the URL of
// the browser tab that sent the event to url, without leaving the page:
// the tab pushes a history entry for url, and when the page has a params
// handler ([Application.HandleParams]), tells it url's query, as a new
// event. Use it to keep a page's state (a filter, a tab, a search) in its
// address, so that the address can be shared, reloaded and walked with back
// and forward. Only the sender's URL changes: the page's other viewers keep
// theirs. url stays on the page's origin: a path, a query ("?filter=done")
// or a fragment; one with a scheme or a host gives an error wrapping
// [ErrBadRedirect].
//
//	return livetemplate.Patch("?filter=" + url.QueryEscape(f))
func Patch(url string) error {
	return patch(url, false)
}

// PatchReplace is [Patch] replacing the tab's history entry rather than
// pushing one: back then skips the URL it replaced (a normalized query, a
// search typed letter by letter).
func PatchReplace(url string) error {
	return patch(url, true)
}

func patch(to string, replace bool) error {
	u, err := url.Parse(to)
	if err != nil || to == "" || u.Scheme != "" || u.Host != "" || strings.HasPrefix(to, "//") || strings.Contains(to, `\`) {
		// A browser reads a backslash as a slash: "/\host" is another origin.
		return fmt.Errorf("livetemplate: patch the URL to %q: %w", to, ErrBadRedirect)
	}
	return &RedirectError{URL: to, Patch: true, Replace: replace}
}

func redirect(to string, live bool) error {
	u, err := url.Parse(to)
	if err != nil || to == "" || strings.HasPrefix(to, "//") || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("livetemplate: redirect to %q: %w", to, ErrBadRedirect)
	}
	return &RedirectError{URL: to, Live: live}
}

// redirectResult is the result of an event whose handler returned a
// RedirectError, or nil for another error.
func redirectResult(err error) *protocol.Error {
	var r *RedirectError
	if !errors.As(err, &r) {
		return nil
	}
	switch {
	case r.Patch && r.Replace:
		return &protocol.Error{Code: protocol.CodeReplace, Message: r.URL}
	case r.Patch:
		return &protocol.Error{Code: protocol.CodePatch, Message: r.URL}
	case r.Live:
		return &protocol.Error{Code: protocol.CodeNavigate, Message: r.URL}
	}
	return &protocol.Error{Code: protocol.CodeRedirect, Message: r.URL}
}

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
// browser must not be sent to.
var ErrBadRedirect = errors.New("livetemplate: a redirect goes to a path or an http(s) URL")

// RedirectError is the error that [Redirect] and [Navigate] return: an event
// handler returns it to send the event's sender to URL. It is not a failure:
// the sender's ack says the event succeeded.
type RedirectError struct {
	URL  string // a path, relative or absolute, or an http or https URL
	Live bool   // navigate live (Navigate), rather than load the document (Redirect)
}

func (e *RedirectError) Error() string {
	if e.Live {
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
	if r.Live {
		return &protocol.Error{Code: protocol.CodeNavigate, Message: r.URL}
	}
	return &protocol.Error{Code: protocol.CodeRedirect, Message: r.URL}
}

package livetemplate

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/livetemplate/livetemplate/internal/token"
)

// MaxSharedNameLen is the longest name of a shared page, in bytes.
const MaxSharedNameLen = 256

// SharedPage returns the page called name, and creates it if there is none:
// one page per name in the application, in every application that shares
// its store ([WithStore]: after a restart, say), and across the instances of
// a cluster ([WithCluster]). It suits the page that everyone who opens an
// address shares, such as a dashboard or a chat room, where
// [Application.NewPage] would make a page per call.
//
// When neither this application nor its store holds a page of the name,
// SharedPage calls init and creates the page from the template registered as
// templateName, with init's result as its data. The record is created with
// the store's create-if-absent ([Store] Put with Revision 0), which decides
// between instances that create the page at the same moment: one record is
// written, and every instance returns the page of that record. So in one
// application init runs once at a time per name (concurrent calls wait for
// it), but several instances may each run it at that moment, and one result
// is kept: init must only compute the data. A panic in init is an error
// wrapping [ErrPanicked].
//
// The page's id derives from the name alone (its SHA-256), so that it is the
// same on every instance and after a rotation of the signing keys; the
// page's token is that id signed by the application's key, as every token
// is: no one makes it without the key. Whoever knows a name can compute its
// page's id, which logs show (see [Page.ID]), but not its token: a name
// is not a secret, and a secret does not belong in one.
//
// A shared page lives and ends as any page does. The next SharedPage of the
// name after the page was closed, expired or was evicted calls init again,
// and the new page has the same id and token. Its first version is not 1
// but the clock's time in microseconds, so that a client that still holds a
// version of the page that ended is sent the new page whole, not diffs
// from a version it never saw. Getting the page is a use of it, as
// [Page.Render] is; a page whose time to live has passed is made anew rather
// than returned.
//
// SharedPage fails with [ErrInvalidName] for a name that is empty, longer
// than [MaxSharedNameLen] or not UTF-8, with [ErrUnknownTemplate] for a
// template that is not registered, with [ErrNameTaken] when the page of the
// name has another template, and with init's error.
func (a *Application) SharedPage(name, templateName string, init func() (any, error)) (*Page, error) {
	if name == "" || len(name) > MaxSharedNameLen || !utf8.ValidString(name) {
		return nil, fmt.Errorf("livetemplate: shared page: a name of %d bytes: %w", len(name), ErrInvalidName)
	}
	p, err := a.sharedPage(name, templateName, init)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: shared page %q: %w", name, err)
	}
	return p, nil
}

func (a *Application) sharedPage(name, templateName string, init func() (any, error)) (*Page, error) {
	reg := a.template(templateName)
	if reg == nil {
		return nil, fmt.Errorf("template %q: %w", templateName, ErrUnknownTemplate)
	}
	id := token.Named(name)
	p, err := a.shared.do(id.String(), func() (*Page, error) {
		return a.findShared(id.String(), a.keys.Sign(id), reg, init)
	})
	if err != nil {
		return nil, err
	}
	if p.tmpl.name != templateName {
		return nil, fmt.Errorf("the page of template %q has it: %w", p.tmpl.name, ErrNameTaken)
	}
	return p, nil
}

// findShared returns the live page id, or loads it from the store, or
// creates it with reg and init's data, named by tok.
func (a *Application) findShared(id, tok string, reg *registered, init func() (any, error)) (*Page, error) {
	for range 3 {
		if p := a.liveShared(id); p != nil {
			return p, nil
		}
		p, err := a.load(id, tok)
		if !errors.Is(err, ErrPageNotFound) {
			return p, err
		}
		data, err := call(a, "SharedPage's init", init)
		if err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		p, err = a.createPage(reg, data, id, tok, firstSharedVersion())
		if !errors.Is(err, ErrVersionConflict) {
			return p, err
		}
		// Another instance created the page meanwhile: load it.
	}
	return nil, fmt.Errorf("the page was made and ended again three times while this call looked for it: %w", ErrVersionConflict)
}

// liveShared returns the live page id, after recording a use of it, or nil
// when there is none or its time to live had passed (it ends now).
func (a *Application) liveShared(id string) *Page {
	p, _ := a.pages.lookup(id)
	if p == nil {
		return nil
	}
	if err := p.use(useTouch); err != nil {
		return nil
	}
	return p
}

// firstSharedVersion is the version a shared page starts at: the clock in
// microseconds since 1970. It is above every version that an earlier page of
// the name reached, unless that page changed more than once a microsecond
// on average, and below 2^53, which a browser's numbers hold exactly, until
// the year 2255.
func firstSharedVersion() uint64 { return uint64(max(1, time.Now().UnixMicro())) }

// flights runs one call at a time per key: a call for a key whose call runs
// waits for that call's result. The zero value is ready to use.
type flights struct {
	mu    sync.Mutex // guards calls
	calls map[string]*flight
}

// flight is one call of flights.do and its result, set before done closes.
type flight struct {
	done chan struct{}
	p    *Page
	err  error
}

func (f *flights) do(key string, fn func() (*Page, error)) (*Page, error) {
	f.mu.Lock()
	if c := f.calls[key]; c != nil {
		f.mu.Unlock()
		<-c.done
		return c.p, c.err
	}
	if f.calls == nil {
		f.calls = make(map[string]*flight)
	}
	c := &flight{done: make(chan struct{}), err: fmt.Errorf("the call that looked for the page %w", ErrPanicked)}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.p, c.err = fn()
	return c.p, c.err
}

package livetemplate

import (
	"errors"
	"fmt"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// Errors that callers can test for with [errors.Is]. The errors that methods
// return wrap them with what failed and where, for example
// `livetemplate: new page: template "dashboard": unknown template`.
var (
	// ErrUnknownTemplate: no template of that name is registered.
	ErrUnknownTemplate = errors.New("unknown template")
	// ErrTemplateExists: a template of that name is already registered.
	ErrTemplateExists = errors.New("template already registered")
	// ErrInvalidToken: the token is malformed, or no key of the application's
	// keyring signed it.
	ErrInvalidToken = errors.New("invalid token")
	// ErrPageNotFound: the token is valid but neither this application nor
	// its store knows the page: it was created by an instance whose store
	// this one does not share, or it ended too long ago to be remembered.
	ErrPageNotFound = errors.New("page not found")
	// ErrPageExpired: the page went unused for longer than its time to live.
	ErrPageExpired = errors.New("page expired")
	// ErrPageClosed: the page was closed with [Page.Close].
	ErrPageClosed = errors.New("page closed")
	// ErrLimitReached: a configured limit was exceeded, such as the page size
	// limit of [WithMaxPageSize].
	ErrLimitReached = errors.New("limit reached")
	// ErrPageEvicted: the page was the least recently used when the page
	// limit of [WithMaxPages] was reached. It wraps [ErrLimitReached].
	ErrPageEvicted = fmt.Errorf("page evicted: %w", ErrLimitReached)
	// ErrApplicationClosed: the application was closed with
	// [Application.Close].
	ErrApplicationClosed = errors.New("application closed")
	// ErrVersionConflict: a [Store] refused a write: it holds another
	// revision of the page than the one the write was based on, or, for a
	// new page, a record of that id already exists.
	ErrVersionConflict = errors.New("version conflict")
	// ErrInvalidName: the name of a shared page ([Application.SharedPage])
	// is empty, longer than [MaxSharedNameLen] or not UTF-8.
	ErrInvalidName = errors.New("invalid shared page name")
	// ErrNameTaken: a shared page of that name exists with another
	// template.
	ErrNameTaken = errors.New("shared page name taken by another template")
	// ErrNotOwner: in a cluster ([WithCluster]), another instance owns the
	// page, and only the owner changes it. [Page.Update] and [Page.Modify]
	// send their changes to the owner; they fail with it from an event
	// handler whose page moved to another instance while it ran (the
	// event then runs again on the new owner).
	ErrNotOwner = errors.New("another instance owns the page")
)

// errorCodes pairs the errors of the pages layer with their codes in the
// protocol, both ways: for the messages to clients, and for those between
// the instances of a cluster. An error that wraps another of the list comes
// before it; of two errors of one code, the first is the code's.
var errorCodes = [...]struct {
	err  error
	code string
}{
	{ErrInvalidToken, protocol.CodeInvalidToken},
	{ErrPageExpired, protocol.CodePageExpired},
	{ErrPageClosed, protocol.CodePageClosed},
	{ErrPageEvicted, protocol.CodePageEvicted},
	{ErrPageNotFound, protocol.CodePageNotFound},
	{ErrLimitReached, protocol.CodeLimitReached},
	{ErrApplicationClosed, protocol.CodeServerClosing},
	{ErrUnknownTemplate, protocol.CodePageNotFound},
	{ErrNotAllowed, protocol.CodeNotAllowed},
}

// codeOf returns the code of the first error of errorCodes that err wraps,
// or "" if it wraps none.
func codeOf(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// errorOf returns the error of code, or nil if no error of errorCodes has
// that code.
func errorOf(code string) error {
	for _, c := range errorCodes {
		if c.code == code {
			return c.err
		}
	}
	return nil
}

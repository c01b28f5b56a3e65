package livetemplate

import (
	"errors"
	"fmt"
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

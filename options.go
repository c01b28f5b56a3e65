package livetemplate

import (
	"html/template"
	"time"
)

// Defaults of the options.
const (
	DefaultIdleTTL      = 30 * time.Minute
	DefaultUnjoinedTTL  = 2 * time.Minute
	DefaultMaxPages     = 10_000
	DefaultMaxPageSize  = 4 << 20
	DefaultStoreTimeout = 5 * time.Second
)

// An Option configures an [Application]. Options are applied in order; an
// invalid value makes [NewApplication] return an error.
type Option func(*config)

type config struct {
	keys         [][]byte
	store        Store
	idleTTL      time.Duration
	unjoinedTTL  time.Duration
	maxPages     int
	maxPageSize  int
	storeTimeout time.Duration
	funcs        template.FuncMap
}

func defaultConfig() config {
	return config{
		idleTTL:      DefaultIdleTTL,
		unjoinedTTL:  DefaultUnjoinedTTL,
		maxPages:     DefaultMaxPages,
		maxPageSize:  DefaultMaxPageSize,
		storeTimeout: DefaultStoreTimeout,
	}
}

// WithSigningKeys sets the keys that sign and verify page tokens, newest
// first: the newest signs new tokens, all of them verify. Rotate a key by
// putting the new one first and keeping the old ones until the pages they
// signed have ended. Each key must be at least 32 bytes of secret randomness.
//
// Default (and with no keys): one random key made by NewApplication, so that
// tokens die with the process. Set the same keys on every instance, and keep them across restarts,
// for tokens that outlive one process.
func WithSigningKeys(keys ...[]byte) Option {
	return func(c *config) { c.keys = keys }
}

// WithStore sets where page records are kept. Default: a new [MemoryStore]
// used by this application alone.
func WithStore(s Store) Option {
	return func(c *config) { c.store = s }
}

// WithIdleTTL sets how long a page lives after its last use (a render, a
// change, a [Application.GetPage]). Default: [DefaultIdleTTL], 30 minutes.
func WithIdleTTL(d time.Duration) Option {
	return func(c *config) { c.idleTTL = d }
}

// WithUnjoinedTTL sets the shorter time to live of a page that was rendered
// with [Page.Render] but never fetched by its token since: the page of an
// HTTP response whose browser never connected. Default: [DefaultUnjoinedTTL],
// 2 minutes.
func WithUnjoinedTTL(d time.Duration) Option {
	return func(c *config) { c.unjoinedTTL = d }
}

// WithMaxPages sets how many pages the application keeps. Creating one more
// evicts the least recently used page, which then fails with [ErrPageEvicted].
// Default: [DefaultMaxPages], 10,000.
func WithMaxPages(n int) Option {
	return func(c *config) { c.maxPages = n }
}

// WithMaxPageSize sets the largest HTML a page may render, in bytes. A render
// or a change past it fails with an error wrapping [ErrLimitReached] and
// leaves the page as it was. Default: [DefaultMaxPageSize], 4 MiB.
func WithMaxPageSize(n int) Option {
	return func(c *config) { c.maxPageSize = n }
}

// WithStoreTimeout bounds every call to the [Store]. Default:
// [DefaultStoreTimeout], 5 seconds.
func WithStoreTimeout(d time.Duration) Option {
	return func(c *config) { c.storeTimeout = d }
}

// WithFuncs adds template functions to the templates that the application
// parses itself: [Application.RegisterTemplateFromFile] and
// [Application.RegisterTemplateFS]. PAGE_TOKEN is always there (see
// [FuncMap]).
func WithFuncs(funcs template.FuncMap) Option {
	return func(c *config) { c.funcs = funcs }
}

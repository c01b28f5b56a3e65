package livetemplate

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"path"
	"sync"
	"time"

	"github.com/livetemplate/livetemplate/internal/engine"
	"github.com/livetemplate/livetemplate/internal/token"
)

// Application holds registered templates and the pages made from them. Create
// one with [NewApplication], register templates, then create pages with
// [Application.NewPage] and find them again by token with
// [Application.GetPage]. All its methods are safe for concurrent use.
type Application struct {
	cfg   config
	keys  *token.Keyring
	store Store
	pages *pageSet

	// tokenPlaceholder is what PAGE_TOKEN writes; a page replaces it with
	// its token. It is random so that no data can forge it.
	tokenPlaceholder string
	// versionPlaceholder is what PAGE_VERSION writes; a page replaces it
	// with its version.
	versionPlaceholder string

	tmu       sync.RWMutex
	templates map[string]*registered
	legacy    map[*template.Template]*registered
	handlers  map[handlerKey]EventHandler
	// topicHandlers are the handlers of topics, by template and topic
	// (topics.go).
	topicHandlers map[handlerKey]TopicHandler

	conns   connSet   // open WebSocket connections
	clients clientSet // how many of them each client address holds
	shared  flights   // SharedPage's look-ups and creations, one per name at a time
	viewers *viewers  // who views each page (joinleave.go)
	topics  topics    // the lanes of the pages' messages of topics (topics.go)
	// presence is the viewers of the other instances of a cluster
	// (presence.go).
	presence sharedPresence

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	// events is the context of event handlers, cancelled first by Close so
	// that the connections running them end soon.
	events       context.Context
	cancelEvents context.CancelFunc
	sweeper      sync.WaitGroup // the sweeper, and in development mode the watcher (watch.go)
	closeOnce    sync.Once
	handoff      handoff // holds changes back while Shutdown hands the pages off
	metrics      *meters
	// uploads are the uploads that templates declare, by template and
	// upload name, guarded by tmu; uploadHost serves them, nil without
	// WithUploads (upload.go).
	uploads    map[handlerKey]*declared
	uploadHost *UploadHost
}

// NewApplication returns an application configured by opts. It starts one
// goroutine that expires idle pages; [Application.Close] stops it.
func NewApplication(opts ...Option) (*Application, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("livetemplate: new application: %w", err)
	}
	if len(cfg.keys) == 0 {
		cfg.keys = [][]byte{token.RandomKey()}
	}
	keys, err := token.NewKeyring(cfg.keys...)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: new application: %w", err)
	}
	if cfg.store == nil {
		cfg.store = new(MemoryStore)
	}
	placeholder, _ := keys.New() // the random id only: the placeholder is not a token
	a := &Application{
		cfg:                cfg,
		keys:               keys,
		pages:              newPageSet(&cfg),
		tokenPlaceholder:   "livetemplatepagetoken" + placeholder.String(),
		versionPlaceholder: "livetemplatepageversion" + placeholder.String(),
		templates:          make(map[string]*registered),
		legacy:             make(map[*template.Template]*registered),
		handlers:           make(map[handlerKey]EventHandler),
	}
	if a.metrics, err = newMeters(a); err != nil {
		return nil, fmt.Errorf("livetemplate: new application: %w", err)
	}
	a.store = guardedStore{app: a, s: cfg.store} // startCluster replaces it with the cluster's
	a.viewers = a.newViewers()
	a.topics.init(a)
	a.ctx, a.cancel = context.WithCancel(context.WithValue(context.Background(), appKey{}, a))
	a.events, a.cancelEvents = context.WithCancel(a.ctx)
	if err := a.startCluster(); err != nil {
		a.cancel()
		return nil, fmt.Errorf("livetemplate: new application: cluster: %w", err)
	}
	if cfg.cluster != nil {
		a.startPresence()
	}
	if err := a.startUploads(); err != nil {
		a.Close()
		return nil, fmt.Errorf("livetemplate: new application: uploads: %w", err)
	}
	a.sweeper.Add(1)
	go a.sweep(sweepInterval(&cfg))
	a.startDev()
	return a, nil
}

func (c *config) validate() error {
	switch {
	case c.idleTTL <= 0:
		return fmt.Errorf("idle TTL %v: must be positive", c.idleTTL)
	case c.topicQueue <= 0:
		return fmt.Errorf("topic queue %d: must be positive", c.topicQueue)
	case c.leaveGrace <= 0:
		return fmt.Errorf("leave grace %v: must be positive", c.leaveGrace)
	case c.unjoinedTTL <= 0:
		return fmt.Errorf("unjoined TTL %v: must be positive", c.unjoinedTTL)
	case c.maxPages <= 0:
		return fmt.Errorf("max pages %d: must be positive", c.maxPages)
	case c.maxPageSize <= 0:
		return fmt.Errorf("max page size %d: must be positive", c.maxPageSize)
	case c.storeTimeout <= 0:
		return fmt.Errorf("store timeout %v: must be positive", c.storeTimeout)
	case badPattern(c.origins) != "":
		return fmt.Errorf("origin pattern %q: %w", badPattern(c.origins), path.ErrBadPattern)
	case c.maxMessageSize <= 0:
		return fmt.Errorf("max message size %d: must be positive", c.maxMessageSize)
	case c.eventRate <= 0 || c.eventBurst <= 0:
		return fmt.Errorf("event rate %v, burst %d: must be positive", c.eventRate, c.eventBurst)
	case c.maxConnPages <= 0:
		return fmt.Errorf("max connection pages %d: must be positive", c.maxConnPages)
	case c.sendQueue <= 0:
		return fmt.Errorf("send queue %d: must be positive", c.sendQueue)
	case c.writeTimeout <= 0:
		return fmt.Errorf("write timeout %v: must be positive", c.writeTimeout)
	case c.heartbeat <= 0:
		return fmt.Errorf("heartbeat %v: must be positive", c.heartbeat)
	case c.connIdle <= 0:
		return fmt.Errorf("connection idle %v: must be positive", c.connIdle)
	case c.grace <= 0:
		return fmt.Errorf("disconnect grace %v: must be positive", c.grace)
	case c.history < 0:
		return fmt.Errorf("history %d: must not be negative", c.history)
	case c.eventTimeout <= 0:
		return fmt.Errorf("event timeout %v: must be positive", c.eventTimeout)
	case c.dedupeWindow <= 0:
		return fmt.Errorf("dedupe window %d: must be positive", c.dedupeWindow)
	case c.dev && c.cluster != nil:
		return errors.New("development mode: not with a cluster")
	}
	return c.checkConnections()
}

// badPattern returns the first pattern that path.Match cannot use.
func badPattern(patterns []string) string {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return p
		}
	}
	return ""
}

// longestTTL is the longest a page may go unused.
func (c *config) longestTTL() time.Duration { return max(c.idleTTL, c.unjoinedTTL) }

// sweepInterval is how often expired pages are released: a quarter of the
// shorter time to live, so a page outlives its TTL by at most that much
// (a page used after its TTL is expired at once, without waiting for a sweep).
func sweepInterval(c *config) time.Duration {
	return max(min(c.idleTTL, c.unjoinedTTL)/4, 10*time.Millisecond)
}

func (a *Application) sweep(every time.Duration) {
	defer a.sweeper.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			expired, kept := a.pages.expire(time.Now())
			a.release(expired, ErrPageExpired)
			a.keepStored(kept)
			a.touchWatched()
		}
	}
}

// keepStored rewrites the store records of pages that are shown but not
// changed, before they expire.
func (a *Application) keepStored(pages []*Page) {
	for _, p := range pages {
		p.keepStored(a.ctx)
	}
}

// release ends pages that ended for reason, which the page set no longer
// holds: their connections are told, and their records deleted. In a
// cluster, the owner of a page tells the other instances; a follower only
// drops its copy of the page. No lock of the pages is held.
func (a *Application) release(ended []*Page, reason error) {
	for _, p := range ended {
		p.end(a.ctx, reason) // a record left behind expires by its TTL
	}
}

// appKey is the key of the value that marks the application's context and
// those made from it (its event handlers', its connections'), which Close
// ends.
type appKey struct{}

// within returns a context that ctx, the duration d and the application's
// Close each end.
func (a *Application) within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	switch {
	case ctx == context.Background():
		// No values, and nothing ends it: the calls without a context
		// cost what they did before they had one.
		return context.WithTimeout(a.ctx, d)
	case ctx.Value(appKey{}) == a:
		// The application's own, or made from it: Close ends it already.
		return context.WithTimeout(ctx, d)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	stop := context.AfterFunc(a.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// storeContext bounds a store call made for ctx by ctx, WithStoreTimeout and
// the application's Close, and carries ctx's values to the store.
func (a *Application) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return a.within(ctx, a.cfg.storeTimeout)
}

// Close closes every WebSocket connection (status 1001, going away), ends
// every page (their methods then return [ErrApplicationClosed]) and stops the
// application's goroutines. Records in a store given with
// [WithStore] are kept until they expire, so that an application restarted
// with the same store and signing keys can serve their tokens. In a cluster
// ([WithCluster]), the pages this instance owned are taken over by the other
// instances. Close cancels the event handlers that run; [Application.Shutdown]
// lets them end first and hands the pages off at once. Close is idempotent.
func (a *Application) Close() error {
	a.closeOnce.Do(func() {
		a.handoff.stop()
		a.cancelEvents()
		a.conns.close()
		a.viewers.Close()
		a.topics.close()
		a.closePresence()
		for _, p := range a.pages.close() {
			p.disconnect(ErrApplicationClosed)
			p.role.stop()
		}
		a.closeUploads()
		if a.cfg.cluster != nil {
			a.cfg.cluster.Close()
		}
		a.cancel()
		a.sweeper.Wait()
		a.metrics.stop()
	})
	return nil
}

// NewPage creates a page that renders the template registered as
// templateName with data. The page lives until it is closed, expires (see
// [WithIdleTTL] and [WithUnjoinedTTL]) or is evicted ([WithMaxPages]).
// Template execution errors are returned, as Execute returns them.
func (a *Application) NewPage(templateName string, data any) (*Page, error) {
	reg := a.template(templateName)
	if reg == nil {
		return nil, fmt.Errorf("livetemplate: new page: template %q: %w", templateName, ErrUnknownTemplate)
	}
	p, err := a.newPage(reg, data)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: new page: template %q: %w", templateName, err)
	}
	return p, nil
}

// NewApplicationPage creates a page from t, registering t the first time it
// sees it.
//
// Deprecated: register the template once with [Application.RegisterTemplate]
// and use [Application.NewPage].
func (a *Application) NewApplicationPage(t *template.Template, data any) (*Page, error) {
	reg, err := a.legacyTemplate(t)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: new application page: %w", err)
	}
	p, err := a.newPage(reg, data)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: new application page: %w", err)
	}
	return p, nil
}

func (a *Application) newPage(reg *registered, data any) (*Page, error) {
	id, tok := a.keys.New()
	return a.createPage(reg, data, id.String(), tok, 1)
}

// createPage creates the page id, named by tok, at version v: it creates
// the page's record in the store, failing with ErrVersionConflict if there
// is one, and returns the live page of the id (another call may have loaded
// the record meanwhile).
func (a *Application) createPage(reg *registered, data any, id, tok string, v uint64) (*Page, error) {
	tree, err := a.render(reg, nil, data)
	if err != nil {
		return nil, err
	}
	p := a.pageValue(id, tok, reg)
	p.data, p.tree, p.version, p.live.since = data, tree, v, v
	if err := p.writeChanging(a.ctx, p.recordChanging()); err != nil {
		return nil, err
	}
	live, err := a.admit(p)
	if err != nil {
		ctx, cancel := a.storeContext(a.ctx)
		defer cancel()
		a.store.Delete(ctx, p.id) // a record left behind expires by its TTL
		return nil, err
	}
	return live, nil
}

// pageValue returns a page, which nothing shares yet, with its role.
func (a *Application) pageValue(id, tok string, reg *registered) *Page {
	p := &Page{identity: identity{app: a, id: id, token: tok, tmpl: reg}}
	p.turns.turn = newGate()
	p.role = a.newRole(p)
	return p
}

// admit adds p to the live pages, or returns the live page of its id. It
// releases the pages evicted to make room.
func (a *Application) admit(p *Page) (*Page, error) {
	live, evicted, err := a.pages.add(p, time.Now())
	a.release(evicted, ErrPageEvicted)
	return live, err
}

// render renders data with reg's program; prev is the page's last tree, or
// nil, whose unchanged rows the program copies instead of executing.
// html/template turns a panic in a template function or a method of data
// into an error of Execute, but not one in an iterator that {{range}} ranges
// over: call turns that into ErrPanicked.
func (a *Application) render(reg *registered, prev *engine.Tree, data any) (*engine.Tree, error) {
	tree, err := call(a, "rendering", func() (*engine.Tree, error) { return reg.program().prog.RenderFrom(prev, data) })
	if err != nil {
		return nil, err
	}
	if n := tree.Size(); n > a.cfg.maxPageSize {
		return nil, fmt.Errorf("page renders %d bytes, more than the %d of WithMaxPageSize: %w", n, a.cfg.maxPageSize, ErrLimitReached)
	}
	return tree, nil
}

// GetPage returns the page of a token: the same token for the page's whole
// life, from any number of connections and devices. It fails with
// [ErrInvalidToken] for a token that this application's keys did not sign,
// with [ErrPageExpired], [ErrPageClosed] or [ErrPageEvicted] for a page that
// ended, and with [ErrPageNotFound] for a page that neither this application
// nor its store knows. A page fetched by token is joined: it has the full
// idle time to live from then on.
func (a *Application) GetPage(tok string) (*Page, error) {
	p, err := a.getPage(tok)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: get page: %w", err)
	}
	return p, nil
}

// GetApplicationPage returns the page of a token.
//
// Deprecated: use [Application.GetPage].
func (a *Application) GetApplicationPage(tok string) (*Page, error) {
	return a.GetPage(tok)
}

func (a *Application) getPage(tok string) (*Page, error) {
	p, err := a.findPage(tok)
	if err != nil {
		return nil, err
	}
	if err := p.visit(a.ctx, useJoin); err != nil {
		return nil, err
	}
	return p, nil
}

// findPage returns the live page of a token, loading it from the store if
// need be. It does not count as a use of the page.
func (a *Application) findPage(tok string) (*Page, error) {
	id, err := a.keys.Verify(tok)
	if err != nil {
		return nil, ErrInvalidToken
	}
	p, err := a.pages.lookup(id.String())
	if err != nil {
		return nil, err
	}
	if p == nil {
		return a.load(id.String(), tok)
	}
	return p, nil
}

// load rebuilds a page from its record in the store.
func (a *Application) load(id, tok string) (*Page, error) {
	f, err := a.fetch(a.ctx, id)
	if err != nil {
		return nil, err
	}
	p := a.pageValue(id, tok, f.tmpl)
	if err := p.loadFrom(a.ctx, f); err != nil {
		p.role.stop()
		return nil, err
	}
	live, err := a.admit(p)
	if live != p {
		p.role.stop()
	}
	return live, err
}

// loadFrom gives p, a page being loaded, the state of its record f and the
// role that f gives it.
func (p *Page) loadFrom(ctx context.Context, f fetched) error {
	ctx, cancel := p.app.storeContext(ctx)
	defer cancel()
	if err := p.changing.enter(ctx); err != nil {
		return err
	}
	defer p.changing.leave()
	return p.role.adopt(ctx, f)
}

// fetched is a page's store record, rendered.
type fetched struct {
	rec  PageRecord
	tmpl *registered
	tree *engine.Tree
}

// fetch reads a page's record from the store, within ctx and the store's
// timeout, and renders it.
func (a *Application) fetch(ctx context.Context, id string) (fetched, error) {
	ctx, cancel := a.storeContext(ctx)
	defer cancel()
	rec, err := a.store.Get(ctx, id)
	if errors.Is(err, ErrPageNotFound) {
		return fetched{}, ErrPageNotFound
	}
	if err != nil {
		return fetched{}, fmt.Errorf("store: %w", err)
	}
	reg := a.template(rec.Template)
	if reg == nil {
		return fetched{}, fmt.Errorf("template %q of the stored page: %w", rec.Template, ErrUnknownTemplate)
	}
	tree, err := a.render(reg, nil, rec.Data)
	if err != nil {
		return fetched{}, fmt.Errorf("template %q of the stored page: %w", rec.Template, err)
	}
	return fetched{rec: rec, tmpl: reg, tree: tree}, nil
}

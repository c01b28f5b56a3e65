package livetemplate

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/netip"
	"path"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Defaults of the options.
const (
	DefaultIdleTTL      = 30 * time.Minute
	DefaultUnjoinedTTL  = 2 * time.Minute
	DefaultMaxPages     = 10_000
	DefaultMaxPageSize  = 4 << 20
	DefaultStoreTimeout = 5 * time.Second

	DefaultMaxMessageSize     = 64 << 10
	DefaultEventRate          = 50
	DefaultEventBurst         = 100
	DefaultMaxConnectionPages = 100
	DefaultSendQueue          = 256
	DefaultSendQueueBytes     = 1 << 20
	DefaultEventQueueBytes    = 512 << 10
	DefaultByteRate           = 1 << 20
	DefaultByteBurst          = 8 << 20
	DefaultMaxClientConns     = 100
	DefaultWriteTimeout       = 10 * time.Second
	DefaultHeartbeat          = 30 * time.Second
	DefaultConnectionIdle     = time.Minute
	DefaultDisconnectGrace    = 2 * time.Minute
	DefaultHistory            = 64
	DefaultEventTimeout       = 10 * time.Second
	DefaultDedupeWindow       = 1024
	DefaultMaxReplySize       = 4 << 10
	DefaultMaxPushSize        = 64 << 10
)

// An Option configures an [Application]. Options are applied in order; an
// invalid value makes [NewApplication] return an error.
type Option func(*config)

type config struct {
	meterProvider metric.MeterProvider
	keys          [][]byte
	store         Store
	cluster       Cluster
	idleTTL       time.Duration
	unjoinedTTL   time.Duration
	maxPages      int
	maxPageSize   int
	storeTimeout  time.Duration
	funcs         template.FuncMap

	origins        []string
	hosts          []string
	proxies        []string
	trusted        []netip.Prefix // proxies, parsed by NewApplication
	compression    bool
	maxMessageSize int
	eventRate      float64
	eventBurst     int
	byteRate       float64
	byteBurst      int
	maxConnPages   int
	maxClientConns int
	sendQueue      int
	sendQueueBytes int
	eventBytes     int
	writeTimeout   time.Duration
	heartbeat      time.Duration
	connIdle       time.Duration
	grace          time.Duration
	history        int
	eventTimeout   time.Duration
	dedupeWindow   int
	maxReplySize   int
	maxPushSize    int
	logger         *slog.Logger
	dev            bool                                         // WithDevMode (devmode.go)
	connect        *connector                                   // identity.go
	joinCheck      func(ctx context.Context, p *Page) error     // auth.go
	onJoin         func(ctx context.Context, p *Page, v Viewer) // joinleave.go
	onLeave        func(ctx context.Context, p *Page, v Viewer)
	leaveGrace     time.Duration
	topicQueue     int          // topics.go
	uploads        UploadServer // upload.go
	uploadTTL      time.Duration
	uploadLimits   UploadLimits
}

func defaultConfig() config {
	return config{
		idleTTL:      DefaultIdleTTL,
		unjoinedTTL:  DefaultUnjoinedTTL,
		maxPages:     DefaultMaxPages,
		maxPageSize:  DefaultMaxPageSize,
		storeTimeout: DefaultStoreTimeout,

		maxMessageSize: DefaultMaxMessageSize,
		eventRate:      DefaultEventRate,
		eventBurst:     DefaultEventBurst,
		byteRate:       DefaultByteRate,
		byteBurst:      DefaultByteBurst,
		maxConnPages:   DefaultMaxConnectionPages,
		maxClientConns: DefaultMaxClientConns,
		sendQueue:      DefaultSendQueue,
		sendQueueBytes: DefaultSendQueueBytes,
		eventBytes:     DefaultEventQueueBytes,
		writeTimeout:   DefaultWriteTimeout,
		heartbeat:      DefaultHeartbeat,
		connIdle:       DefaultConnectionIdle,
		grace:          DefaultDisconnectGrace,
		history:        DefaultHistory,
		eventTimeout:   DefaultEventTimeout,
		dedupeWindow:   DefaultDedupeWindow,
		leaveGrace:     DefaultLeaveGrace,
		topicQueue:     DefaultTopicQueue,
		maxReplySize:   DefaultMaxReplySize,
		maxPushSize:    DefaultMaxPushSize,
		uploadTTL:      DefaultUploadTokenTTL,
		uploadLimits:   DefaultUploadLimits,
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

// WithMaxPages sets how many pages the application keeps. Creating (or
// loading) one more evicts a page that no WebSocket connection shows, which
// then fails with [ErrPageEvicted]: the least recently used of the pages
// never fetched by token ([Application.GetPage], or a join by token; a
// [Application.PageHandler]'s page joined by the connection it was made for
// does not count), or, when there is none, the least recently used of the
// others. So pages that users came back to are not evicted for pages that
// nobody did, such as those of anonymous connections that come and go.
// When every page is shown, the new page is refused with [ErrLimitReached]
// instead. Default: [DefaultMaxPages], 10,000.
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

// WithOriginPatterns allows WebSocket handshakes from other origins than the
// endpoint's own host. Each pattern is matched with path.Match against the
// Origin header's host, or against "scheme://host" when it contains "://"
// (for example "app.example.com", "*.example.com"). Default: none, so only
// pages served from the endpoint's own host may connect (a browser always
// sends Origin; a client that sends none, which a browser cannot be, is
// allowed). An origin of the endpoint's own host must also be as secure as
// the endpoint: an http origin may not connect to an endpoint reached over
// TLS (over TLS as the server sees it, or, from a proxy of
// [WithTrustedProxies], as its X-Forwarded-Proto or Forwarded header says).
// A refused handshake gets HTTP 403 with the code forbidden_origin.
func WithOriginPatterns(patterns ...string) Option {
	return func(c *config) { c.origins = patterns }
}

// WithAllowedHosts allows WebSocket handshakes only for requests whose Host
// header matches one of the patterns, with path.Match, ignoring case: the
// whole host ("app.example.com:8443") or its name without the port
// ("app.example.com", "*.example.com", "127.0.0.1", "::1"). It defends
// against DNS rebinding, where a site makes its own name resolve to the
// server's address: the Origin check alone passes then, since the Origin's
// host is the Host the browser sends. Default: any host. A refused handshake
// gets HTTP 403 with the code forbidden_host.
func WithAllowedHosts(hosts ...string) Option {
	return func(c *config) { c.hosts = hosts }
}

// WithTrustedProxies names the reverse proxies in front of the server, as IP
// addresses or CIDR prefixes ("10.0.0.0/8", "127.0.0.1", "::1"). For a
// request whose peer is one of them, the client's address is taken from the
// Forwarded header (its for= values) or, without one, from X-Forwarded-For:
// the rightmost address that is not itself a trusted proxy. And whether the
// client reached the proxy over TLS is taken from Forwarded's proto= or
// X-Forwarded-Proto (see [WithOriginPatterns]). Requests from other peers
// are taken as they come, whatever those headers say. Default: none.
func WithTrustedProxies(proxies ...string) Option {
	return func(c *config) { c.proxies = proxies }
}

// WithMaxClientConnections sets how many WebSocket connections one client
// may hold at once on the application's endpoints, by the client's address
// (see [WithTrustedProxies]; IPv6 addresses count by their /64 prefix). A
// handshake past it is refused with HTTP 429 and the code
// too_many_connections. A browser holds one connection for all its tabs,
// but the users behind one NAT share an address. Default:
// [DefaultMaxClientConns], 100.
func WithMaxClientConnections(n int) Option {
	return func(c *config) { c.maxClientConns = n }
}

// WithCompression lets connections negotiate permessage-deflate, without
// context takeover: each message is compressed on its own, which keeps a
// connection's memory small (context takeover costs about 1 MB per
// connection) but compresses small diffs little. Worth it for pages whose
// renders are large and clients on slow networks. Default: off.
func WithCompression() Option {
	return func(c *config) { c.compression = true }
}

// WithMaxMessageSize sets the largest message a client may send, in bytes. A
// larger one closes its connection with status 1009. Default:
// [DefaultMaxMessageSize], 64 KiB.
func WithMaxMessageSize(n int) Option {
	return func(c *config) { c.maxMessageSize = n }
}

// WithEventRate limits how many frames each connection may send: perSecond
// on average, in bursts of up to burst. Every frame counts, whatever it
// holds, WebSocket ping and pong frames too. A message past the limit is
// refused with the code rate_limited (an event is not applied; the client
// resends it later), except a leave, which is handled all the same; a ping
// frame past it gets no pong. A client that goes on sending after that, and
// has as many frames again refused (the same rate and burst, counted
// apart), is closed with status 4029. Default: [DefaultEventRate] per
// second, bursts of [DefaultEventBurst].
func WithEventRate(perSecond float64, burst int) Option {
	return func(c *config) { c.eventRate, c.eventBurst = perSecond, burst }
}

// WithByteRate limits how many bytes of frames each connection may send:
// perSecond on average, in bursts of up to burst. It counts the same frames
// as [WithEventRate], by their size, and refuses and closes the same way
// (rate_limited, then 4029 once as many bytes again were refused). A frame
// counts as at most burst bytes. Default: [DefaultByteRate], 1 MiB a
// second, in bursts of [DefaultByteBurst], 8 MiB: more than a burst of
// [DefaultEventBurst] frames of [DefaultMaxMessageSize].
func WithByteRate(perSecond float64, burst int) Option {
	return func(c *config) { c.byteRate, c.byteBurst = perSecond, burst }
}

// WithMaxConnectionPages sets how many pages one connection may have joined
// at once; a join past it is refused with the code too_many_pages. One
// browser's tabs share a connection, so this bounds the pages open in all of
// them. Default: [DefaultMaxConnectionPages], 100.
func WithMaxConnectionPages(n int) Option {
	return func(c *config) { c.maxConnPages = n }
}

// WithSendQueue sets how many messages may wait to be written to one
// connection. Past it (or past [WithSendQueueBytes]), a page's further diffs
// are not queued: the client gets, when the writer reaches it, one catch-up
// to the page's latest version (the diffs it missed, or the whole page), so
// a client that falls behind for a while loses nothing and costs no more
// memory, and a broadcast never waits for it. The connection is not read
// meanwhile, so a client that sends faster than it reads the answers is
// slowed down, not closed. A client that lets twice as many messages wait
// (acks of its events, errors) is closed with status 4008. Default:
// [DefaultSendQueue], 256.
func WithSendQueue(n int) Option {
	return func(c *config) { c.sendQueue = n }
}

// WithSendQueueBytes sets how many bytes of messages may wait to be written
// to one connection, the message being written included; past it, the
// connection is treated as with a full [WithSendQueue]: diffs give way to
// one catch-up per page, the client's frames are not read, and at twice
// as many bytes the connection is closed with status 4008. A join or a
// catch-up waits as a small mark, not as the page: the writer renders it
// when it gets there, and connections that need the same version of a page
// at once share one render. Default: [DefaultSendQueueBytes], 1 MiB.
func WithSendQueueBytes(n int) Option {
	return func(c *config) { c.sendQueueBytes = n }
}

// WithEventQueueBytes sets how many bytes of events one connection may have
// waiting for their handlers or running, counted as the memory of their
// data, names and ids plus 512 bytes each (about what the server holds for
// an event). An event past it is refused with
// unavailable (the client resends it later); an event always fits when none
// of its connection waits. The events of a connection that closes are
// dropped before their handlers run (those running finish): the client
// resends them. Default: [DefaultEventQueueBytes], 512 KiB.
func WithEventQueueBytes(n int) Option {
	return func(c *config) { c.eventBytes = n }
}

// WithWriteTimeout bounds each write to a connection: a client that has not
// taken a message after d does not read, and is closed with status 4008 (if
// its close frame can still be written; it may then see the connection end
// without a status). It may reconnect and resume. Default:
// [DefaultWriteTimeout], 10 seconds.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *config) { c.writeTimeout = d }
}

// WithHeartbeat sets how often the server pings each connection; a
// connection that has not answered a ping by the next one is closed with
// status 4000. Default: [DefaultHeartbeat], 30 seconds.
func WithHeartbeat(d time.Duration) Option {
	return func(c *config) { c.heartbeat = d }
}

// WithConnectionIdle sets how long a connection may stay open without any
// joined page before it is closed with status 4001. Default:
// [DefaultConnectionIdle], one minute.
func WithConnectionIdle(d time.Duration) Option {
	return func(c *config) { c.connIdle = d }
}

// WithDisconnectGrace sets how long a page created for a connection by
// [Application.PageHandler] outlives its last connection: a client that
// reconnects with the page's token within it resumes the page; after it the
// page is closed. Default: [DefaultDisconnectGrace], 2 minutes.
func WithDisconnectGrace(d time.Duration) Option {
	return func(c *config) { c.grace = d }
}

// WithHistory sets how many of its latest diffs each page keeps, so that a
// client that rejoins with an older version gets the diffs it missed rather
// than the whole page. A page also keeps no more bytes of diffs than about
// its HTML's size: a client that missed more gets the page, which is then
// the smaller message. 0 keeps none. Default: [DefaultHistory], 64.
func WithHistory(n int) Option {
	return func(c *config) { c.history = n }
}

// WithEventTimeout bounds how long an event handler may run: its context is
// cancelled after d. Default: [DefaultEventTimeout], 10 seconds.
func WithEventTimeout(d time.Duration) Option {
	return func(c *config) { c.eventTimeout = d }
}

// WithDedupeWindow sets how many of its latest event ids each page
// remembers with their result. A resent event whose id is among them is
// acknowledged again with the first result, without running its handler
// again. It also bounds the tabs whose high-water marks a page keeps for
// numbered events (see docs/protocol.md): the n that sent one last; a tab's
// numbered event at or below its mark is never run again, however late it
// comes. Default: [DefaultDedupeWindow], 1,024.
func WithDedupeWindow(n int) Option {
	return func(c *config) { c.dedupeWindow = n }
}

// WithLogger sets where the application logs what no caller can be told:
// a panic in an event handler, with its stack. Default: [slog.Default].
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// checkConnections checks the options of the endpoint, and parses the
// trusted proxies.
func (c *config) checkConnections() error {
	switch {
	case c.byteRate <= 0 || c.byteBurst <= 0:
		return fmt.Errorf("byte rate %v, burst %d: must be positive", c.byteRate, c.byteBurst)
	case c.sendQueueBytes <= 0:
		return fmt.Errorf("send queue bytes %d: must be positive", c.sendQueueBytes)
	case c.eventBytes <= 0:
		return fmt.Errorf("event queue bytes %d: must be positive", c.eventBytes)
	case c.maxClientConns <= 0:
		return fmt.Errorf("max client connections %d: must be positive", c.maxClientConns)
	case c.maxReplySize <= 0 || c.maxPushSize <= 0:
		return fmt.Errorf("max reply size %d, push size %d: must be positive", c.maxReplySize, c.maxPushSize)
	case badPattern(c.hosts) != "":
		return fmt.Errorf("allowed host %q: %w", badPattern(c.hosts), path.ErrBadPattern)
	}
	c.trusted = nil
	for _, p := range c.proxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return fmt.Errorf("trusted proxy %q: %w", p, err)
		}
		c.trusted = append(c.trusted, prefix)
	}
	return nil
}

// parsePrefix parses a CIDR prefix, or an address as the prefix of it alone.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

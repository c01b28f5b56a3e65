package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Defaults of the options.
const (
	DefaultBucket   = "livetemplate"
	DefaultSubjects = "livetemplate"
	DefaultLease    = 5 * time.Second
	DefaultReplicas = 1
	// DefaultEventWindow is how many event results a page's record
	// carries by default: more than twice the 100 events that the browser
	// client's outbox lets wait for their acks in a tab, the most that one
	// tab may resend to a new owner after a takeover, at about 19 bytes
	// an event (a browser's event id and its punctuation), 5 KB a record.
	DefaultEventWindow = 256
)

// An Option configures [WithNATS].
type Option func(*config)

type config struct {
	bucket   string
	subjects string
	lease    time.Duration
	replicas int
	events   int
	codec    Codec
	states   map[string]reflect.Type
}

func defaultConfig() config {
	return config{
		bucket:   DefaultBucket,
		subjects: DefaultSubjects,
		lease:    DefaultLease,
		replicas: DefaultReplicas,
		events:   DefaultEventWindow,
		codec:    JSON{},
		states:   make(map[string]reflect.Type),
	}
}

func (c *config) validate() error {
	switch {
	case c.bucket == "":
		return errors.New("bucket: empty name")
	case c.subjects == "":
		return errors.New("subject prefix: empty")
	case c.lease < time.Second:
		return fmt.Errorf("lease %v: must be at least a second", c.lease)
	case c.replicas < 1:
		return fmt.Errorf("replicas %d: must be positive", c.replicas)
	case c.events < 1:
		return fmt.Errorf("event window %d: must be positive", c.events)
	case c.codec == nil:
		return errors.New("nil codec")
	}
	return nil
}

// WithBucket sets the JetStream key-value bucket that holds the page
// records and the instances' leases; NewApplication creates it if it does
// not exist. All instances of one application use the same bucket, and
// different applications different ones. Default: [DefaultBucket].
func WithBucket(name string) Option {
	return func(c *config) { c.bucket = name }
}

// WithSubjects sets the prefix of the NATS subjects on which the instances
// send each other changes and events (prefix.page.<page id> and
// prefix.instance.<instance id>). Default: [DefaultSubjects].
func WithSubjects(prefix string) Option {
	return func(c *config) { c.subjects = prefix }
}

// WithLease sets how long an instance's lease lasts: the instance renews it
// every third of that, and another instance may take its pages over once it
// has not for that long. A shorter lease takes pages over sooner after an
// instance dies; an instance that cannot reach NATS for longer loses its
// pages. It is rounded up to whole seconds (JetStream's unit of time to
// live), and must be at least a second. Default: [DefaultLease], 5 seconds.
func WithLease(d time.Duration) Option {
	return func(c *config) { c.lease = d }
}

// WithReplicas sets how many NATS servers keep a copy of the bucket when
// NewApplication creates it: 3 in a NATS cluster of 3 or more, so that the
// records survive the loss of a server. Default: [DefaultReplicas], 1.
func WithReplicas(n int) Option {
	return func(c *config) { c.replicas = n }
}

// WithEventWindow sets how many of a page's latest event results its record
// carries: the ids of the last n events that ran (and of the last n
// [livetemplate.Page.Update] calls forwarded by other instances), with the
// result of those that failed. An instance that takes the page over
// acknowledges a resent event among them with its first result instead of
// running it again; an event older than that runs again. The owner's own
// memory of a page's events stays livetemplate.WithDedupeWindow (1,024 by
// default), and a record never carries more than that. Every event of a
// page rewrites its record, so this bounds what an event writes to
// JetStream: about 19 bytes per event id of the browser client. n must
// cover every event that a page's clients may still resend when its owner
// dies: the unacknowledged ones, at most 100 per browser tab (the client's
// outbox). Raise it for pages that many tabs send events to at once. It
// bounds the tabs' high-water marks that the record carries too: the last n
// tabs that sent the page numbered events (the browser client's are), whose
// events never run twice on a new owner, however late their resends come.
// Default: [DefaultEventWindow], 256.
func WithEventWindow(n int) Option {
	return func(c *config) { c.events = n }
}

// WithCodec sets how page data is encoded. Default: [JSON].
func WithCodec(codec Codec) Option {
	return func(c *config) { c.codec = codec }
}

// WithState registers T as the state type of the pages of template: their
// data is a T, stored and sent encoded, and decoded into a T on any
// instance. Every template of a clustered application needs one: a page
// whose template has none, or whose data is not a T, cannot be stored
// ([ErrNoState], [ErrStateType]). T may be an interface type such as any,
// which accepts any data and decodes as the codec decodes into an
// interface (JSON: maps, slices, float64s): the page's handlers then read
// that, not the value they stored. The package documentation says what a
// state type must be.
func WithState[T any](template string) Option {
	return func(c *config) { c.states[template] = reflect.TypeFor[T]() }
}

// A Codec encodes page data. It must be safe for concurrent use, and decoding
// what it encoded must give data that renders the same HTML.
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSON is the default [Codec]: encoding/json.
type JSON struct{}

// Marshal implements [Codec].
func (JSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal implements [Codec].
func (JSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// Errors of page data, wrapped by the errors of the page's changes.
var (
	// ErrNoState: the page's template has no state type (see WithState).
	ErrNoState = errors.New("cluster: the template has no state type: register one with cluster.WithState")
	// ErrStateType: the page's data is not of its template's state type.
	ErrStateType = errors.New("cluster: the page's data is not of its template's state type")
)

// encode encodes the data of a page of template.
func (c *config) encode(template string, data any) ([]byte, error) {
	t, ok := c.states[template]
	switch {
	case !ok:
		return nil, fmt.Errorf("template %q: %w", template, ErrNoState)
	case t.Kind() != reflect.Interface && reflect.TypeOf(data) != t:
		return nil, fmt.Errorf("template %q: data of type %T, state type %v: %w", template, data, t, ErrStateType)
	}
	b, err := c.codec.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("template %q: encode data: %w", template, err)
	}
	return b, nil
}

// decode decodes the data of a page of template.
func (c *config) decode(template string, b []byte) (any, error) {
	t, ok := c.states[template]
	if !ok {
		return nil, fmt.Errorf("template %q: %w", template, ErrNoState)
	}
	v := reflect.New(t)
	if err := c.codec.Unmarshal(b, v.Interface()); err != nil {
		return nil, fmt.Errorf("template %q: decode data: %w", template, err)
	}
	return v.Elem().Interface(), nil
}

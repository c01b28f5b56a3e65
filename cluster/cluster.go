package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/livetemplate/livetemplate"
)

// WithNATS makes the application one instance of a cluster on the NATS
// connection nc, which needs JetStream: page records go to a key-value
// bucket, changes and events to NATS subjects. NewApplication creates the
// bucket if need be and fails if it cannot reach JetStream. The application
// does not close nc; close it after the application. Give every instance
// the same signing keys (livetemplate.WithSigningKeys), templates, event
// handlers and options.
func WithNATS(nc *nats.Conn, opts ...Option) livetemplate.Option {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	return livetemplate.WithCluster(newNode(nc, &cfg))
}

// node is one instance of the cluster: it implements livetemplate.Cluster.
type node struct {
	nc     *nats.Conn
	cfg    *config
	self   string
	store  *store
	lease  *lease
	topics topicLog // topics.go

	mu      sync.Mutex
	closed  bool
	inbox   *nats.Subscription
	subs    map[*nats.Subscription]struct{}
	running sync.WaitGroup // calls of serve and deliver
	serving chan struct{}  // bounds the calls of serve at once
}

// maxServing is how many messages of other instances an instance serves at
// once; more wait in the subscription's queue.
const maxServing = 1024

func newNode(nc *nats.Conn, cfg *config) *node {
	n := &node{nc: nc, cfg: cfg, self: nuid.Next(), subs: make(map[*nats.Subscription]struct{}), serving: make(chan struct{}, maxServing)}
	n.store = &store{cfg: cfg}
	return n
}

var _ livetemplate.Cluster = (*node)(nil)

func (n *node) Store() livetemplate.Store { return n.store }

func (n *node) Self() string { return n.self }

func (n *node) Encode(template string, data any) ([]byte, error) {
	return n.cfg.encode(template, data)
}

func (n *node) Decode(template string, b []byte) (any, error) {
	return n.cfg.decode(template, b)
}

func (n *node) pageSubject(page string) string { return n.cfg.subjects + ".page." + page }

func (n *node) instanceSubject(id string) string { return n.cfg.subjects + ".instance." + id }

// startTimeout bounds the set-up that Start does on NATS.
const startTimeout = 10 * time.Second

// Start opens the bucket, takes the instance's lease and subscribes to the
// instance's subject.
func (n *node) Start(serve func(ctx context.Context, msg []byte) []byte, regained func()) error {
	if err := n.cfg.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	b, err := openBucket(ctx, n.nc, n.cfg)
	if err != nil {
		return err
	}
	n.store.bucket.Store(b)
	if n.lease, err = takeLease(ctx, b, n.self, n.cfg.lease, regained); err != nil {
		return err
	}
	n.inbox, err = n.nc.Subscribe(n.instanceSubject(n.self), func(m *nats.Msg) { n.serve(m, serve) })
	if err != nil {
		n.lease.stop()
		return fmt.Errorf("subscribe to the instance's subject: %w", err)
	}
	return nil
}

// openBucket creates or opens the bucket, with per-key times to live.
func openBucket(ctx context.Context, nc *nats.Conn, cfg *config) (*bucket, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:         cfg.bucket,
		Description:    "LiveTemplate page records and instance leases",
		History:        1,
		Storage:        jetstream.FileStorage,
		Replicas:       cfg.replicas,
		LimitMarkerTTL: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %q: %w", cfg.bucket, err)
	}
	return &bucket{js: js, kv: kv}, nil
}

// serve answers a message of another instance in a goroutine of its own.
func (n *node) serve(m *nats.Msg, serve func(context.Context, []byte) []byte) {
	if !n.enter() {
		return
	}
	n.serving <- struct{}{}
	go func() {
		defer n.running.Done()
		defer func() { <-n.serving }()
		answer := serve(context.Background(), m.Data)
		if m.Reply != "" && answer != nil {
			m.Respond(answer)
		}
	}()
}

// enter counts a call of serve or deliver, unless the node is closed.
func (n *node) enter() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.running.Add(1)
	return true
}

// Close gives up the lease and ends the subscriptions. The messages that
// reached the instance's subject before are served first: a request
// dropped unanswered would hold its sender for a whole attempt.
func (n *node) Close() error {
	n.drainInbox()
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	subs := n.subs
	n.subs = nil
	n.mu.Unlock()
	for s := range subs {
		s.Unsubscribe()
	}
	if n.inbox != nil {
		n.inbox.Unsubscribe()
	}
	if n.lease != nil {
		n.lease.stop()
		n.lease.release()
	}
	n.running.Wait()
	return nil
}

// drainTimeout bounds the wait for the messages that reached the instance's
// subject before Close.
const drainTimeout = time.Second

// drainInbox stops the instance's subscription to its subject once the
// messages already sent to it are handed to serve, within drainTimeout.
func (n *node) drainInbox() {
	if n.inbox == nil {
		return
	}
	closed := n.inbox.StatusChanged(nats.SubscriptionClosed)
	if n.inbox.Drain() != nil {
		return // the connection is closed: nothing more arrives
	}
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-closed:
	case <-t.C:
	}
}

func (n *node) Leased() bool { return n.lease.held() }

func (n *node) Alive(ctx context.Context, instance string) (bool, error) {
	b, err := n.store.open()
	if err != nil {
		return false, err
	}
	_, err = b.kv.Get(ctx, leaseKey(instance))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("lease of instance %s: %w", instance, err)
	}
	return true, nil
}

func (n *node) Publish(page string, msg []byte) error {
	return n.nc.Publish(n.pageSubject(page), msg)
}

func (n *node) Subscribe(page string, deliver func(msg []byte)) (func(), error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errors.New("cluster: closed")
	}
	sub, err := n.nc.Subscribe(n.pageSubject(page), func(m *nats.Msg) {
		if !n.enter() {
			return
		}
		defer n.running.Done()
		deliver(m.Data)
	})
	if err != nil {
		return nil, err
	}
	n.subs[sub] = struct{}{}
	return func() { n.unsubscribe(sub) }, nil
}

// unsubscribe ends sub without waiting for a delivery in progress.
func (n *node) unsubscribe(sub *nats.Subscription) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.subs[sub]; ok {
		delete(n.subs, sub)
		sub.Unsubscribe()
	}
}

func (n *node) Request(ctx context.Context, instance string, msg []byte) ([]byte, error) {
	m, err := n.nc.RequestWithContext(ctx, n.instanceSubject(instance), msg)
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

func (n *node) Send(instance string, msg []byte) error {
	return n.nc.Publish(n.instanceSubject(instance), msg)
}

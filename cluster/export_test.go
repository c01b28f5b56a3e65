package cluster

import (
	"context"

	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
)

// StartedStore returns the store of a started instance on nc, and the
// instance's Close, for tests of the store alone.
func StartedStore(nc *nats.Conn, opts ...Option) (livetemplate.Store, func() error, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	n := newNode(nc, &cfg)
	if err := n.Start(func(context.Context, []byte) []byte { return nil }, func() {}); err != nil {
		return nil, nil, err
	}
	return n.Store(), n.Close, nil
}

package cluster_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/internal/storetest"
)

// TestStoreContract runs the Store contract on the cluster's store: a
// bucket of its own per test, on one server.
func TestStoreContract(t *testing.T) {
	ns := startNATS(t)
	n := 0
	storetest.Run(t, func(t *testing.T) livetemplate.Store {
		n++
		return openStore(t, ns, "contract"+strconv.Itoa(n))
	}, time.Second, false)
}

// openStore returns the store of a started cluster node on bucket.
func openStore(t *testing.T, ns *natsServer, bucket string) livetemplate.Store {
	t.Helper()
	return records(t, ns, cluster.WithBucket(bucket), cluster.WithState[any]("t"), cluster.WithState[any]("other"))
}

// records returns the store of a cluster node of its own on ns, started
// for the test (the counter's state type, then opts), to read the records
// that the instances wrote.
func records(t *testing.T, ns *natsServer, opts ...cluster.Option) livetemplate.Store {
	t.Helper()
	nc := ns.connect(t)
	t.Cleanup(nc.Close)
	s, closeNode, err := cluster.StartedStore(nc, append([]cluster.Option{cluster.WithState[counter]("counter")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeNode() })
	return s
}

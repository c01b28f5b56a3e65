// Package clusterbench measures a LiveTemplate application scaled out on
// NATS: three instances in this process on an embedded NATS server with
// JetStream, clients of one page spread over them. cmd/ltbench runs it as
// its cluster suite; BENCHMARKS.md says what it measured last.
package clusterbench

import (
	"cmp"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/embedded"
	"github.com/livetemplate/livetemplate/cluster/internal/clustertest"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// Options size the measurements. A zero field takes its default.
type Options struct {
	Clients int           // clients of the page, spread over the instances; default 300
	Updates int           // updates whose arrival the fan-out measures; default 50
	Events  int           // events each of the two senders sends in the takeover; default 60
	Lease   time.Duration // the instances' lease; default 1 s

	// The rolling restart: RollingClients clients of RollingPages pages
	// send events, Think apart, on instances with the lease RollingLease,
	// while each instance in turn shuts down and starts again, Steady
	// apart. Defaults: 300 clients, 30 pages, 1 s, the cluster's
	// default lease (cluster.DefaultLease), 1 s.
	RollingClients int
	RollingPages   int
	Think          time.Duration
	RollingLease   time.Duration
	Steady         time.Duration
}

// Result is what Run measured.
type Result struct {
	// FanoutP99 is the 99th percentile, over every client and update, of
	// the time from an event sent by a client of one instance to its diff
	// at a client of any instance.
	FanoutP99 time.Duration
	// Takeover is the time from the owner's death until the first event
	// sent after it is acknowledged.
	Takeover time.Duration
	// LostAcked counts the acknowledged events that the page does not hold
	// after the takeover; Duplicated those it holds more than once.
	LostAcked, Duplicated int
	// RollingStallP99 is the 99th percentile, over the rolling restart's
	// clients, of each client's longest wait for an event's ack (resends
	// and reconnections included) during the whole restart.
	RollingStallP99 time.Duration
	// RollingLostAcked and RollingDuplicated count, after the rolling
	// restart, the acknowledged events that the pages do not hold and
	// those they hold more than once.
	RollingLostAcked, RollingDuplicated int
}

// Metrics returns r as named values in the units of cmd/ltbench's metrics.
func (r Result) Metrics() map[string]float64 {
	return map[string]float64{
		"cluster.fanout_p99_ms":      float64(r.FanoutP99.Microseconds()) / 1000,
		"cluster.kill_takeover_ms":   float64(r.Takeover.Microseconds()) / 1000,
		"cluster.lost_acked_updates": float64(r.LostAcked),
		"cluster.duplicated_updates": float64(r.Duplicated),

		"cluster.rolling_restart_stall_p99_ms": float64(r.RollingStallP99.Microseconds()) / 1000,
		"cluster.rolling_restart_lost_acked":   float64(r.RollingLostAcked),
		"cluster.rolling_restart_duplicated":   float64(r.RollingDuplicated),
	}
}

const instances = 3

func (o *Options) defaults() {
	if o.Clients <= 0 {
		o.Clients = 300
	}
	if o.Updates <= 0 {
		o.Updates = 50
	}
	if o.Events <= 0 {
		o.Events = 60
	}
	if o.Lease <= 0 {
		o.Lease = time.Second
	}
	o.RollingClients = cmp.Or(max(o.RollingClients, 0), 300)
	o.RollingPages = cmp.Or(max(o.RollingPages, 0), 30)
	o.Think = cmp.Or(max(o.Think, 0), time.Second)
	o.RollingLease = cmp.Or(max(o.RollingLease, 0), cluster.DefaultLease)
	o.Steady = cmp.Or(max(o.Steady, 0), time.Second)
}

// Run measures the fan-out, the takeover and the rolling restart, each on a
// cluster of its own, within ctx.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts.defaults()
	var r Result
	var err error
	if r.FanoutP99, err = fanout(ctx, opts); err != nil {
		return r, fmt.Errorf("clusterbench: fan-out: %w", err)
	}
	if r.Takeover, r.LostAcked, r.Duplicated, err = takeover(ctx, opts); err != nil {
		return r, fmt.Errorf("clusterbench: takeover: %w", err)
	}
	if r.RollingStallP99, r.RollingLostAcked, r.RollingDuplicated, err = rolling(ctx, opts); err != nil {
		return r, fmt.Errorf("clusterbench: rolling restart: %w", err)
	}
	return r, nil
}

// counter is the page's state: how many events ran, and their ids.
type counter = clustertest.Counter

var signingKey = []byte("clusterbench-signing-key-32-bytes!")

// bench is a NATS server and the instances on it.
type bench struct {
	dir string
	srv *server.Server

	mu    sync.Mutex // guards nodes, which the rolling restart replaces
	nodes []*node
}

// node is one instance: its NATS connection, application and endpoint.
type node struct {
	nc   *nats.Conn
	app  *livetemplate.Application
	http *httptest.Server
	once sync.Once
}

func start(lease time.Duration) (*bench, error) {
	dir, err := os.MkdirTemp("", "clusterbench")
	if err != nil {
		return nil, err
	}
	b := &bench{dir: dir}
	if b.srv, err = embedded.Start(embedded.Config{Dir: dir}); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for range instances {
		n, err := b.startNode(lease)
		if err != nil {
			b.close()
			return nil, err
		}
		b.nodes = append(b.nodes, n)
	}
	return b, nil
}

func (b *bench) startNode(lease time.Duration) (*node, error) {
	nc, err := nats.Connect(b.srv.ClientURL(), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	app, err := livetemplate.NewApplication(
		livetemplate.WithSigningKeys(signingKey),
		livetemplate.WithEventRate(1000, 1000),
		// Every client dials from loopback, one address: no limit per client.
		livetemplate.WithMaxClientConnections(1<<20),
		cluster.WithNATS(nc, cluster.WithState[counter]("counter"), cluster.WithLease(lease)),
	)
	if err != nil {
		nc.Close()
		return nil, err
	}
	n := &node{nc: nc, app: app}
	if err := setUp(app); err != nil {
		n.kill()
		return nil, err
	}
	n.http = httptest.NewServer(app.Handler())
	return n, nil
}

func setUp(app *livetemplate.Application) error { return clustertest.Register(app) }

// kill ends the instance as a crash would: its NATS connection first.
func (n *node) kill() {
	n.once.Do(func() {
		n.nc.Close()
		if n.http != nil {
			n.http.CloseClientConnections()
			n.http.Close()
		}
		n.app.Close()
	})
}

func (b *bench) close() {
	b.mu.Lock()
	nodes := b.nodes
	b.mu.Unlock()
	for _, n := range nodes {
		n.kill()
	}
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	os.RemoveAll(b.dir)
}

// joined is the clients of one page, spread over the instances.
type joined struct {
	clients []*livetemplatetest.Client
	pages   []*livetemplatetest.Page
}

func (b *bench) join(ctx context.Context, tok string, n int) (*joined, error) {
	j := new(joined)
	for i := range n {
		c, err := livetemplatetest.Dial(ctx, b.nodes[i%len(b.nodes)].http.URL)
		if err != nil {
			j.close()
			return nil, err
		}
		j.clients = append(j.clients, c)
		p, err := c.Join(ctx, tok)
		if err != nil {
			j.close()
			return nil, err
		}
		j.pages = append(j.pages, p)
	}
	return j, nil
}

func (j *joined) close() {
	for _, c := range j.clients {
		c.Close()
	}
}

// fanout sends Updates events, one at a time, from a client of the second
// instance (the page's owner is the first), and measures each diff's arrival
// at every client.
func fanout(ctx context.Context, opts Options) (time.Duration, error) {
	b, err := start(opts.Lease)
	if err != nil {
		return 0, err
	}
	defer b.close()
	page, err := b.nodes[0].app.NewPage("counter", counter{})
	if err != nil {
		return 0, err
	}
	j, err := b.join(ctx, page.GetToken(), opts.Clients+1)
	if err != nil {
		return 0, err
	}
	defer j.close()
	sender, watchers := j.pages[1], slices.Delete(slices.Clone(j.pages), 1, 2)
	var lat []time.Duration
	for i := range opts.Updates {
		v := page.Version() + 1
		sent := time.Now()
		arrived := make(chan time.Duration, len(watchers))
		for _, p := range watchers {
			go func() {
				if p.WaitVersion(ctx, v) == nil {
					arrived <- time.Since(sent)
				} else {
					arrived <- -1
				}
			}()
		}
		if err := sender.EventID(ctx, fmt.Sprintf("u%d", i), "add", nil); err != nil {
			return 0, err
		}
		for range watchers {
			d := <-arrived
			if d < 0 {
				return 0, fmt.Errorf("update %d did not reach a client: %w", i, ctx.Err())
			}
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100], nil
}

// takeover has two clients, of the second and third instances, send events
// (each resent with its id until acknowledged) while the page's owner, the
// first instance, is killed; it returns the time until the first event sent
// after the death was acknowledged, and counts the acknowledged events
// missing from the page and those in it twice.
func takeover(ctx context.Context, opts Options) (time.Duration, int, int, error) {
	b, err := start(opts.Lease)
	if err != nil {
		return 0, 0, 0, err
	}
	defer b.close()
	page, err := b.nodes[0].app.NewPage("counter", counter{})
	if err != nil {
		return 0, 0, 0, err
	}
	j, err := b.join(ctx, page.GetToken(), 6) // two clients per instance; those of the first die with it
	if err != nil {
		return 0, 0, 0, err
	}
	defer j.close()
	s := &stream{killAt: int32(opts.Events / 2), kill: b.nodes[0].kill}
	var wg sync.WaitGroup
	for i, p := range []*livetemplatetest.Page{j.pages[1], j.pages[2]} {
		wg.Go(func() { s.send(ctx, p, i, opts.Events) })
	}
	wg.Wait()
	if s.err != nil {
		return 0, 0, 0, s.err
	}
	log, err := storedLog(b.srv.ClientURL(), page.GetToken())
	if err != nil {
		return 0, 0, 0, err
	}
	lost, twice := clustertest.Audit(s.acked, log)
	return s.firstAfter.Sub(s.killed), lost, twice, nil
}

// stream is the takeover's senders' shared state.
type stream struct {
	killAt int32
	kill   func()
	n      atomic.Int32

	mu         sync.Mutex
	acked      []string
	killed     time.Time
	firstAfter time.Time
	err        error
}

func (s *stream) send(ctx context.Context, p *livetemplatetest.Page, sender, events int) {
	for i := range events {
		id := fmt.Sprintf("s%d-%d", sender, i)
		sent := time.Now()
		if err := clustertest.Resend(ctx, p, id); err != nil {
			s.mu.Lock()
			s.err = fmt.Errorf("event %s: %w", id, err)
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.acked = append(s.acked, id)
		if !s.killed.IsZero() && sent.After(s.killed) && s.firstAfter.IsZero() {
			s.firstAfter = time.Now()
		}
		s.mu.Unlock()
		if s.n.Add(1) == s.killAt {
			s.mu.Lock()
			s.killed = time.Now()
			s.mu.Unlock()
			s.kill()
		}
	}
}

// storedLog reads the page's log from its record in the bucket (see
// storedLogs).
func storedLog(url, tok string) ([]string, error) {
	logs, err := storedLogs(url, []string{tok})
	if err != nil {
		return nil, err
	}
	return logs[0], nil
}

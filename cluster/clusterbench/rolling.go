package clusterbench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/internal/clustertest"
)

// shutdownTimeout bounds an instance's graceful shutdown in the rolling
// restart.
const shutdownTimeout = 10 * time.Second

// shutdown ends the instance as a deploy does: Application.Shutdown, which
// hands its pages off, then its endpoint and NATS connection.
func (n *node) shutdown() error {
	var err error
	n.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		err = n.app.Shutdown(ctx)
		n.http.Close()
		n.nc.Close()
	})
	return err
}

// urls returns the endpoints of the instances running now.
func (b *bench) urls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	urls := make([]string, 0, len(b.nodes))
	for _, n := range b.nodes {
		urls = append(urls, n.http.URL)
	}
	return urls
}

// restartOldest shuts the oldest instance down gracefully and starts a new
// one in its place, as a rolling deploy does.
func (b *bench) restartOldest(lease time.Duration) error {
	b.mu.Lock()
	old := b.nodes[0]
	b.nodes = slices.Delete(b.nodes, 0, 1)
	b.mu.Unlock()
	if err := old.shutdown(); err != nil {
		return err
	}
	n, err := b.startNode(lease)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nodes = append(b.nodes, n)
	return nil
}

// roaming is the rolling restart's clients and what they measured.
type roaming struct {
	pages   int
	clients []*clustertest.Roamer

	mu      sync.Mutex
	acked   [][]string      // by page
	longest []time.Duration // by client: the longest wait for an ack
	err     error
}

// rolling has RollingClients clients of RollingPages pages, spread
// over the instances, send events (each resent with its id, on another
// instance after theirs shut down) while each instance in turn shuts down
// and starts again. It returns the 99th percentile over clients of the
// longest wait for an ack, and counts the acknowledged events missing from
// the pages and those in them twice.
func rolling(ctx context.Context, opts Options) (time.Duration, int, int, error) {
	b, err := start(opts.RollingLease)
	if err != nil {
		return 0, 0, 0, err
	}
	defer b.close()
	toks, err := b.spreadPages(opts.RollingPages)
	if err != nil {
		return 0, 0, 0, err
	}
	r := &roaming{pages: len(toks), acked: make([][]string, len(toks)), longest: make([]time.Duration, opts.RollingClients)}
	defer r.close()
	for i := range opts.RollingClients {
		ro, err := clustertest.NewRoamer(ctx, func() []string { return rotate(b.urls(), i) }, toks[i%len(toks)])
		if err != nil {
			return 0, 0, 0, err
		}
		r.clients = append(r.clients, ro)
	}
	sending, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for i := range r.clients {
		wg.Go(func() { r.send(ctx, sending, i, opts.Think) })
	}
	err = restartEach(sending, b, opts)
	stop()
	wg.Wait()
	if err == nil {
		err = r.err
	}
	if err != nil {
		return 0, 0, 0, err
	}
	lost, twice, err := r.audit(b.srv.ClientURL(), toks)
	slices.Sort(r.longest)
	return r.longest[len(r.longest)*99/100], lost, twice, err
}

// spreadPages makes n counter pages, owned in turn by each instance.
func (b *bench) spreadPages(n int) ([]string, error) {
	toks := make([]string, 0, n)
	for i := range n {
		p, err := b.nodes[i%len(b.nodes)].app.NewPage("counter", counter{})
		if err != nil {
			return nil, err
		}
		toks = append(toks, p.GetToken())
	}
	return toks, nil
}

// restartEach restarts each instance in turn, Steady apart, after Steady of
// traffic and before Steady more.
func restartEach(ctx context.Context, b *bench, opts Options) error {
	for range instances {
		if err := sleep(ctx, opts.Steady); err != nil {
			return err
		}
		if err := b.restartOldest(opts.RollingLease); err != nil {
			return fmt.Errorf("restart: %w", err)
		}
	}
	return sleep(ctx, opts.Steady)
}

// send has client i send events, Think apart, until sending is done; an
// event sent by then is resent until acknowledged (or ctx is done).
func (r *roaming) send(ctx, sending context.Context, i int, think time.Duration) {
	ro := r.clients[i]
	// The clients start spread over a think time, as users do.
	sleep(sending, think*time.Duration(i)/time.Duration(len(r.clients)))
	for j := 0; sending.Err() == nil; j++ {
		id := fmt.Sprintf("c%d-%d", i, j)
		sent := time.Now()
		if err := ro.Send(ctx, "add", id); err != nil {
			r.mu.Lock()
			r.err = fmt.Errorf("client %d: %w", i, err)
			r.mu.Unlock()
			return
		}
		waited := time.Since(sent)
		r.mu.Lock()
		r.acked[i%r.pages] = append(r.acked[i%r.pages], id)
		r.longest[i] = max(r.longest[i], waited)
		r.mu.Unlock()
		sleep(sending, think)
	}
}

// audit reads the pages' logs from their records and counts the
// acknowledged events missing from them and those in them twice.
func (r *roaming) audit(url string, toks []string) (lost, twice int, err error) {
	logs, err := storedLogs(url, toks)
	if err != nil {
		return 0, 0, err
	}
	for k, log := range logs {
		l, t := clustertest.Audit(r.acked[k], log)
		lost, twice = lost+l, twice+t
	}
	return lost, twice, nil
}

func (r *roaming) close() {
	for _, ro := range r.clients {
		ro.Close()
	}
}

// storedLogs reads the pages' logs from their records in the bucket, by
// loading the pages in a new instance.
func storedLogs(url string, toks []string) ([][]string, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	app, err := livetemplate.NewApplication(livetemplate.WithSigningKeys(signingKey), cluster.WithNATS(nc, cluster.WithState[counter]("counter")))
	if err != nil {
		return nil, err
	}
	defer app.Close()
	if err := setUp(app); err != nil {
		return nil, err
	}
	logs := make([][]string, 0, len(toks))
	for _, tok := range toks {
		p, err := app.GetPage(tok)
		if err != nil {
			return nil, err
		}
		logs = append(logs, p.Data().(counter).Log)
	}
	return logs, nil
}

// rotate returns urls starting at the i-th, so that clients spread over the
// instances.
func rotate(urls []string, i int) []string {
	if len(urls) == 0 {
		return nil
	}
	i %= len(urls)
	return append(slices.Clone(urls[i:]), urls[:i]...)
}

// sleep waits for d, or fails with ctx's error.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package clusterbench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/embedded"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TopicsOptions size the measurements of topics on the cluster. A zero
// field takes its default.
type TopicsOptions struct {
	Pages   int // per-user pages of the fan-out, spread over the instances, one client each; default 1,000
	Fanouts int // publishes whose arrival at every client the fan-out measures; default 5

	// The audit: Publishes messages to AuditPages pages, while the
	// instance that owns a third of them is killed after a third of the
	// messages. Defaults: 1,000 and 30.
	Publishes  int
	AuditPages int
	Lease      time.Duration // the instances' lease; default 1 s
}

func (o *TopicsOptions) defaults() {
	o.Pages = cmp.Or(max(o.Pages, 0), 1000)
	o.Fanouts = cmp.Or(max(o.Fanouts, 0), 5)
	o.Publishes = cmp.Or(max(o.Publishes, 0), 1000)
	o.AuditPages = cmp.Or(max(o.AuditPages, 0), 30)
	o.Lease = cmp.Or(max(o.Lease, 0), time.Second)
}

// TopicsResult is what RunTopics measured.
type TopicsResult struct {
	// FanoutP99 is the 99th percentile, over every client and publish, of
	// the time from Application.Publish on one instance to a client's
	// read of its page's diff, the page owned by another instance than
	// the client's.
	FanoutP99 time.Duration
	// Lost counts the messages that a page of the audit did not run;
	// Duplicated the runs of a message on a page past its first.
	Lost, Duplicated int
}

// Metrics returns r as named values in the units of cmd/ltbench's metrics.
func (r TopicsResult) Metrics() map[string]float64 {
	return map[string]float64{
		"topics.cluster_fanout_p99_ms": float64(r.FanoutP99.Microseconds()) / 1000,
		"topics.lost":                  float64(r.Lost),
		"topics.duplicated":            float64(r.Duplicated),
	}
}

// RunTopics measures the fan-out of a message to per-user pages spread
// over three instances, and audits the runs of messages across the death
// of an instance, each on a cluster of its own, within ctx.
func RunTopics(ctx context.Context, opts TopicsOptions) (TopicsResult, error) {
	opts.defaults()
	var r TopicsResult
	var err error
	if r.FanoutP99, err = topicFanout(ctx, opts); err != nil {
		return r, fmt.Errorf("clusterbench: topics fan-out: %w", err)
	}
	if r.Lost, r.Duplicated, err = topicAudit(ctx, opts); err != nil {
		return r, fmt.Errorf("clusterbench: topics audit: %w", err)
	}
	return r, nil
}

// inbox is a per-user page: which messages ran on it, as a bit set by the
// messages' numbers, how many ran again, and the latest.
type inbox struct {
	User int
	Seen []byte
	Dups int
	Last int
}

var inboxTemplate = template.Must(template.New("inbox").Parse(`<h1>user {{.User}}</h1><p>note {{.Last}}</p>`))

// handleNote runs a message, its number, on a page.
func handleNote(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
	var n int
	if err := m.Decode(&n); err != nil {
		return err
	}
	_, err := p.Modify(ctx, func(data any) (any, error) {
		in := data.(inbox)
		seen := slices.Clone(in.Seen)
		if k := n/8 + 1; len(seen) < k {
			seen = append(seen, make([]byte, k-len(seen))...)
		}
		if seen[n/8]&(1<<(n%8)) != 0 {
			in.Dups++
		}
		seen[n/8] |= 1 << (n % 8)
		in.Seen, in.Last = seen, n
		return in, nil
	})
	return err
}

// startTopics starts an embedded NATS server and three instances whose
// pages of the template "inbox" handle the topic "notes". A sweep of
// watched pages every quarter of ttl takes a dead owner's pages over.
func startTopics(lease, ttl time.Duration) (*bench, error) {
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
		n, err := startInbox(b.srv.ClientURL(), lease, ttl)
		if err != nil {
			b.close()
			return nil, err
		}
		b.nodes = append(b.nodes, n)
	}
	return b, nil
}

func startInbox(url string, lease, ttl time.Duration) (*node, error) {
	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	app, err := openInbox(nc, lease, ttl)
	if err != nil {
		nc.Close()
		return nil, err
	}
	n := &node{nc: nc, app: app}
	n.http = httptest.NewServer(app.Handler())
	return n, nil
}

func openInbox(nc *nats.Conn, lease, ttl time.Duration) (*livetemplate.Application, error) {
	app, err := livetemplate.NewApplication(
		livetemplate.WithSigningKeys(signingKey),
		livetemplate.WithMaxClientConnections(1<<20),
		livetemplate.WithIdleTTL(ttl), livetemplate.WithUnjoinedTTL(ttl),
		livetemplate.WithTopicQueue(1<<16),
		cluster.WithNATS(nc, cluster.WithState[inbox]("inbox"), cluster.WithLease(lease)),
	)
	if err != nil {
		return nil, err
	}
	err = app.RegisterTemplate("inbox", inboxTemplate)
	if err == nil {
		err = app.HandleTopic("inbox", "notes", handleNote)
	}
	if err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// inboxes makes n pages, the i-th owned by instance i%3, each with a
// client of each of the next watchers instances (the k-th client of page i
// is pages[k*n+i]), and returns the pages' tokens and clients.
func (b *bench) inboxes(ctx context.Context, n, watchers int) ([]string, *joined, error) {
	j := new(joined)
	toks := make([]string, n)
	for i := range toks {
		p, err := b.nodes[i%len(b.nodes)].app.NewPage("inbox", inbox{User: i})
		if err != nil {
			return nil, nil, err
		}
		toks[i] = p.GetToken()
	}
	for k := 1; k <= watchers; k++ {
		for i, tok := range toks {
			if err := j.add(ctx, b.nodes[(i+k)%len(b.nodes)].http.URL, tok); err != nil {
				j.close()
				return nil, nil, err
			}
		}
	}
	return toks, j, nil
}

// add joins the page of tok from a client of its own on url.
func (j *joined) add(ctx context.Context, url, tok string) error {
	c, err := livetemplatetest.Dial(ctx, url)
	if err != nil {
		return err
	}
	j.clients = append(j.clients, c)
	p, err := c.Join(ctx, tok)
	if err != nil {
		return err
	}
	j.pages = append(j.pages, p)
	return nil
}

// audit reads the pages' records and counts, over messages 0 to n-1, those
// a page did not run (all of them for a page that ended) and those it ran
// again.
func audit(url string, toks []string, n int) (lost, duplicated int, err error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	app, err := openInbox(nc, time.Second, 2*time.Minute)
	if err != nil {
		return 0, 0, err
	}
	defer app.Close()
	for _, tok := range toks {
		p, err := app.GetPage(tok)
		if errors.Is(err, livetemplate.ErrPageNotFound) {
			lost += n // the page ended: it runs no message any more
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		in := p.Data().(inbox)
		for k := range n {
			if k/8 >= len(in.Seen) || in.Seen[k/8]&(1<<(k%8)) == 0 {
				lost++
			}
		}
		duplicated += in.Dups
	}
	return lost, duplicated, nil
}

// topicFanout publishes Fanouts messages from the first instance, each once
// every client has read the one before, and returns the 99th percentile of
// the arrivals.
func topicFanout(ctx context.Context, opts TopicsOptions) (time.Duration, error) {
	b, err := startTopics(opts.Lease, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	defer b.close()
	_, j, err := b.inboxes(ctx, opts.Pages, 1)
	if err != nil {
		return 0, err
	}
	defer j.close()
	var lat []time.Duration
	for k := 1; k <= opts.Fanouts; k++ {
		ds, err := publishAwait(ctx, b.nodes[0].app, j.pages, k)
		if err != nil {
			return 0, fmt.Errorf("publish %d: %w", k, err)
		}
		lat = append(lat, ds...)
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100], nil
}

// publishAwait publishes the message k and returns how long after each
// client of pages read it.
func publishAwait(ctx context.Context, app *livetemplate.Application, pages []*livetemplatetest.Page, k int) ([]time.Duration, error) {
	want := fmt.Sprintf("<p>note %d</p>", k)
	ds := make([]time.Duration, len(pages))
	errs := make([]error, len(pages))
	start := time.Now()
	if _, err := app.Publish(ctx, "notes", k); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	for i, p := range pages {
		wg.Go(func() {
			errs[i] = p.Wait(ctx, func(html string) bool { return containsAt(html, want) })
			ds[i] = time.Since(start)
		})
	}
	wg.Wait()
	return ds, errors.Join(errs...)
}

func containsAt(html, want string) bool {
	return len(html) >= len(want) && html[len(html)-len(want):] == want
}

// auditWait bounds the wait for the pages of the audit to run the last
// message.
const auditWait = 30 * time.Second

// topicAudit publishes Publishes messages to AuditPages pages, kills the
// third instance after a third of them, waits until every page that
// remains live ran every message, and counts the messages lost and run
// twice.
func topicAudit(ctx context.Context, opts TopicsOptions) (lost, duplicated int, err error) {
	// Watched pages of a dead owner are taken over at the next sweep: a
	// quarter of the times to live. Shorter ones let the pages of a loaded
	// owner expire while the followers are busy taking pages over.
	b, err := startTopics(opts.Lease, 8*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer b.close()
	// Two clients a page, on the two instances that do not own it: every
	// page stays watched after the kill.
	toks, j, err := b.inboxes(ctx, opts.AuditPages, 2)
	if err != nil {
		return 0, 0, err
	}
	defer j.close()
	for k := range opts.Publishes {
		if k == opts.Publishes/3 {
			b.nodes[2].kill()
		}
		if _, err := b.nodes[k%2].app.Publish(ctx, "notes", k); err != nil {
			return 0, 0, fmt.Errorf("publish %d: %w", k, err)
		}
	}
	// A page that lost messages may never show the last: the audit
	// counts what the pages hold after auditWait at most.
	wctx, cancel := context.WithTimeout(ctx, auditWait)
	defer cancel()
	last := fmt.Sprintf("<p>note %d</p>", opts.Publishes-1)
	for i, p := range j.pages {
		if (i%len(toks)+i/len(toks)+1)%len(b.nodes) == 2 { // its client was on the dead instance
			continue
		}
		err := p.Wait(wctx, func(html string) bool { return containsAt(html, last) })
		if wctx.Err() != nil {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("page %d: %w", i, err)
		}
	}
	return audit(b.srv.ClientURL(), toks, opts.Publishes)
}

package ltbench

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
)

func init() { Register("topics", runTopics) }

// topicPages is how many per-user pages (and clients, one each) the topics
// suite publishes to.
const topicPages = 1000

// clusterTopics measures topics on a cluster, if cmd/ltbench set it (see
// SetClusterTopics): this module does not import NATS.
var clusterTopics func(ctx context.Context, pages int) ([]Metric, error)

// SetClusterTopics makes the topics suite run fn too, after its own
// measures, with the number of per-user pages to spread over the cluster,
// and report fn's metrics.
func SetClusterTopics(fn func(ctx context.Context, pages int) ([]Metric, error)) {
	clusterTopics = fn
}

// runTopics measures topics on one instance: how long one Publish takes to
// reach the clients of 1,000 per-user pages, each page running its own
// handler and template, and whether every page ran every message once;
// then on a cluster, if SetClusterTopics set how.
func runTopics(opts Options) ([]Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	r, err := topicFanout(ctx, min(topicPages, Conns), opts.Rounds)
	if err != nil {
		return nil, err
	}
	count := func(name string, n int) Metric { return Metric{Name: name, Value: float64(n), Unit: "messages"} }
	ms := []Metric{
		millis("topics.fanout_p50_ms", percentileMs(r.lat, 50)),
		// Each page runs a handler and its template: 1,000 of them within
		// twice a single page's fan-out to 1,000 clients.
		millis("topics.fanout_p99_ms", percentileMs(r.lat, 99)).WithGoal(100),
		count("topics.lost", r.lost).WithGoal(0),
		count("topics.duplicated", r.duplicated).WithGoal(0),
	}
	if clusterTopics == nil {
		return ms, nil
	}
	cms, err := clusterTopics(ctx, min(topicPages, Conns))
	if err != nil {
		return nil, err
	}
	return mergeCounts(ms, cms), nil
}

// mergeCounts returns ms with the metrics of cms: those of a name in ms
// (the counts of messages lost and run twice) add to its value, the others
// follow.
func mergeCounts(ms, cms []Metric) []Metric {
	for _, c := range cms {
		i := slices.IndexFunc(ms, func(m Metric) bool { return m.Name == c.Name })
		if i < 0 {
			ms = append(ms, c)
			continue
		}
		ms[i].Value += c.Value
	}
	return ms
}

// topicResult is what topicFanout measured.
type topicResult struct {
	lat              []time.Duration
	lost, duplicated int
}

// inbox is a per-user page of the suite: the latest notes of its user.
type inbox struct {
	User  int
	Notes []string
}

var inboxTemplate = template.Must(template.New("inbox").Parse(`<h1>user {{.User}}</h1><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>`))

// topicServer is an application with n inbox pages that handle the topic
// "notes", served on loopback; runs counts each page's runs of each
// message.
type topicServer struct {
	app   *livetemplate.Application
	urls  []string // per page: the endpoint's URL with its token
	http  *http.Server
	mu    sync.Mutex
	runs  map[string]int // page id + message id -> runs
	pages []*livetemplate.Page
}

func startTopicServer(n int) (*topicServer, error) {
	app, err := livetemplate.NewApplication(livetemplate.WithMaxClientConnections(math.MaxInt32), livetemplate.WithTopicQueue(n))
	if err != nil {
		return nil, err
	}
	s := &topicServer{app: app, runs: map[string]int{}, http: &http.Server{Handler: app.Handler()}}
	if err := app.RegisterTemplate("inbox", inboxTemplate); err != nil {
		app.Close()
		return nil, err
	}
	if err := app.HandleTopic("inbox", "notes", s.handle); err != nil {
		app.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		app.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	for i := range n {
		p, err := app.NewPage("inbox", inbox{User: i})
		if err != nil {
			app.Close()
			ln.Close()
			return nil, err
		}
		s.pages = append(s.pages, p)
		s.urls = append(s.urls, "ws://"+ln.Addr().String()+"/?token="+url.QueryEscape(p.GetToken()))
	}
	go s.http.Serve(ln)
	return s, nil
}

// handle is the pages' handler of "notes": it keeps the latest notes.
func (s *topicServer) handle(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
	s.mu.Lock()
	s.runs[p.ID()+"/"+m.ID]++
	s.mu.Unlock()
	var note string
	if err := m.Decode(&note); err != nil {
		return err
	}
	_, err := p.Modify(ctx, func(data any) (any, error) {
		in := data.(inbox)
		in.Notes = append(slices.Clone(in.Notes[max(0, len(in.Notes)-4):]), note)
		return in, nil
	})
	return err
}

func (s *topicServer) close() {
	s.app.Close()
	s.http.Close()
}

// topicFanout publishes rounds messages to n pages, each with a client,
// one message at a time, and measures from each Publish to each client's
// read of its page's diff.
func topicFanout(ctx context.Context, n, rounds int) (topicResult, error) {
	s, err := startTopicServer(n)
	if err != nil {
		return topicResult{}, err
	}
	defer s.close()
	conns := make([]*websocket.Conn, 0, n)
	defer func() { closeAll(conns) }()
	for _, u := range s.urls {
		ws, err := dialJoined(ctx, u)
		if err != nil {
			return topicResult{}, err
		}
		conns = append(conns, ws)
	}
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	arrived := make(chan struct{}, n)
	got := make([][]arrival, n)
	var wg sync.WaitGroup
	for i, ws := range conns {
		wg.Go(func() { got[i] = readDiffs(readCtx, ws, arrived) })
	}
	ids, starts, err := s.publish(ctx, rounds, n, arrived)
	stop() // ends the reads, and with them the connections
	wg.Wait()
	if err != nil {
		return topicResult{}, err
	}
	var r topicResult
	for _, as := range got {
		for k, a := range as {
			if k < len(starts) {
				r.lat = append(r.lat, a.at.Sub(starts[k]))
			}
		}
	}
	r.lost, r.duplicated = s.audit(ids)
	return r, nil
}

// publish publishes rounds messages, each once every client has read the
// diff of the one before, and returns their ids and when each was
// published.
func (s *topicServer) publish(ctx context.Context, rounds, clients int, arrived <-chan struct{}) ([]string, []time.Time, error) {
	var ids []string
	var starts []time.Time
	for i := range rounds {
		starts = append(starts, time.Now())
		id, err := s.app.Publish(ctx, "notes", fmt.Sprint("note ", i))
		if err != nil {
			return nil, nil, fmt.Errorf("publish %d: %w", i, err)
		}
		ids = append(ids, id)
		if err := awaitArrivals(ctx, arrived, clients); err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", i, err)
		}
	}
	return ids, starts, nil
}

// audit counts the pages that did not run a message, and the runs of a
// message on a page past its first.
func (s *topicServer) audit(ids []string) (lost, duplicated int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pages {
		for _, id := range ids {
			switch n := s.runs[p.ID()+"/"+id]; {
			case n == 0:
				lost++
			case n > 1:
				duplicated += n - 1
			}
		}
	}
	return lost, duplicated
}

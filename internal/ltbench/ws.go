package ltbench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
)

func init() { Register("ws", runWS) }

// DefaultConns is the default of [Conns].
const DefaultConns = 10_000

// Conns is how many idle connections the ws suite holds to measure the
// memory of one. It also caps the suite's other clients (1,000 for the
// fan-out, 100 for the events), so that a test can make the whole suite
// small. cmd/ltbench sets it from -conns. It would belong in [Options],
// beside Pages; it is a variable here so that adding the suite touched no
// other suite's file.
var Conns = DefaultConns

const (
	fanoutClients = 1000
	eventClients  = 100
	// eventDurations is how many Options.Duration the events run: 2 s by
	// default, long enough that the start and the end weigh little.
	eventDurations = 50
	// wsTimeout bounds the whole suite: setting up 10,000 connections on
	// two cores takes some seconds, not minutes.
	wsTimeout = 10 * time.Minute
	// arrivalTimeout bounds the wait for one update's diff to reach every
	// client, and ackTimeout that for an event's ack after the events end.
	arrivalTimeout = 10 * time.Second
	ackTimeout     = 10 * time.Second
)

// runWS measures the WebSocket endpoint over loopback: the memory of an idle
// joined connection, the latency of one update's diff to many clients, how
// many events a page handles a second, and the most memory one attacking
// connection can make the server hold.
func runWS(opts Options) ([]Metric, error) {
	if Conns < 1 {
		return nil, fmt.Errorf("conns (%d) must be positive", Conns)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsTimeout)
	defer cancel()
	// The idle connections come first, on a heap that no other phase has
	// fragmented.
	idle, err := idleConns(ctx, Conns)
	if err != nil {
		return nil, fmt.Errorf("idle connections: %w", err)
	}
	lat, err := fanout(ctx, min(fanoutClients, Conns), opts.Rounds)
	if err != nil {
		return nil, fmt.Errorf("fan-out: %w", err)
	}
	rate, err := eventRate(ctx, min(eventClients, Conns), eventDurations*opts.Duration)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	pinned, err := attackMemory(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("attacks: %w", err)
	}
	return append([]Metric{
		millis("ws.fanout_p50_ms", percentileMs(lat, 50)),
		// A change should look instant to everyone watching: 50 ms is
		// well under what a user notices, for 1,000 viewers of one page.
		millis("ws.fanout_p99_ms", percentileMs(lat, 99)).WithGoal(50),
		// 20 KiB a connection keeps 10,000 idle viewers within 200 MB.
		byteCount("ws.idle_conn_bytes", int(math.Round(idle.bytes))).WithGoal(20480),
		byteCount("ws.idle_conn_heap_bytes", int(math.Round(idle.heap))),
		byteCount("ws.idle_conn_stack_bytes", int(math.Round(idle.stack))),
		{Name: "ws.idle_conn_goroutines", Value: significant(idle.goroutines, 4), Unit: "goroutines"},
		{Name: "ws.events_per_sec", Value: significant(rate, 4), Unit: "events/s"},
	}, attackMetrics(pinned)...), nil
}

// attackMetrics are the memory each attack pinned, and the most of them:
// 8 MiB a connection keeps 100 attacking connections (the default limit
// of one client address) under 1 GB.
func attackMetrics(pinned map[string]int64) []Metric {
	var most int64
	ms := []Metric{{}}
	for _, name := range attackNames {
		most = max(most, pinned[name])
		ms = append(ms, byteCount("ws.attack_"+name+"_bytes", int(pinned[name])))
	}
	ms[0] = byteCount("ws.attack_max_conn_bytes", int(most)).WithGoal(8 << 20)
	return ms
}

// millis is a latency metric in milliseconds.
func millis(name string, ms float64) Metric {
	return Metric{Name: name, Value: significant(ms, 4), Unit: "ms"}
}

// percentileMs returns the p-th percentile of ds by nearest rank, in
// milliseconds.
func percentileMs(ds []time.Duration, p float64) float64 {
	s := slices.Sorted(slices.Values(ds))
	i := max(0, int(math.Ceil(p/100*float64(len(s))))-1)
	return float64(s[i]) / float64(time.Millisecond)
}

// wsServer is an application with one page, served on loopback by its
// Handler.
type wsServer struct {
	app    *livetemplate.Application
	page   *livetemplate.Page
	url    string // the endpoint's URL with the page's token: a client that dials it joins the page
	http   *http.Server
	served chan error
}

// startServer starts an application of the options with a page of tmpl
// and data, and serves its endpoint.
func startServer(tmpl *template.Template, data any, opts ...livetemplate.Option) (*wsServer, error) {
	// Every client of the suite dials from loopback: one address, which
	// may hold them all.
	opts = append([]livetemplate.Option{livetemplate.WithMaxClientConnections(math.MaxInt32)}, opts...)
	app, err := livetemplate.NewApplication(opts...)
	if err != nil {
		return nil, err
	}
	s := &wsServer{app: app, http: &http.Server{Handler: app.Handler()}, served: make(chan error, 1)}
	if err := app.RegisterTemplate("page", tmpl); err != nil {
		app.Close()
		return nil, err
	}
	if s.page, err = app.NewPage("page", data); err != nil {
		app.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		app.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.url = "ws://" + ln.Addr().String() + "/?token=" + url.QueryEscape(s.page.GetToken())
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// close closes the application, which ends its connections and waits for
// their handlers, then the HTTP server, and waits for it to stop serving.
func (s *wsServer) close() {
	s.app.Close()
	s.http.Close()
	<-s.served
}

// idleCost is what one idle joined connection costs the server, by each of
// the measures of [memory].
type idleCost struct{ bytes, heap, stack, goroutines float64 }

// idleConns measures the server's memory and goroutines before and while a
// client process holds n connections joined to one todo page.
func idleConns(ctx context.Context, n int) (idleCost, error) {
	// No heartbeat while measuring: a ping in flight has a writer
	// goroutine that an idle connection does not have.
	s, err := startServer(NewTodoTemplate(), NewTodoPage(pageRows), livetemplate.WithHeartbeat(time.Hour))
	if err != nil {
		return idleCost{}, err
	}
	defer s.close()
	before, err := serverMemory(ctx)
	if err != nil {
		return idleCost{}, err
	}
	var after memory
	err = withClients(ctx, s.url, n, func() (err error) {
		after, err = serverMemory(ctx)
		return err
	})
	if err != nil {
		return idleCost{}, err
	}
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	return idleCost{
		bytes:      per(after.total, before.total),
		heap:       per(after.heap, before.heap),
		stack:      per(after.stack, before.stack),
		goroutines: per(uint64(after.goroutines), uint64(before.goroutines)),
	}, nil
}

// memory is what the process holds: total is every byte the runtime has
// from the OS and not returned (heap, stacks, and the runtime's own
// structures such as GC metadata), heap and stack the heap's and the
// stacks' spans in use.
type memory struct {
	total, heap, stack uint64
	goroutines         int
}

// serverMemory waits until the number of goroutines stops changing, so that
// the writers of the last joins have ended, then collects garbage and reads
// what the process holds.
func serverMemory(ctx context.Context) (memory, error) {
	if err := settle(ctx); err != nil {
		return memory{}, err
	}
	// Two collections, so that what sync.Pool keeps for one more cycle is
	// gone too; FreeOSMemory's also returns the free pages to the OS, so
	// that Sys - HeapReleased counts only memory in use.
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memory{total: m.Sys - m.HeapReleased, heap: m.HeapInuse, stack: m.StackInuse, goroutines: runtime.NumGoroutine()}, nil
}

// settle waits until the number of goroutines is the same twice 100 ms
// apart.
func settle(ctx context.Context) error {
	last := runtime.NumGoroutine()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the goroutines to settle: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		n := runtime.NumGoroutine()
		if n == last {
			return nil
		}
		last = n
	}
}

// withClients runs f while a client process (see [RunClientProcess]) holds
// n connections to url, joined.
func withClients(ctx context.Context, url string, n int, f func() error) error {
	env := []string{clientURLEnv + "=" + url, clientConnsEnv + "=" + strconv.Itoa(n)}
	return withChild(ctx, env, f)
}

// withChild runs f while a client process runs with env added to this
// one's, once it has written that it is ready. The process is this
// executable started again; it ends when withChild returns, killed if need
// be.
func withChild(ctx context.Context, env []string, f func() error) (err error) {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("client process: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // kills the process if it is still running
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), env...)
	// An exiting process with 10,000 sockets can take seconds on a busy
	// machine.
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("client process: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("client process: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("client process: %w", err)
	}
	defer func() {
		stdin.Close() // the process closes its connections and exits
		if werr := cmd.Wait(); werr != nil {
			err = errors.Join(err, fmt.Errorf("client process: %w: %s", werr, bytes.TrimSpace(stderr.Bytes())))
		}
	}()
	// The read ends with the process, which ctx kills.
	if line, rerr := bufio.NewReader(stdout).ReadString('\n'); line != clientReady {
		return fmt.Errorf("client process: not ready: %q, %v", line, rerr)
	}
	return f()
}

// arrival is when a client read the diff of version v.
type arrival struct {
	v  uint64
	at time.Time
}

// fanout joins clients to one todo page and times updates of one row's
// title, from the call of Page.Update to each client's reading of the diff.
// Each update waits until every client has its diff, so that updates never
// overlap.
func fanout(ctx context.Context, clients, updates int) ([]time.Duration, error) {
	c := changes(NewTodoPage(pageRows))[0]
	s, err := startServer(NewTodoTemplate(), c.a)
	if err != nil {
		return nil, err
	}
	defer s.close()
	conns, err := dialAll(ctx, s.url, clients)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	readCtx, stop := context.WithCancel(ctx)
	arrived := make(chan struct{}, clients)
	got := make([][]arrival, clients)
	var wg sync.WaitGroup
	for i, ws := range conns {
		wg.Go(func() { got[i] = readDiffs(readCtx, ws, arrived) })
	}
	sent, err := sendUpdates(ctx, s.page, [2]*TodoPage{c.b, c.a}, updates, clients, arrived)
	stop() // ends the reads, and with them the connections
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return latencies(sent, got)
}

// readDiffs reads until ctx ends and returns when each diff arrived; it
// signals every arrival on arrived.
func readDiffs(ctx context.Context, ws *websocket.Conn, arrived chan<- struct{}) []arrival {
	var got []arrival
	for {
		m, at, err := readMessage(ctx, ws)
		if err != nil {
			return got
		}
		if m.Type != "diff" {
			continue
		}
		got = append(got, arrival{m.V, at})
		select {
		case arrived <- struct{}{}:
		case <-ctx.Done():
			return got
		}
	}
}

// sendUpdates updates the page n times, with data[0] and data[1] in turn,
// and after each waits until all clients have read its diff. It returns
// when the update of each version was called.
func sendUpdates(ctx context.Context, p *livetemplate.Page, data [2]*TodoPage, n, clients int, arrived <-chan struct{}) (map[uint64]time.Time, error) {
	sent := make(map[uint64]time.Time, n)
	for i := range n {
		start := time.Now()
		u, err := p.Update(data[i%2])
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", i, err)
		}
		sent[u.Version] = start
		if err := awaitArrivals(ctx, arrived, clients); err != nil {
			return nil, fmt.Errorf("diff of v%d: %w", u.Version, err)
		}
	}
	return sent, nil
}

// awaitArrivals waits for n arrivals.
func awaitArrivals(ctx context.Context, arrived <-chan struct{}, n int) error {
	ctx, cancel := context.WithTimeout(ctx, arrivalTimeout)
	defer cancel()
	for i := range n {
		select {
		case <-arrived:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d clients got it: %w", i, n, ctx.Err())
		}
	}
	return nil
}

// latencies returns the time from each update to each of its arrivals.
func latencies(sent map[uint64]time.Time, got [][]arrival) ([]time.Duration, error) {
	var ds []time.Duration
	for _, as := range got {
		for _, a := range as {
			start, ok := sent[a.v]
			if !ok {
				return nil, fmt.Errorf("a client got a diff of v%d, which no update made", a.v)
			}
			ds = append(ds, a.at.Sub(start))
		}
	}
	return ds, nil
}

// eventRate has clients send events to one counter page for d, each
// waiting for its ack before it sends the next, and returns the
// acknowledged events a second. Every event changes the page, so every
// client also reads every other client's diffs, as a browser would.
func eventRate(ctx context.Context, clients int, d time.Duration) (float64, error) {
	// The default limit, 50 messages a second per connection, would be all
	// that this measured: lift it. The send queue keeps its default: a
	// client whose writer falls behind gets catch-ups, not closed.
	s, err := startServer(template.Must(template.New("counter").Parse(smallTemplate)), 0, livetemplate.WithEventRate(1e9, 1e9))
	if err != nil {
		return 0, err
	}
	defer s.close()
	if err := s.app.HandleEvent("page", "increment", increment); err != nil {
		return 0, err
	}
	conns, err := dialAll(ctx, s.url, clients)
	if err != nil {
		return 0, err
	}
	defer closeAll(conns)
	acked := make([]int, clients)
	errs := make([]error, clients)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i, ws := range conns {
		wg.Go(func() { acked[i], errs[i] = sendEvents(ctx, ws, i, end) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	total := 0
	for _, n := range acked {
		total += n
	}
	return float64(total) / elapsed.Seconds(), nil
}

// increment is the counter page's event handler.
func increment(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
	_, err := p.Modify(ctx, func(data any) (any, error) { return data.(int) + 1, nil })
	return err
}

// sendEvents sends increment events until end, each after the previous
// one's ack, and returns how many were acknowledged.
func sendEvents(ctx context.Context, ws *websocket.Conn, client int, end time.Time) (int, error) {
	ctx, cancel := context.WithDeadline(ctx, end.Add(ackTimeout))
	defer cancel()
	prefix := `{"type":"event","name":"increment","id":"` + strconv.Itoa(client) + "-"
	n := 0
	for time.Now().Before(end) {
		id := strconv.Itoa(n)
		if err := ws.Write(ctx, websocket.MessageText, []byte(prefix+id+`"}`)); err != nil {
			return n, fmt.Errorf("client %d: send event: %w", client, err)
		}
		if err := awaitAck(ctx, ws, strconv.Itoa(client)+"-"+id); err != nil {
			return n, fmt.Errorf("client %d: event %s: %w", client, id, err)
		}
		n++
	}
	return n, nil
}

// awaitAck reads until the ack of the event id, skipping the diffs that
// come meanwhile.
func awaitAck(ctx context.Context, ws *websocket.Conn, id string) error {
	for {
		m, _, err := readMessage(ctx, ws)
		switch {
		case err != nil:
			return err
		case m.Type == "error":
			return fmt.Errorf("%s: %s", m.Code, m.Message)
		case m.Type != "ack" || m.ID != id:
			// a diff: read on
		case !m.OK:
			return fmt.Errorf("failed ack: %s: %s", m.Code, m.Message)
		default:
			return nil
		}
	}
}

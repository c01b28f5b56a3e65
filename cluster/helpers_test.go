package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/embedded"
	"github.com/livetemplate/livetemplate/cluster/internal/clustertest"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// key is the signing key that every instance of the tests shares.
var key = []byte("0123456789abcdef0123456789abcdef")

// counter is the state of the tests' page (clustertest.Counter): a count and
// the ids of the events that made it, in order, so that a test sees an event
// applied twice.
type counter = clustertest.Counter

const counterTemplate = clustertest.CounterTemplate

// natsServer is an embedded NATS server with JetStream on a temp dir.
type natsServer struct {
	t    *testing.T
	dir  string
	port int
	srv  *server.Server
}

func startNATS(t *testing.T) *natsServer {
	t.Helper()
	n := &natsServer{t: t, dir: t.TempDir()}
	n.start()
	n.port = n.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	srv, err := embedded.Start(embedded.Config{Dir: n.dir, Port: n.port})
	if err != nil {
		n.t.Fatal(err)
	}
	n.srv = srv
}

func (n *natsServer) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

// restart stops the server and starts it again on the same port and dir.
func (n *natsServer) restart() {
	n.stop()
	n.start()
}

func (n *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// connect connects to the server, reconnecting for ever.
func (n *natsServer) connect(t *testing.T) *nats.Conn {
	t.Helper()
	return n.connectTo(t, n.url())
}

func (n *natsServer) connectTo(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := connectNATS(url)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// connectNATS connects to url, reconnecting for ever.
func connectNATS(url string) (*nats.Conn, error) {
	return nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond), nats.ReconnectJitter(0, 0))
}

// instance is one application of a cluster, with its own NATS connection
// and WebSocket endpoints: the application's Handler at /, and at /page a
// PageHandler (the seed's Pattern 1) that gives each connection a counter.
type instance struct {
	name string
	nc   *nats.Conn
	app  *livetemplate.Application
	srv  *httptest.Server
	once sync.Once
}

// startCluster starts a NATS server, n instances on it (named a, b, c...,
// with opts) and a page of the counter owned by the first, and returns
// them with a context that bounds the test.
func startCluster(t *testing.T, n int, opts ...livetemplate.Option) (context.Context, *natsServer, []*instance, *livetemplate.Page) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	ns := startNATS(t)
	var ins []*instance
	for i := range n {
		ins = append(ins, newInstance(t, ns, string(rune('a'+i)), opts...))
	}
	page, err := ins[0].app.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, ns, ins, page
}

// newInstance starts an instance of the tests' application: template
// "counter" with the event "add", which appends the event's id to the log.
func newInstance(t *testing.T, ns *natsServer, name string, opts ...livetemplate.Option) *instance {
	t.Helper()
	return newInstanceVia(t, ns, ns.url(), name, nil, opts...)
}

// newInstanceVia is newInstance with the instance's NATS connection to url,
// such as a proxy's, and with the cluster options copts after the tests'
// (the counter's state type, a lease of a second).
func newInstanceVia(t *testing.T, ns *natsServer, url, name string, copts []cluster.Option, opts ...livetemplate.Option) *instance {
	t.Helper()
	in, err := openInstance(url, name, copts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.kill)
	return in
}

// openInstance starts an instance as newInstanceVia does, for a goroutine
// other than the test's: the caller kills it.
func openInstance(url, name string, copts []cluster.Option, opts ...livetemplate.Option) (*instance, error) {
	nc, err := connectNATS(url)
	if err != nil {
		return nil, err
	}
	copts = append([]cluster.Option{cluster.WithState[counter]("counter"), cluster.WithLease(time.Second)}, copts...)
	all := append([]livetemplate.Option{
		livetemplate.WithSigningKeys(key),
		cluster.WithNATS(nc, copts...),
	}, opts...)
	app, err := livetemplate.NewApplication(all...)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("instance %s: %w", name, err)
	}
	in := &instance{name: name, nc: nc, app: app}
	if err := clustertest.Register(app); err != nil {
		in.kill()
		return nil, fmt.Errorf("instance %s: %w", name, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", app.Handler())
	mux.Handle("/page", app.PageHandler("counter", func(*http.Request) (any, error) { return counter{}, nil }))
	in.srv = httptest.NewServer(mux)
	return in, nil
}

// kill ends the instance as a crash would: its NATS connection first, so
// that it gives nothing up, then its clients' connections, then the rest.
func (in *instance) kill() {
	in.once.Do(func() {
		in.nc.Close()
		if in.srv != nil {
			in.srv.CloseClientConnections()
			in.srv.Close()
		}
		in.app.Close()
	})
}

// stop ends the instance cleanly: the application first.
func (in *instance) stop() {
	in.once.Do(func() {
		in.srv.CloseClientConnections()
		in.srv.Close()
		in.app.Close()
		in.nc.Close()
	})
}

func (in *instance) dial(t *testing.T, ctx context.Context) *livetemplatetest.Client {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, in.srv.URL)
	if err != nil {
		t.Fatalf("%s: %v", in.name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (in *instance) join(t *testing.T, ctx context.Context, tok string) *livetemplatetest.Page {
	t.Helper()
	p, err := in.dial(t, ctx).Join(ctx, tok)
	if err != nil {
		t.Fatalf("%s: join: %v", in.name, err)
	}
	return p
}

// send sends the event "add" of id until it is acknowledged.
func send(ctx context.Context, p *livetemplatetest.Page, id string) error {
	return clustertest.Resend(ctx, p, id)
}

// counterHTML is the page's HTML for a log.
func counterHTML(log []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p>%d</p><ul>", len(log))
	for _, id := range log {
		b.WriteString("<li>" + id + "</li>")
	}
	b.WriteString("</ul>")
	return b.String()
}

// logOf reads the log back from the page's HTML.
func logOf(html string) []string {
	_, list, _ := strings.Cut(html, "<ul>")
	list = strings.TrimSuffix(list, "</ul>")
	list = strings.TrimPrefix(list, "<li>")
	list = strings.TrimSuffix(list, "</li>")
	if list == "" {
		return nil
	}
	return strings.Split(list, "</li><li>")
}

// converge waits until every page holds want.
func converge(t *testing.T, ctx context.Context, want string, pages ...*livetemplatetest.Page) {
	t.Helper()
	for i, p := range pages {
		if err := p.Wait(ctx, func(html string) bool { return html == want }); err != nil {
			t.Fatalf("client %d: %v; want %q", i, err, want)
		}
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// shutdown ends the instance as a deploy does: the application first, which
// hands its pages off, then its endpoint and NATS connection.
func (in *instance) shutdown() {
	in.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.app.Shutdown(ctx); err != nil {
			panic(err) // a test's goroutine may call it: fail loudly
		}
		in.srv.Close()
		in.nc.Close()
	})
}

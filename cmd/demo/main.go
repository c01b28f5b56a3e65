// Command demo serves LiveTemplate's demo: the examples of
// github.com/livetemplate/livetemplate/examples (a counter, a shared
// dashboard, a to-do list and a multi-tab chat), an index page that links
// them and their source, with nothing else to install or start.
//
//	go run ./cmd/demo                      # http://localhost:8080, this machine only
//	go run ./cmd/demo -addr :8080          # also at this machine's network addresses: open it on a phone
//	go run ./cmd/demo -nats embedded       # the same, on a NATS server inside the process
//	go run ./cmd/demo -addr :8081 -nats nats://127.0.0.1:4222 -key SECRET
//
// It logs every address it serves on.
//
// With -nats, several demo processes share their pages: start one with
// -nats embedded (it prints its NATS URL), the others with -nats URL, all
// with the same -key, and open one page's address (a to-do list's, say) on
// any of them.
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/embedded"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/counter"
	"github.com/livetemplate/livetemplate/examples/dashboard"
	"github.com/livetemplate/livetemplate/examples/todo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// config is what the command line says.
type config struct {
	addr, nats, natsDir, key string
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "localhost:8080", `address to serve on; ":8080" serves every network address of this machine, for other devices`)
	fs.StringVar(&c.nats, "nats", "", `"embedded" to start a NATS server in the process, or a NATS URL to join; empty: pages stay in this process`)
	fs.StringVar(&c.natsDir, "nats-dir", "", "with -nats embedded: where JetStream keeps its data (default: a temporary directory, removed at exit)")
	fs.StringVar(&c.key, "key", "", "a secret that signs page tokens; give every instance the same one (default: random, tokens die with the process)")
	return c, fs.Parse(args)
}

// ready, when not nil, is told the HTTP address and the NATS URL (empty
// without NATS) once the demo serves; tests use it.
type ready func(addr, natsURL string)

// run serves the demo until ctx ends, then shuts down: the dashboard's
// ticker stops, connections are closed with status 1001 (going away), pages
// closed, NATS left.
func run(ctx context.Context, args []string, out io.Writer, onReady ready) error {
	c, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	natsURL, nc, stopNATS, err := connectNATS(c)
	if err != nil {
		return err
	}
	defer stopNATS()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	urls, err := serveURLs(ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	app, err := newApp(c, nc)
	if err != nil {
		ln.Close()
		return err
	}
	site, err := newSite(app, ln.Addr().String(), urls, natsURL)
	if err != nil {
		app.Close()
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	for _, u := range urls {
		log.Info("demo serving", "url", u)
	}
	if natsURL != "" {
		log.Info("demo on NATS", "url", natsURL) // for other demos' -nats
	}
	if onReady != nil {
		onReady(ln.Addr().String(), natsURL)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("demo stopping: closing connections as going away (1001), ending pages")
	}
	return stop(log, srv, site, app, err)
}

// stop ends what run started, after the server stopped serving with err (nil
// when it was asked to), and logs the outcome.
func stop(log *slog.Logger, srv *http.Server, site *site, app *livetemplate.Application, err error) error {
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	site.Close() // the dashboard's ticker
	app.Close()  // pages, and hijacked WebSockets, which are the application's to close
	if serr := srv.Shutdown(shutdown); err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		log.Error("demo stopped", "err", err)
	} else {
		log.Info("demo stopped")
	}
	return err
}

// serveURLs returns the addresses at which a listener on addr is reached:
// its own, or for a wildcard address (":8080", "0.0.0.0:8080"), one for
// each address of this machine's network interfaces that it serves.
func serveURLs(addr net.Addr) ([]string, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return []string{"http://" + addr.String()}, nil
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("the addresses of %s: %w", addr, err)
	}
	port := strconv.Itoa(tcp.Port)
	var urls []string
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		switch {
		case !ok, n.IP.IsLinkLocalUnicast(): // a link-local address needs a zone in a URL
		case tcp.IP.To4() != nil && n.IP.To4() == nil: // 0.0.0.0 serves IPv4 only
		default:
			urls = append(urls, "http://"+net.JoinHostPort(n.IP.String(), port))
		}
	}
	if len(urls) == 0 { // no interface lists an address it serves
		return []string{"http://" + addr.String()}, nil
	}
	return urls, nil
}

// connectNATS starts or joins NATS as -nats says. stop ends both.
func connectNATS(c config) (url string, nc *nats.Conn, stop func(), err error) {
	stop = func() {}
	switch c.nats {
	case "":
		return "", nil, stop, nil
	case "embedded":
		dir := c.natsDir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "livetemplate-demo-nats"); err != nil {
				return "", nil, stop, err
			}
			defer func() {
				if err != nil {
					os.RemoveAll(dir)
				}
			}()
		}
		srv, err := embedded.Start(embedded.Config{Dir: dir})
		if err != nil {
			return "", nil, stop, err
		}
		url = srv.ClientURL()
		stop = func() {
			srv.Shutdown()
			srv.WaitForShutdown()
			if c.natsDir == "" {
				os.RemoveAll(dir)
			}
		}
	default:
		url = c.nats
	}
	nc, err = nats.Connect(url, nats.MaxReconnects(-1), nats.Name("livetemplate-demo"))
	if err != nil {
		stop()
		return "", nil, func() {}, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	serverStop := stop
	return url, nc, func() { nc.Close(); serverStop() }, nil
}

// newApp makes the application, with a cluster on nc when there is one: a
// page's data travels between instances as the state type of its template.
func newApp(c config, nc *nats.Conn) (*livetemplate.Application, error) {
	// WebSockets only for the names the demo is reached by, against DNS
	// rebinding (docs/operations.md).
	opts := []livetemplate.Option{livetemplate.WithAllowedHosts(hostsOf(c.addr)...)}
	if c.key != "" {
		sum := sha256.Sum256([]byte(c.key)) // any passphrase, as the 32 bytes a key must be
		opts = append(opts, livetemplate.WithSigningKeys(sum[:]))
	}
	if nc != nil {
		opts = append(opts, cluster.WithNATS(nc,
			cluster.WithState[counter.Counter](counter.Template),
			cluster.WithState[dashboard.Dashboard](dashboard.Template),
			cluster.WithState[todo.List](todo.Template),
			cluster.WithState[todo.Draft](todo.DraftTemplate),
			cluster.WithState[chat.Room](chat.Template),
		))
	}
	return livetemplate.NewApplication(opts...)
}

// hostsOf returns the host names that a server listening on addr is reached
// by: the loopback names, and addr's host, or, when addr listens on every
// interface, the machine's name and its interfaces' addresses.
func hostsOf(addr string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return append(hosts, host)
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	ifaddrs, _ := net.InterfaceAddrs()
	for _, a := range ifaddrs {
		if ipnet, ok := a.(*net.IPNet); ok {
			hosts = append(hosts, ipnet.IP.String())
		}
	}
	return hosts
}

// Command demo serves LiveTemplate's demo: the examples of
// github.com/livetemplate/livetemplate/examples (a counter, a shared
// dashboard, a to-do list and a multi-tab chat), an index page that links
// them and their source, with nothing else to install or start.
//
//	go run ./cmd/demo                      # http://localhost:8080, this machine only
//	go run ./cmd/demo -addr :8080          # also at this machine's network addresses: open it on a phone
//	go run ./cmd/demo -memory              # pages in this process only: they end when it stops
//	go run ./cmd/demo -dev                 # development mode: saved templates reload in the open pages
//	go run ./cmd/demo -addr localhost:8081 -nats nats://127.0.0.1:4222 -key-file KEYFILE
//
// It logs every address it serves on.
//
// Its pages outlive it: it runs a NATS server in the process, which keeps
// them in a data directory (-data, by default livetemplate-demo in the
// user's cache directory) with the key that signs their tokens, so that
// the browsers showing them go on where they were when it starts again. One
// demo at a time runs on a data directory. Another demo that joins its NATS
// server (-nats URL) with its key is a second instance serving the same
// pages: the first logs the command that starts one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/counter"
	"github.com/livetemplate/livetemplate/examples/dashboard"
	"github.com/livetemplate/livetemplate/examples/notify"
	"github.com/livetemplate/livetemplate/examples/signin"
	"github.com/livetemplate/livetemplate/examples/todo"
)

func main() {
	// SIGHUP too: a terminal that closes stops the demo cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// config is what the command line says.
type config struct {
	addr, nats, data, key, keyFile string
	memory, dev                    bool
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "localhost:8080", `address to serve on; ":8080" serves every network address of this machine, for other devices`)
	fs.StringVar(&c.data, "data", defaultDataDir(), "directory where the demo keeps its pages and its key, for the next start")
	fs.BoolVar(&c.memory, "memory", false, "keep pages in this process only: they end when it stops")
	fs.StringVar(&c.nats, "nats", "embedded", `"embedded": a NATS server in this process keeps the pages in -data; or the URL of another demo's NATS server, to serve its pages as a second instance`)
	fs.StringVar(&c.key, "key", "", "a secret that signs page tokens, instead of -key-file's")
	fs.BoolVar(&c.dev, "dev", false, "development mode: the examples' templates are read from their source files, and saving one reloads it in the open pages; errors show in this machine's browsers (implies -memory)")
	fs.StringVar(&c.keyFile, "key-file", "", "the file of the key that signs page tokens (default: the key file in -data, made at the first start; with -memory, a random key)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.dev && c.nats != "embedded" {
		return c, errors.New("-dev serves from this process alone: it cannot join NATS (-nats)")
	}
	c.memory = c.memory || c.dev
	if c.memory && c.nats != "embedded" {
		return c, errors.New("-memory keeps pages in this process: it cannot join NATS (-nats)")
	}
	return c, nil
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
	b, err := openBackend(c, log)
	if err != nil {
		return err
	}
	defer b.stop()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	urls, err := serveURLs(ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	if c.dev {
		readSources(log)
	}
	m, err := newMetrics()
	if err != nil {
		ln.Close()
		return err
	}
	defer m.close()
	fl, err := openFiles(c)
	if err != nil {
		ln.Close()
		return err
	}
	defer fl.close()
	app, err := newApp(c, b, livetemplate.WithMeterProvider(m.provider), fl.up.Option())
	if err != nil {
		ln.Close()
		return err
	}
	site, err := newSite(app, fl, ln.Addr().String(), urls, b.natsURL)
	if err != nil {
		app.Close()
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: m.withMetrics(site), ReadHeaderTimeout: 10 * time.Second}
	for _, u := range urls {
		log.Info("demo serving", "url", u)
	}
	logBackend(log, c, b, ln.Addr())
	if onReady != nil {
		onReady(ln.Addr().String(), b.natsURL)
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

// stopGrace is how long a stop waits for the requests in progress: the
// demo's take milliseconds.
const stopGrace = time.Second

// stop ends what run started, after the server stopped serving with err (nil
// when it was asked to), and logs the outcome.
func stop(log *slog.Logger, srv *http.Server, site *site, app *livetemplate.Application, err error) error {
	site.Close() // the dashboard's ticker
	// Pages, and hijacked WebSockets, which are the application's to close:
	// the events running end first, and another instance takes the pages
	// over at once.
	handOff, cancelHandOff := context.WithTimeout(context.Background(), stopGrace)
	defer cancelHandOff()
	if herr := app.Shutdown(handOff); herr != nil {
		log.Warn("demo stopping", "err", herr)
	}
	// Requests in progress finish within the grace. A connection that has
	// sent no request (browsers open some ahead of their requests) would
	// hold Shutdown for 5 seconds: after the grace, Close ends it.
	shutdown, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	serr := srv.Shutdown(shutdown)
	if errors.Is(serr, context.DeadlineExceeded) {
		serr = srv.Close()
	}
	if err == nil && !errors.Is(serr, http.ErrServerClosed) {
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

// newApp makes the application, with a cluster on NATS unless -memory: a
// page's data travels between instances, and to the data directory, as the
// state type of its template.
func newApp(c config, b *backend, extra ...livetemplate.Option) (*livetemplate.Application, error) {
	// WebSockets only for the names the demo is reached by, against DNS
	// rebinding (docs/operations.md).
	opts := []livetemplate.Option{
		livetemplate.WithAllowedHosts(hostsOf(c.addr)...),
		livetemplate.WithConnect(signin.Identify), // the examples' sign-in: a name in a cookie
		livetemplate.WithJoinCheck(todo.MayJoin),  // a member's list is theirs until they share it
		livetemplate.WithJoinLeave(present, present),
	}
	opts = append(opts, extra...)
	if c.dev {
		opts = append(opts, livetemplate.WithDevMode())
	}
	if b.key != nil {
		opts = append(opts, livetemplate.WithSigningKeys(b.key))
	}
	if b.nc != nil {
		opts = append(opts, cluster.WithNATS(b.nc,
			cluster.WithState[counter.Counter](counter.Template),
			cluster.WithState[dashboard.Dashboard](dashboard.Template),
			cluster.WithState[todo.List](todo.Template),
			cluster.WithState[todo.Draft](todo.DraftTemplate),
			cluster.WithState[chat.Room](chat.Template),
			cluster.WithState[notify.Inbox](notify.Template),
		))
	}
	return livetemplate.NewApplication(opts...)
}

// present shows who views the chat room and the to-do lists.
func present(ctx context.Context, p *livetemplate.Page, v livetemplate.Viewer) {
	chat.Present(ctx, p, v)
	todo.Present(ctx, p, v)
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

// logBackend logs where the pages are kept and, with NATS, the command that
// starts another instance of the demo, serving the same pages.
func logBackend(log *slog.Logger, c config, b *backend, addr net.Addr) {
	switch {
	case b.natsURL == "":
		log.Info("demo keeps its pages in this process only (-memory): they end when it stops")
		return
	case b.dir != "":
		log.Info("demo keeps its pages, and its key, for its next start", "dir", b.dir)
	}
	log.Info("demo on NATS", "url", b.natsURL)
	log.Info("start another instance with", "command", anotherCommand(c, b, addr))
}

// anotherCommand is the command line that starts another instance of this
// demo: on the next port (or any free one if this one's was), on its NATS
// server, with its key.
func anotherCommand(c config, b *backend, addr net.Addr) string {
	host, port, _ := net.SplitHostPort(c.addr)
	if port != "0" {
		port = strconv.Itoa(addr.(*net.TCPAddr).Port + 1)
	}
	args := []string{"go", "run", "./cmd/demo", "-addr", net.JoinHostPort(host, port), "-nats", b.natsURL}
	if c.key != "" {
		args = append(args, "-key", c.key)
	} else {
		keyFile, err := filepath.Abs(b.keyFile)
		if err != nil {
			keyFile = b.keyFile
		}
		args = append(args, "-key-file", keyFile)
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell, if it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readSources makes the examples read their templates from their source
// directories, beside this file, for -dev: saved, they reload. A demo built
// elsewhere (its sources gone, or -trimpath) keeps its embedded templates.
func readSources(log *slog.Logger) {
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..", "examples")
	for dir, templates := range map[string]*fs.FS{
		"counter": &counter.Templates, "dashboard": &dashboard.Templates, "todo": &todo.Templates, "chat": &chat.Templates,
	} {
		src := filepath.Join(root, dir)
		if _, err := os.Stat(src); err != nil {
			log.Warn("demo -dev: no source directory; the embedded templates do not change", "example", dir, "err", err)
			continue
		}
		*templates = os.DirFS(src)
		log.Info("demo -dev: templates reload when saved", "dir", src)
	}
}

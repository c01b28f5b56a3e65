// Package embedded runs a NATS server with JetStream inside the process: for
// tests, demos and single-binary deployments of a clustered LiveTemplate
// application. Production clusters run nats-server on their own; package
// cluster only needs a *nats.Conn.
//
//	srv, err := embedded.Start(embedded.Config{Dir: dataDir})
//	defer srv.Shutdown()
//	nc, err := nats.Connect(srv.ClientURL())
package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config says where and how the server runs.
type Config struct {
	// Dir is where JetStream keeps its data; required. A server started
	// again on the same Dir has the same records.
	Dir string
	// Host is the address to listen on. Default: 127.0.0.1.
	Host string
	// Port is the port to listen on. Default (0): a free port, which the
	// server's ClientURL names.
	Port int
	// Logger gets the server's warnings and errors, such as JetStream's
	// about files of Dir that it cannot read. Default: nil, none.
	Logger *slog.Logger
}

// ReadyTimeout is how long Start waits for the server to accept
// connections.
const ReadyTimeout = 10 * time.Second

// Start starts a NATS server with JetStream and waits until it accepts
// connections. Stop it with its Shutdown method (and WaitForShutdown). A
// server that cannot start (its JetStream directory cannot be written, its
// port is taken) fails at once, with the reason the server gives. Two
// servers must not share a Dir: nothing stops the second from starting, and
// both would write the same files.
func Start(cfg Config) (*server.Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("embedded nats: no JetStream directory")
	}
	opts := &server.Options{
		ServerName: "livetemplate-embedded",
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		NoSigs:     true,
		NoLog:      true,
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	failure := &fatalLog{logger: cfg.Logger}
	srv.SetLoggerV2(failure, false, false, false)
	srv.Start()
	if err := waitReady(srv, failure); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	return srv, nil
}

// waitReady waits until srv accepts connections, or logs why it cannot, for
// up to ReadyTimeout.
func waitReady(srv *server.Server, failure *fatalLog) error {
	deadline := time.Now().Add(ReadyTimeout)
	for !srv.ReadyForConnections(20 * time.Millisecond) {
		if err := failure.err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", ReadyTimeout)
		}
	}
	return nil
}

// fatalLog is the server's logger: it keeps the first fatal error, which
// a server that cannot start logs, sends warnings and errors to logger, if
// any, and drops the rest.
type fatalLog struct {
	logger *slog.Logger
	mu     sync.Mutex // guards fatal
	fatal  error
}

func (l *fatalLog) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}

func (l *fatalLog) Fatalf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fatal == nil {
		l.fatal = fmt.Errorf(format, v...)
	}
}

func (l *fatalLog) Warnf(format string, v ...any) {
	if l.logger != nil {
		l.logger.Warn("nats: " + fmt.Sprintf(format, v...))
	}
}

func (l *fatalLog) Errorf(format string, v ...any) {
	if l.logger != nil {
		l.logger.Error("nats: " + fmt.Sprintf(format, v...))
	}
}

func (*fatalLog) Noticef(string, ...any) {}
func (*fatalLog) Debugf(string, ...any)  {}
func (*fatalLog) Tracef(string, ...any)  {}

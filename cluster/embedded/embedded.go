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
}

// ReadyTimeout is how long Start waits for the server to accept
// connections.
const ReadyTimeout = 10 * time.Second

// Start starts a NATS server with JetStream and waits until it accepts
// connections. Stop it with its Shutdown method (and WaitForShutdown).
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
	srv.Start()
	if !srv.ReadyForConnections(ReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: not ready after %v", ReadyTimeout)
	}
	return srv, nil
}

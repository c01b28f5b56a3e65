package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate/cluster/embedded"
)

// The demo's data directory (-data) holds:
const (
	lockName = "lock"      // locked while a demo runs its NATS server on the directory
	natsName = "nats"      // the NATS server's JetStream: the pages
	portName = "nats-port" // the NATS server's port at its last start
	keyName  = "key"       // the signing key, in hex
)

// errInUse: another demo runs its NATS server on the data directory.
var errInUse = errors.New("in use by another demo")

// backend is where the demo keeps its pages, and the key that signs their
// tokens.
type backend struct {
	key     []byte // nil: a random key, which dies with the process
	keyFile string // the file key comes from, if it does
	natsURL string // empty with -memory
	nc      *nats.Conn
	dir     string // the data directory whose NATS server this process runs, if it does
	stop    func() // closes nc, stops the NATS server, unlocks the directory
}

// defaultDataDir is the data directory when -data is not given.
func defaultDataDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "" // openBackend says what to do
	}
	return filepath.Join(dir, "livetemplate-demo")
}

// openBackend opens what c says: with -memory, nothing but the key; else
// the key (from the data directory unless -key or -key-file is given) and
// NATS, started on the data directory (its warnings logged to log) or
// joined at a URL.
func openBackend(c config, log *slog.Logger) (*backend, error) {
	b := &backend{stop: func() {}}
	var err error
	switch {
	case c.key != "":
		sum := sha256.Sum256([]byte(c.key)) // any passphrase, as the 32 bytes a key must be
		b.key = sum[:]
	case c.keyFile != "":
		b.keyFile = c.keyFile
		b.key, err = readKey(c.keyFile)
	case !c.memory:
		b.keyFile, err = keyIn(c.data)
		if err == nil {
			b.key, err = readKey(b.keyFile)
		}
	}
	if err != nil || c.memory {
		return b, err
	}
	if c.nats != "embedded" {
		return b, b.connect(c.nats, func() {})
	}
	return b, b.startNATS(c.data, log)
}

// startNATS locks the data directory and starts a NATS server on it, which
// logs its warnings and errors to log.
func (b *backend) startNATS(dir string, log *slog.Logger) error {
	if err := makeDataDir(dir); err != nil {
		return err
	}
	lock, err := lockFile(filepath.Join(dir, lockName))
	if errors.Is(err, errInUse) {
		return fmt.Errorf("data directory %s is %w: start a second instance of it with the command it logged (\"start another instance\"), or give this one -data DIR of its own, or -memory", dir, err)
	}
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	srv, err := startServer(dir, log)
	if err != nil {
		lock.Close()
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	b.dir = dir
	return b.connect(srv.ClientURL(), func() {
		srv.Shutdown()
		srv.WaitForShutdown()
		lock.Close()
	})
}

// startServer starts the NATS server of the data directory dir on the port
// of its last start, so that other instances of the demo reconnect to it
// after a restart, or on a free port when that one is taken now.
func startServer(dir string, log *slog.Logger) (*server.Server, error) {
	portFile := filepath.Join(dir, portName)
	cfg := embedded.Config{Dir: filepath.Join(dir, natsName), Logger: log}
	if text, err := os.ReadFile(portFile); err == nil {
		cfg.Port, _ = strconv.Atoi(strings.TrimSpace(string(text)))
	}
	srv, err := embedded.Start(cfg)
	if err != nil && cfg.Port != 0 {
		cfg.Port = 0
		srv, err = embedded.Start(cfg)
	}
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(portFile, []byte(port+"\n"), 0o600); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, err
	}
	return srv, nil
}

// connect connects to NATS at url; stopServer stops what runs it, if this
// process does.
func (b *backend) connect(url string, stopServer func()) error {
	// Reconnect for ever, soon: another demo's NATS server that restarts is
	// back in a moment (at the same URL, see startServer).
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond), nats.Name("livetemplate-demo"))
	if err != nil {
		stopServer()
		return fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	b.natsURL, b.nc = url, nc
	b.stop = func() { nc.Close(); stopServer() }
	return nil
}

// makeDataDir makes the data directory, readable by its owner only.
func makeDataDir(dir string) error {
	if dir == "" {
		return errors.New("no data directory: this system has no cache directory; give one with -data DIR, or -memory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w (give another with -data DIR, or -memory)", err)
	}
	return nil
}

// keyIn returns the key file of the data directory dir, made with a new
// random key if there is none.
func keyIn(dir string) (string, error) {
	if err := makeDataDir(dir); err != nil {
		return "", err
	}
	path := filepath.Join(dir, keyName)
	_, err := os.Stat(path)
	if err == nil {
		return path, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("key file: %w", err)
	}
	// Written whole to a file of its own (mode 0600), then linked to its
	// name: a demo that starts at the same moment reads one key or the
	// other, never part of one.
	tmp, err := os.CreateTemp(dir, keyName+".new-*")
	if err != nil {
		return "", fmt.Errorf("make a key: %w", err)
	}
	defer os.Remove(tmp.Name())
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand, Go 1.24+)
	_, err = fmt.Fprintf(tmp, "%x\n", key)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("make a key: %w", err)
	}
	return path, nil
}

// readKey reads a key file: the key in hex, at least 32 bytes.
func readKey(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("key file %s: not a key, 64 or more hex digits: delete it to make a new key (the pages open in browsers then need a reload)", path)
	}
	return key, nil
}

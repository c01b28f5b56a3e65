package embedded_test

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/cluster/embedded"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStart(t *testing.T) {
	if _, err := embedded.Start(embedded.Config{}); err == nil {
		t.Fatal("a server without a JetStream directory started")
	}
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if url := srv.ClientURL(); !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":4222") {
		t.Errorf("default address: %s, want 127.0.0.1 on a free port", url)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.JetStream(); err != nil {
		t.Fatal(err)
	}
	if !srv.JetStreamEnabled() {
		t.Fatal("JetStream is off")
	}
}

// TestStartFails: a server whose JetStream directory cannot be made, or
// whose port is taken, fails at once with the reason.
func TestStartFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := embedded.Start(embedded.Config{Dir: filepath.Join(file, "jetstream")}); err == nil || !strings.Contains(err.Error(), "JetStream") {
		t.Errorf("a directory under a file: %v", err)
	}
	taken, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { taken.Shutdown(); taken.WaitForShutdown() }()
	port := taken.Addr().(*net.TCPAddr).Port
	if _, err := embedded.Start(embedded.Config{Dir: t.TempDir(), Port: port}); err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("a port taken: %v", err)
	}
	if d := time.Since(start); d > embedded.ReadyTimeout/2 {
		t.Errorf("the failures took %v", d)
	}
}

// TestStartLogs: the server's warnings go to the Logger: here, JetStream's
// about a stream whose files a restart finds damaged.
func TestStartLogs(t *testing.T) {
	dir := t.TempDir()
	srv, err := embedded.Start(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err == nil {
		var js nats.JetStreamContext
		if js, err = nc.JetStream(); err == nil {
			_, err = js.AddStream(&nats.StreamConfig{Name: "S", Subjects: []string{"s"}})
		}
		nc.Close()
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	if err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "jetstream", "$G", "streams", "S", "meta.inf")
	if err := os.WriteFile(meta, []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	srv, err = embedded.Start(embedded.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "meta.inf") {
		t.Errorf("the log of a start on a damaged stream:\n%s", log.String())
	}
}

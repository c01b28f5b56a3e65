// Package uploadbench measures the upload server: its throughput against a
// plain HTTP POST of the same bytes, the memory it holds during a large
// upload, and the bytes a resumed upload sends twice. Server and client run
// in this process over loopback. cmd/ltbench runs it as its uploads suite;
// BENCHMARKS.md says what it measured last.
package uploadbench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/upload"
)

// Options size the measurements. A zero field takes its default.
type Options struct {
	Size      int64 // bytes of the throughput and resume uploads; default 100 MB
	LargeSize int64 // bytes of the upload whose memory is measured; default 1 GB
	Chunk     int64 // bytes of a PATCH, as the browser sends; default 8 MiB
	Rounds    int   // throughput rounds, the median is reported; default 5
}

func (o *Options) defaults() {
	o.Size = cmp.Or(o.Size, 100_000_000)
	o.LargeSize = cmp.Or(o.LargeSize, 1_000_000_000)
	o.Chunk = cmp.Or(o.Chunk, 8<<20)
	o.Rounds = cmp.Or(o.Rounds, 5)
}

// Result holds the measurements.
type Result struct {
	ThroughputRatio float64 // tus throughput over a plain POST's, median of the rounds
	TusMBps         float64 // the tus upload's throughput in the median round, MB/s
	PostMBps        float64 // the plain POST's in that round
	RSSGrowthMB     float64 // the process's peak resident memory during the large upload, less before it
	ResumeWasted    int64   // bytes sent twice after a forced disconnect at half the file
}

// Run measures.
func Run(ctx context.Context, o Options) (Result, error) {
	o.defaults()
	b, err := newBench(o)
	if err != nil {
		return Result{}, err
	}
	defer b.close()
	var r Result
	if r.ThroughputRatio, r.TusMBps, r.PostMBps, err = b.throughput(ctx); err != nil {
		return r, fmt.Errorf("throughput: %w", err)
	}
	if r.ResumeWasted, err = b.resume(ctx); err != nil {
		return r, fmt.Errorf("resume: %w", err)
	}
	if r.RSSGrowthMB, err = b.rss(ctx); err != nil {
		return r, fmt.Errorf("memory: %w", err)
	}
	return r, nil
}

// bench is an application with an upload server on a real HTTP server, and
// a plain POST handler beside it that writes the body to a file of the same
// directory.
type bench struct {
	o    Options
	dir  string
	app  *livetemplate.Application
	srv  *httptest.Server
	page *livetemplate.Page
}

func newBench(o Options) (*bench, error) {
	dir, err := os.MkdirTemp("", "uploadbench")
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, dir: dir}
	up, err := upload.New(filepath.Join(dir, "tus"))
	if err != nil {
		b.close()
		return nil, err
	}
	b.app, err = livetemplate.NewApplication(up.Option(), livetemplate.WithLogger(slog.New(slog.DiscardHandler)),
		livetemplate.WithUploadLimits(livetemplate.UploadLimits{}))
	if err != nil {
		b.close()
		return nil, err
	}
	if err := b.register(); err != nil {
		b.close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/live", b.app.Handler())
	mux.Handle(upload.DefaultEndpoint, up)
	mux.HandleFunc("POST /plain", PlainPost(b.dir))
	b.srv = httptest.NewServer(mux)
	return b, nil
}

// register declares the upload "files": any type, up to the large size.
func (b *bench) register() error {
	tmpl := template.Must(template.New("files").Funcs(livetemplate.FuncMap()).Parse(`<p>{{.}}</p>`))
	if err := b.app.RegisterTemplate("files", tmpl); err != nil {
		return err
	}
	cfg := livetemplate.UploadConfig{MaxSize: max(b.o.Size, b.o.LargeSize)}
	err := b.app.HandleUpload("files", "files", cfg, func(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
		return nil
	})
	if err != nil {
		return err
	}
	b.page, err = b.app.NewPage("files", 0)
	return err
}

// PlainPost is the baseline of the throughput ratios: a handler of POSTs
// whose body goes to a file of dir, as the upload server's go to its
// directory.
func PlainPost(dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(dir, "plain")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if _, err := io.Copy(f, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (b *bench) close() {
	if b.srv != nil {
		b.srv.Close()
	}
	if b.app != nil {
		b.app.Close()
	}
	os.RemoveAll(b.dir)
}

// grant asks the page, over its socket, for the upload of one file of
// size bytes, and returns its token.
func (b *bench) grant(ctx context.Context, size int64) (string, error) {
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.srv.URL, "http")+"/live", nil)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	join, _ := json.Marshal(map[string]any{"type": "join", "token": b.page.GetToken()})
	ask, _ := json.Marshal(map[string]any{"type": "upload", "ref": "u", "name": "files",
		"files": []map[string]any{{"name": "data.bin", "size": size, "type": "application/octet-stream"}}})
	for _, m := range [][]byte{join, ask} {
		if err := ws.Write(ctx, websocket.MessageText, m); err != nil {
			return "", err
		}
	}
	for {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			return "", err
		}
		var m struct {
			Type, Message string
			Files         []struct{ Token string }
		}
		if err := json.Unmarshal(msg, &m); err != nil {
			return "", err
		}
		switch {
		case m.Type == "upload" && len(m.Files) == 1:
			return m.Files[0].Token, nil
		case m.Type == "error":
			return "", errors.New(m.Message)
		}
	}
}

// pattern returns a reader of n bytes, from offset off of an endless
// pattern, without holding them.
func pattern(off, n int64) io.Reader {
	return io.LimitReader(&repeat{off: off}, n)
}

// repeat reads an endless pattern of bytes from off.
type repeat struct{ off int64 }

var block = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		i := int(r.off % int64(len(block)))
		c := copy(p[n:], block[i:])
		n += c
		r.off += int64(c)
	}
	return n, nil
}

// since returns the seconds since t.
func since(t time.Time) float64 { return time.Since(t).Seconds() }

package upload_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
	"github.com/livetemplate/livetemplate/cluster/embedded"
	"github.com/livetemplate/livetemplate/upload"
)

// clusterKey is the signing key that the instances share.
var clusterKey = []byte("0123456789abcdef0123456789abcdef")

// ran records which instance ran the upload handler for which file.
type ran struct {
	mu  sync.Mutex
	log []string
}

func (r *ran) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *ran) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// clusterInstance starts an instance of the gallery application in a
// cluster on the NATS server at natsURL, with an upload server on dir, and
// returns it as a fixture (with no page yet). The handler reads the file.
func clusterInstance(t *testing.T, natsURL, dir, name string, log *ran, opts ...upload.Option) *fixture {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	up, err := upload.New(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	app, err := livetemplate.NewApplication(up.Option(), livetemplate.WithSigningKeys(clusterKey), livetemplate.WithConnect(userOf),
		livetemplate.WithLogger(slog.New(slog.DiscardHandler)),
		cluster.WithNATS(nc, cluster.WithState[[]string]("gallery"), cluster.WithLease(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := template.Must(template.New("gallery").Funcs(livetemplate.FuncMap()).Parse(`<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>`))
	if err := app.RegisterTemplate("gallery", tmpl); err != nil {
		t.Fatal(err)
	}
	cfg := livetemplate.UploadConfig{Accept: []string{"image/*"}, MaxSize: 1 << 20, MaxFiles: 2}
	err = app.HandleUpload("gallery", "photos", cfg, func(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
		r, err := f.Reader(ctx)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != f.Size {
			return fmt.Errorf("read %d bytes of %d: %v", n, f.Size, err)
		}
		who, _ := livetemplate.Identity[string](ctx)
		log.add(name + " " + f.Name + " " + who)
		_, err = p.Modify(ctx, func(data any) (any, error) { return append(data.([]string), f.Name), nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle(upload.DefaultEndpoint, up)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		app.Close()
		nc.Close()
	})
	return &fixture{t: t, app: app, up: up, dir: dir, url: srv.URL}
}

// userOf is the identity of a connection: its cookie "user".
func userOf(r *http.Request) (string, error) {
	c, err := r.Cookie("user")
	if err != nil {
		return "", nil
	}
	return c.Value, nil
}

// TestAnyInstance: with two instances on one NATS server and one upload
// directory, a file uploaded to instance B for a page that instance A owns
// completes: the handler runs once, on A, with the identity of the
// connection that asked for the upload, and the page shows the file; an
// upload that starts on A and ends on B completes too.
func TestAnyInstance(t *testing.T) {
	natsSrv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		natsSrv.Shutdown()
		natsSrv.WaitForShutdown()
	})
	dir, log := t.TempDir(), new(ran)
	a := clusterInstance(t, natsSrv.ClientURL(), dir, "a", log)
	b := clusterInstance(t, natsSrv.ClientURL(), dir, "b", log)
	page, err := a.app.NewPage("gallery", []string{})
	if err != nil {
		t.Fatal(err)
	}
	a.page = page
	a.header = http.Header{"Cookie": {"user=ann"}}
	_, tokens := a.grant([]string{"cat.png", "dog.png"}, []int{50_000, 50_000})
	data := pngBytes(50_000)

	onB := b.tus(tokens[0])
	if got := onB.send(data, 20_000).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("upload to B: %q", got)
	}
	headA := a.tus(tokens[0])
	headA.loc = a.url + onB.loc[len(b.url):]
	if r := headA.head(); r.Header.Get(upload.ResultHeader) != "ok" {
		t.Fatalf("HEAD on A of the upload completed on B: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}

	onA := a.tus(tokens[1])
	onA.create(len(data))
	if r := onA.patch(0, data[:20_000]); r.StatusCode != http.StatusNoContent {
		t.Fatalf("first chunk on A: %s", r.Status)
	}
	rest := b.tus(tokens[1])
	rest.loc = b.url + onA.loc[len(a.url):]
	if got := rest.patch(20_000, data[20_000:]).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("rest on B: %q", got)
	}
	if got := log.all(); len(got) != 2 || got[0] != "a cat.png ann" || got[1] != "a dog.png ann" {
		t.Fatalf("handler runs %q: want each file once, on the owner a, with the uploader's identity", got)
	}
	if d := page.Data().([]string); len(d) != 2 {
		t.Fatalf("page on A: %q", d)
	}
}

// TestAnyInstanceDirect: with two instances sharing a directory and a
// bucket, a file sent straight to storage for a page that instance A owns
// is completed on B: the handler runs once, on A, reading the object; a
// completion sent again to A gets the verdict without running it again.
func TestAnyInstanceDirect(t *testing.T) {
	natsSrv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		natsSrv.Shutdown()
		natsSrv.WaitForShutdown()
	})
	store := newFakeS3(t)
	dir, log := t.TempDir(), new(ran)
	a := clusterInstance(t, natsSrv.ClientURL(), dir, "a", log, upload.WithPresigner(store.presigner()))
	b := clusterInstance(t, natsSrv.ClientURL(), dir, "b", log, upload.WithPresigner(store.presigner()))
	page, err := a.app.NewPage("gallery", []string{})
	if err != nil {
		t.Fatal(err)
	}
	a.page = page
	a.header = http.Header{"Cookie": {"user=ann"}}
	ids, tokens := a.grant([]string{"cat.png"}, []int{50_000})
	a.putObject(ids[0], pngBytes(50_000))
	if got := b.completion(ids[0], tokens[0]).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("completion on B: %q", got)
	}
	if got := a.completion(ids[0], tokens[0]).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("completion sent again, to A: %q", got)
	}
	if got := log.all(); len(got) != 1 || got[0] != "a cat.png ann" {
		t.Fatalf("handler runs %q: want one, on the owner a, with the uploader's identity", got)
	}
	if d := page.Data().([]string); len(d) != 1 {
		t.Fatalf("page on A: %q", d)
	}
}

package upload_test

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
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
// returns it as a fixture (with no page yet).
func clusterInstance(t *testing.T, natsURL, dir, name string, log *ran) *fixture {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	up, err := upload.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := livetemplate.NewApplication(up.Option(), livetemplate.WithSigningKeys(clusterKey),
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
		if _, err := os.Stat(f.Path); err != nil {
			return err
		}
		log.add(name + " " + f.Name)
		_, err := p.Modify(ctx, func(data any) (any, error) { return append(data.([]string), f.Name), nil })
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

// TestAnyInstance: with two instances on one NATS server and one upload
// directory, a file uploaded to instance B for a page that instance A owns
// completes: the handler runs once, on A, and the page shows the file; an
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
	if got := log.all(); len(got) != 2 || got[0] != "a cat.png" || got[1] != "a dog.png" {
		t.Fatalf("handler runs %q: want each file once, on the owner a", got)
	}
	if d := page.Data().([]string); len(d) != 2 {
		t.Fatalf("page on A: %q", d)
	}
}

package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/cluster"
)

// newApp makes a clustered application on nc with a "counter" template (no
// event handler), closed at the test's end.
func newApp(t *testing.T, nc *nats.Conn, opts ...cluster.Option) (*livetemplate.Application, error) {
	t.Helper()
	app, err := livetemplate.NewApplication(livetemplate.WithSigningKeys(key), cluster.WithNATS(nc, opts...))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { app.Close() })
	if err := app.RegisterTemplate("counter", template.Must(template.New("counter").Parse(counterTemplate))); err != nil {
		t.Fatal(err)
	}
	return app, nil
}

func mustApp(t *testing.T, nc *nats.Conn, opts ...cluster.Option) *livetemplate.Application {
	t.Helper()
	app, err := newApp(t, nc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func jetStream(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestBucketOption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	nc := ns.connect(t)
	defer nc.Close()
	state := cluster.WithState[counter]("counter")
	byDefault := mustApp(t, nc, state)
	other := mustApp(t, nc, state, cluster.WithBucket("other"))
	page, err := byDefault.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jetStream(t, nc).KeyValue(ctx, cluster.DefaultBucket); err != nil {
		t.Fatalf("the default bucket %q: %v", cluster.DefaultBucket, err)
	}
	if _, err := other.GetPage(page.GetToken()); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Fatalf("a page of the default bucket, from bucket %q: %v; want ErrPageNotFound", "other", err)
	}
	if _, err := newApp(t, nc, cluster.WithBucket("")); err == nil {
		t.Fatal("an empty bucket name was accepted")
	}
}

func TestSubjectsOption(t *testing.T) {
	ns := startNATS(t)
	nc := ns.connect(t)
	defer nc.Close()
	for _, prefix := range []string{"", "custom"} {
		opts := []cluster.Option{cluster.WithState[counter]("counter"), cluster.WithBucket("b" + prefix)}
		want := cluster.DefaultSubjects
		if prefix != "" {
			opts, want = append(opts, cluster.WithSubjects(prefix)), prefix
		}
		app := mustApp(t, nc, opts...)
		changes, err := nc.SubscribeSync(want + ".page.>")
		if err != nil {
			t.Fatal(err)
		}
		page, err := app.NewPage("counter", counter{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := page.Update(counter{Count: 1}); err != nil {
			t.Fatal(err)
		}
		if m, err := changes.NextMsg(5 * time.Second); err != nil || m.Subject != want+".page."+page.ID() {
			t.Fatalf("prefix %q: no change on %s.page.%s: %v", prefix, want, page.ID(), err)
		}
		changes.Unsubscribe()
	}
	if _, err := newApp(t, nc, cluster.WithSubjects("")); err == nil {
		t.Fatal("an empty subject prefix was accepted")
	}
}

// TestLeaseOption reads the time to live of an instance's lease key: the
// lease's length, rounded up to whole seconds.
func TestLeaseOption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	nc := ns.connect(t)
	defer nc.Close()
	for _, c := range []struct {
		opts []cluster.Option
		ttl  string
	}{
		{nil, "5s"},
		{[]cluster.Option{cluster.WithLease(1500 * time.Millisecond), cluster.WithBucket("l2")}, "2s"},
	} {
		mustApp(t, nc, c.opts...)
		bucket := cluster.DefaultBucket
		if c.opts != nil {
			bucket = "l2"
		}
		stream, err := jetStream(t, nc).Stream(ctx, "KV_"+bucket)
		if err != nil {
			t.Fatal(err)
		}
		m, err := stream.GetLastMsgForSubject(ctx, "$KV."+bucket+".instance.>")
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get("Nats-TTL"); got != c.ttl {
			t.Errorf("bucket %s: lease TTL %q, want %q", bucket, got, c.ttl)
		}
	}
	if cluster.DefaultLease != 5*time.Second {
		t.Errorf("DefaultLease %v", cluster.DefaultLease)
	}
	if _, err := newApp(t, nc, cluster.WithLease(time.Millisecond)); err == nil {
		t.Fatal("a lease under a second was accepted")
	}
}

func TestReplicasOption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	nc := ns.connect(t)
	defer nc.Close()
	mustApp(t, nc)
	kv, err := jetStream(t, nc).KeyValue(ctx, cluster.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas; r != cluster.DefaultReplicas {
		t.Errorf("replicas %d, want %d", r, cluster.DefaultReplicas)
	}
	// One server cannot keep three copies: the option reaches JetStream.
	if _, err := newApp(t, nc, cluster.WithReplicas(3), cluster.WithBucket("r3")); err == nil {
		t.Fatal("three replicas on one server were accepted")
	}
	if _, err := newApp(t, nc, cluster.WithReplicas(0)); err == nil {
		t.Fatal("zero replicas were accepted")
	}
}

// countingCodec is JSON that counts its calls.
type countingCodec struct{ marshal, unmarshal atomic.Int32 }

func (c *countingCodec) Marshal(v any) ([]byte, error) {
	c.marshal.Add(1)
	return json.Marshal(v)
}

func (c *countingCodec) Unmarshal(b []byte, v any) error {
	c.unmarshal.Add(1)
	return json.Unmarshal(b, v)
}

func TestCodecOption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	nc := ns.connect(t)
	defer nc.Close()
	state := cluster.WithState[counter]("counter")
	page, err := mustApp(t, nc, state).NewPage("counter", counter{Count: 7})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := jetStream(t, nc).KeyValue(ctx, cluster.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "page."+page.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(e.Value()), `{"Count":7,"Log":null}`) {
		t.Errorf("by default the data is JSON; the record is %q", e.Value())
	}
	codec := new(countingCodec)
	custom := mustApp(t, nc, state, cluster.WithCodec(codec), cluster.WithBucket("codec"))
	p, err := custom.NewPage("counter", counter{})
	if err != nil {
		t.Fatal(err)
	}
	other := mustApp(t, nc, state, cluster.WithCodec(codec), cluster.WithBucket("codec"))
	if _, err := other.GetPage(p.GetToken()); err != nil {
		t.Fatal(err)
	}
	if codec.marshal.Load() == 0 || codec.unmarshal.Load() == 0 {
		t.Fatalf("the codec was not used: %d marshals, %d unmarshals", codec.marshal.Load(), codec.unmarshal.Load())
	}
	if _, err := newApp(t, nc, cluster.WithCodec(nil)); err == nil {
		t.Fatal("a nil codec was accepted")
	}
}

func TestStateOption(t *testing.T) {
	ns := startNATS(t)
	nc := ns.connect(t)
	defer nc.Close()
	none := mustApp(t, nc, cluster.WithBucket("none"))
	if _, err := none.NewPage("counter", counter{}); !errors.Is(err, cluster.ErrNoState) {
		t.Fatalf("a template without a state type: %v, want ErrNoState", err)
	}
	typed := mustApp(t, nc, cluster.WithState[counter]("counter"), cluster.WithBucket("typed"))
	if _, err := typed.NewPage("counter", &counter{}); !errors.Is(err, cluster.ErrStateType) {
		t.Fatalf("data of another type: %v, want ErrStateType", err)
	}
	page, err := typed.NewPage("counter", counter{Count: 3, Log: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	again := mustApp(t, nc, cluster.WithState[counter]("counter"), cluster.WithBucket("typed"))
	p, err := again.GetPage(page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := p.Data().(counter); !ok || c.Count != 3 || c.Log[0] != "x" {
		t.Fatalf("data on another instance: %#v, want the counter", p.Data())
	}
	untyped := mustApp(t, nc, cluster.WithState[any]("counter"), cluster.WithBucket("any"))
	if _, err := untyped.NewPage("counter", map[string]any{"Count": 1}); err != nil {
		t.Fatalf("WithState[any]: %v", err)
	}
}

func TestEventWindowOption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := startNATS(t)
	for _, c := range []struct {
		opts []cluster.Option
		want int
	}{
		{nil, cluster.DefaultEventWindow},
		{[]cluster.Option{cluster.WithEventWindow(8)}, 8},
	} {
		in := newInstanceVia(t, ns, ns.url(), "a", c.opts, livetemplate.WithEventRate(10000, 10000))
		page, err := in.app.NewPage("counter", counter{})
		if err != nil {
			t.Fatal(err)
		}
		p := in.join(t, ctx, page.GetToken())
		var ids []string
		for i := range c.want + 10 {
			id := fmt.Sprintf("e%d", i)
			if err := p.EventID(ctx, id, "add", nil); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rec := storedRecord(t, ctx, ns, page.ID())
		var got []string
		for _, e := range rec.Events {
			got = append(got, e.ID)
		}
		if want := ids[len(ids)-c.want:]; !slices.Equal(got, want) {
			t.Errorf("window %d: the record holds the events %v, want %v", c.want, got, want)
		}
	}
	nc := ns.connect(t)
	defer nc.Close()
	if _, err := newApp(t, nc, cluster.WithState[counter]("counter"), cluster.WithEventWindow(0)); err == nil {
		t.Fatal("an event window of 0 was accepted")
	}
}

package livetemplate_test

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/internal/replica"
)

// newApp returns an application that the test closes when it ends.
func newApp(t testing.TB, opts ...livetemplate.Option) *livetemplate.Application {
	t.Helper()
	app, err := livetemplate.NewApplication(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// parse parses src as a template with LiveTemplate's functions.
func parse(t testing.TB, name, src string) *template.Template {
	t.Helper()
	tmpl, err := template.New(name).Funcs(livetemplate.FuncMap()).Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// register registers src under name.
func register(t testing.TB, app *livetemplate.Application, name, src string) {
	t.Helper()
	if err := app.RegisterTemplate(name, parse(t, name, src)); err != nil {
		t.Fatal(err)
	}
}

// execute is the oracle: what html/template's Execute writes for src and data
// when PAGE_TOKEN writes tok.
func execute(t testing.TB, src string, data any, tok string) string {
	t.Helper()
	tmpl := parse(t, "oracle", src).Funcs(template.FuncMap{"PAGE_TOKEN": func() string { return tok }})
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	return b.String()
}

// newPage creates a page of the template name.
func newPage(t testing.TB, app *livetemplate.Application, name string, data any) *livetemplate.Page {
	t.Helper()
	p, err := app.NewPage(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// client is a client's copy of a page, built only from the Updates it is sent.
type client struct {
	tree    replica.Tree
	version uint64
}

// apply applies u as a client does, checking that it applies to the version
// the client holds.
func (c *client) apply(t testing.TB, u livetemplate.Update) {
	t.Helper()
	if !u.Changed() {
		return
	}
	if u.Base != c.version {
		t.Fatalf("update from version %d to %d sent to a client at version %d", u.Base, u.Version, c.version)
	}
	if err := c.tree.Apply(u.Body); err != nil {
		t.Fatalf("apply update %d: %v", u.Version, err)
	}
	c.version = u.Version
}

func (c *client) html(t testing.TB) string {
	t.Helper()
	h, err := c.tree.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewApplicationRejects(t *testing.T) {
	cases := map[string]livetemplate.Option{
		"idle TTL":      livetemplate.WithIdleTTL(0),
		"unjoined TTL":  livetemplate.WithUnjoinedTTL(-1),
		"max pages":     livetemplate.WithMaxPages(0),
		"max page size": livetemplate.WithMaxPageSize(-1),
		"store timeout": livetemplate.WithStoreTimeout(0),
		"key 0":         livetemplate.WithSigningKeys([]byte("too short")),

		"origin pattern":       livetemplate.WithOriginPatterns("a[b"),
		"max message size":     livetemplate.WithMaxMessageSize(0),
		"event rate":           livetemplate.WithEventRate(0, 10),
		"max connection pages": livetemplate.WithMaxConnectionPages(0),
		"send queue":           livetemplate.WithSendQueue(0),
		"write timeout":        livetemplate.WithWriteTimeout(0),
		"heartbeat":            livetemplate.WithHeartbeat(-1),
		"connection idle":      livetemplate.WithConnectionIdle(0),
		"disconnect grace":     livetemplate.WithDisconnectGrace(0),
		"history":              livetemplate.WithHistory(-1),
		"event timeout":        livetemplate.WithEventTimeout(0),
		"dedupe window":        livetemplate.WithDedupeWindow(0),
	}
	for want, opt := range cases {
		app, err := livetemplate.NewApplication(opt)
		if err == nil {
			app.Close()
			t.Errorf("NewApplication with a bad %s: no error", want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("bad %s: error %q does not say what is wrong", want, err)
		}
	}
}

func TestNewPageErrors(t *testing.T) {
	app := newApp(t, livetemplate.WithMaxPageSize(64))
	register(t, app, "fails", `<p>{{.Missing}}</p>`)
	register(t, app, "big", `<p>{{.}}</p>`)

	if _, err := app.NewPage("nope", nil); !errors.Is(err, livetemplate.ErrUnknownTemplate) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown template: got %v, want ErrUnknownTemplate naming it", err)
	}
	_, err := app.NewPage("fails", 42)
	var oracle bytes.Buffer
	want := template.Must(template.New("fails").Parse(`<p>{{.Missing}}</p>`)).Execute(&oracle, 42)
	if err == nil || !strings.Contains(err.Error(), want.Error()) {
		t.Errorf("execution error: got %v, want Execute's %v", err, want)
	}
	if _, err := app.NewPage("big", strings.Repeat("x", 64)); !errors.Is(err, livetemplate.ErrLimitReached) {
		t.Errorf("page over WithMaxPageSize: got %v, want ErrLimitReached", err)
	}
	if _, err := app.NewPage("big", strings.Repeat("x", 57)); err != nil {
		t.Errorf("page of exactly the limit: %v", err)
	}
}

func TestGetPageErrors(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	app := newApp(t, livetemplate.WithSigningKeys(key), livetemplate.WithMaxPages(1))
	register(t, app, "p", `<p>{{.}}</p>`)

	closed := newPage(t, app, "p", 1)
	closed.Close()
	if _, err := app.GetPage(closed.GetToken()); !errors.Is(err, livetemplate.ErrPageClosed) {
		t.Errorf("closed page: got %v, want ErrPageClosed", err)
	}

	evicted := newPage(t, app, "p", 2)
	newPage(t, app, "p", 3)
	_, err := app.GetPage(evicted.GetToken())
	if !errors.Is(err, livetemplate.ErrPageEvicted) || !errors.Is(err, livetemplate.ErrLimitReached) {
		t.Errorf("evicted page: got %v, want ErrPageEvicted wrapping ErrLimitReached", err)
	}

	// Same keys, another store: the token is valid, the page unknown.
	other := newApp(t, livetemplate.WithSigningKeys(key))
	register(t, other, "p", `<p>{{.}}</p>`)
	foreign := newPage(t, other, "p", 4)
	if _, err := app.GetPage(foreign.GetToken()); !errors.Is(err, livetemplate.ErrPageNotFound) {
		t.Errorf("page of another store: got %v, want ErrPageNotFound", err)
	}

	// Another key: the token is invalid, and the error does not repeat it.
	stranger := newApp(t)
	register(t, stranger, "p", `<p>{{.}}</p>`)
	tok := newPage(t, stranger, "p", 5).GetToken()
	for _, bad := range []string{tok, "", "not a token", strings.ToUpper(tok), tok[:len(tok)-1]} {
		_, err := app.GetPage(bad)
		if !errors.Is(err, livetemplate.ErrInvalidToken) {
			t.Errorf("GetPage(%q): got %v, want ErrInvalidToken", bad, err)
		}
		if err != nil && bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q repeats the token", err)
		}
	}
}

func TestTokenIsReusable(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", "x")
	for i := range 5 {
		got, err := app.GetPage(p.GetToken())
		if err != nil || got != p {
			t.Fatalf("GetPage #%d = %p, %v; want the page %p", i, got, err, p)
		}
	}
	if legacy, err := app.GetApplicationPage(p.GetToken()); err != nil || legacy != p {
		t.Fatalf("GetApplicationPage = %p, %v; want the page", legacy, err)
	}
}

func TestLegacyNewApplicationPage(t *testing.T) {
	app := newApp(t)
	tmpl := parse(t, "legacy", `<b>{{.}}</b>`)
	a, err := app.NewApplicationPage(tmpl, "one")
	if err != nil {
		t.Fatal(err)
	}
	b, err := app.NewApplicationPage(tmpl, "two")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[*livetemplate.Page]string{a: "<b>one</b>", b: "<b>two</b>"} {
		if html, err := p.Render(); err != nil || html != want {
			t.Errorf("Render = %q, %v; want %q", html, err, want)
		}
	}
	if got, err := app.GetApplicationPage(b.GetToken()); err != nil || got != b {
		t.Errorf("GetApplicationPage = %p, %v", got, err)
	}
	if _, err := app.NewApplicationPage(nil, 1); err == nil {
		t.Error("NewApplicationPage(nil): no error")
	}
	// The template is the caller's: registering it under a name still works.
	if err := app.RegisterTemplate("legacy", tmpl); err != nil {
		t.Errorf("RegisterTemplate after NewApplicationPage: %v", err)
	}
}

func TestApplicationClose(t *testing.T) {
	app, err := livetemplate.NewApplication()
	if err != nil {
		t.Fatal(err)
	}
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := app.NewPage("p", 2); !errors.Is(err, livetemplate.ErrApplicationClosed) {
		t.Errorf("NewPage after Close: got %v", err)
	}
	if _, err := app.GetPage(p.GetToken()); !errors.Is(err, livetemplate.ErrApplicationClosed) {
		t.Errorf("GetPage after Close: got %v", err)
	}
	if _, err := p.Render(); !errors.Is(err, livetemplate.ErrApplicationClosed) {
		t.Errorf("Render after Close: got %v", err)
	}
	if _, err := p.Update(3); !errors.Is(err, livetemplate.ErrApplicationClosed) {
		t.Errorf("Update after Close: got %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("page Close after application Close: %v", err)
	}
}

// contextStore is a MemoryStore that, like a networked store, fails once its
// context is done.
type contextStore struct{ livetemplate.MemoryStore }

func (s *contextStore) Put(ctx context.Context, id string, rec livetemplate.PageRecord, ttl time.Duration) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.MemoryStore.Put(ctx, id, rec, ttl)
}

func TestNewPageAfterCloseWithStore(t *testing.T) {
	app, err := livetemplate.NewApplication(livetemplate.WithStore(new(contextStore)))
	if err != nil {
		t.Fatal(err)
	}
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	app.Close()
	if _, err := app.NewPage("p", 2); !errors.Is(err, livetemplate.ErrApplicationClosed) {
		t.Fatalf("NewPage after Close: got %v, want ErrApplicationClosed", err)
	}
	if _, err := p.Update(2); !errors.Is(err, livetemplate.ErrApplicationClosed) {
		t.Fatalf("Update after Close: got %v, want ErrApplicationClosed", err)
	}
}

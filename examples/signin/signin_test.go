package signin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
	"github.com/livetemplate/livetemplate/examples/signin"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSignIn: /signin sets the cookie, which Identify reads, trimmed to
// MaxName; /signin/reconnect closes that browser's connections with 4010.
func TestSignIn(t *testing.T) {
	s := pagetest.Start(t, livetemplate.WithConnect(signin.Identify))
	signin.Mount(s.App, s.Mux)
	res, err := http.PostForm(s.URL+"/signin", url.Values{"name": {"  " + strings.Repeat("é", 30)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range res.Cookies() {
		r.AddCookie(c)
	}
	if m, _ := signin.Identify(r); m.Name != strings.Repeat("é", signin.MaxName) {
		t.Errorf("signed in as %q", m.Name)
	}
	if m, _ := signin.Identify(httptest.NewRequest("GET", "/", nil)); m.Name != "" {
		t.Errorf("no cookie: %q, want a guest", m.Name)
	}

	ctx := pagetest.Context(t)
	c, err := livetemplatetest.Dial(ctx, s.URL+"/live", livetemplatetest.WithBrowser("b1", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The dial returns once the handshake is answered, before the
	// application holds the connection: its pong says it does.
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	res, err = http.PostForm(s.URL+"/signin/reconnect", url.Values{"browser": {"b1"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("b1's connection is still open")
	}
	if c.CloseStatus() != 4010 {
		t.Errorf("b1's connection closed with %d, want 4010", c.CloseStatus())
	}
}

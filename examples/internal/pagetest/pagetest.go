// Package pagetest serves the examples in their tests: an application, a mux
// with the live endpoint at /live, an httptest server, and browsers played by
// livetemplatetest that open a page's address and join the page its HTML
// names.
package pagetest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// Server is an application served over HTTP for one test.
type Server struct {
	App *livetemplate.Application
	Mux *http.ServeMux // mount the example here; /live is the app's endpoint
	URL string
}

// Start starts a server, with an application made with opts, that ends
// with t.
func Start(t *testing.T, opts ...livetemplate.Option) *Server {
	t.Helper()
	app, err := livetemplate.NewApplication(opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { app.Close(); srv.Close() })
	return &Server{App: app, Mux: mux, URL: srv.URL}
}

// Context is t's context with a deadline generous for a loaded machine.
func Context(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Get returns the response to GET path (after redirects), which must be 200.
func (s *Server) Get(t *testing.T, path string) *http.Response {
	t.Helper()
	res, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, res.Status)
	}
	return res
}

// HTML returns the body of GET path.
func (s *Server) HTML(t *testing.T, path string) string {
	t.Helper()
	body, err := io.ReadAll(s.Get(t, path).Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

var tokenAttr = regexp.MustCompile(`data-token="([a-z0-9]+)"`)

// Token returns the page token that html's script tag carries, or "".
func Token(html string) string {
	if m := tokenAttr.FindStringSubmatch(html); m != nil {
		return m[1]
	}
	return ""
}

// Open loads path as a browser does: it gets the HTML, connects to /live
// and joins the page whose token the HTML carries.
func (s *Server) Open(t *testing.T, ctx context.Context, path string) *livetemplatetest.Page {
	t.Helper()
	html := s.HTML(t, path)
	token := Token(html)
	if token == "" {
		t.Fatalf("GET %s: no page token in\n%s", path, html)
	}
	return s.Join(t, ctx, token)
}

// Join connects to /live and joins the page of token.
func (s *Server) Join(t *testing.T, ctx context.Context, token string, opts ...livetemplatetest.Option) *livetemplatetest.Page {
	t.Helper()
	c, err := livetemplatetest.Dial(ctx, s.URL+"/live", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := c.Join(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

package client_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client"
)

// built is the client as the sources build it now, so that the browser
// tests test the sources even before `go generate` (TestBundleFresh checks
// that the committed bundle is the same).
var built = sync.OnceValues(func() (map[string][]byte, error) {
	files, err := client.Build()
	if err != nil {
		return nil, err
	}
	m := make(map[string][]byte)
	for _, f := range files {
		m[f.Name] = f.Contents
	}
	return m, nil
})

// testServer serves, on a loopback port: the client at /livetemplate.js and
// /livetemplate.mjs, app's live endpoint at /live (when app is not nil), and
// the extra handlers, by ServeMux pattern.
func testServer(t *testing.T, app *livetemplate.Application, extra map[string]http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(testMux(t, app, extra))
	t.Cleanup(srv.Close)
	return srv
}

// testServerTLS is testServer over HTTPS, with httptest's own certificate.
func testServerTLS(t *testing.T, app *livetemplate.Application, extra map[string]http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(testMux(t, app, extra))
	t.Cleanup(srv.Close)
	return srv
}

func testMux(t *testing.T, app *livetemplate.Application, extra map[string]http.Handler) *http.ServeMux {
	t.Helper()
	files, err := built()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for name, body := range files {
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			if r.URL.Query().Has("nav") { // as ScriptHandler serves the navigation chunk
				w.Write(files["livetemplate-nav.mjs"])
				return
			}
			if r.URL.Query().Has("upload") { // and the uploads' chunk
				w.Write(files["livetemplate-upload.mjs"])
				return
			}
			w.Write(body)
		})
	}
	if app != nil {
		mux.Handle("/live", app.Handler())
	}
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	return mux
}

// entryHandler serves the TypeScript file entry bundled on its own, for
// tests of one part of the client.
func entryHandler(t *testing.T, entry string) http.Handler {
	t.Helper()
	js, err := client.BuildEntry(entry)
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(js)
	})
}

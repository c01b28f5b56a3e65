package livetemplate_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
)

func getScript(t *testing.T, url string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	livetemplate.ScriptHandler().ServeHTTP(rec, req)
	return rec.Result()
}

func TestScriptHandler(t *testing.T) {
	res := getScript(t, "/livetemplate.js", nil)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("GET /livetemplate.js: %d, %d bytes", res.StatusCode, len(body))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control without ?v = %q, want no-cache", cc)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := getScript(t, "/livetemplate.js", http.Header{"If-None-Match": {etag}})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("GET with If-None-Match: %d, want 304", again.StatusCode)
	}
	pinned := getScript(t, "/livetemplate.js?v="+livetemplate.ScriptVersion(), nil)
	if cc := pinned.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control with ?v=ScriptVersion() = %q, want immutable", cc)
	}
	stale := getScript(t, "/livetemplate.js?v=0000", nil)
	if cc := stale.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control with another ?v = %q, want no-cache", cc)
	}
}

func TestScriptHandlerModule(t *testing.T) {
	classic, _ := io.ReadAll(getScript(t, "/livetemplate.js", nil).Body)
	res := getScript(t, "/livetemplate.mjs?v="+livetemplate.ModuleVersion(), nil)
	module, _ := io.ReadAll(res.Body)
	if string(module) == string(classic) {
		t.Fatal("the .mjs path served the classic script")
	}
	if !strings.Contains(string(module), "export") {
		t.Errorf("livetemplate.mjs has no export: %.80s", module)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control with ?v=ModuleVersion() = %q", cc)
	}
}

// TestScriptHandlerNav gets the navigation chunk at the client's own URLs
// with the query nav: the classic script's and the module's.
func TestScriptHandlerNav(t *testing.T) {
	module, _ := io.ReadAll(getScript(t, "/livetemplate.mjs", nil).Body)
	for _, url := range []string{"/livetemplate.js?nav", "/livetemplate.mjs?nav", "/static/livetemplate.js?nav="} {
		res := getScript(t, url, nil)
		nav, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(nav) == string(module) || !strings.Contains(string(nav), "LT-Navigate") || !strings.Contains(string(nav), "export") {
			t.Errorf("GET %s: %d, not the navigation chunk: %.80s", url, res.StatusCode, nav)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("GET %s: Content-Type = %q", url, ct)
		}
	}
}

// TestScriptHandlerUpload gets the uploads' chunk at the client's own URLs
// with the query upload.
func TestScriptHandlerUpload(t *testing.T) {
	for _, url := range []string{"/livetemplate.js?upload", "/livetemplate.mjs?upload", "/static/livetemplate.js?upload="} {
		res := getScript(t, url, nil)
		up, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.Contains(string(up), "LiveTemplate-Upload-Result") || !strings.Contains(string(up), "export") {
			t.Errorf("GET %s: %d, not the upload chunk: %.80s", url, res.StatusCode, up)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("GET %s: Content-Type = %q", url, ct)
		}
	}
}

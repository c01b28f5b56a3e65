package livetemplate

//go:generate go -C client run ./cmd/bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/livetemplate/livetemplate/internal/bundle"
)

// script is one file of the browser client, with what HTTP caching needs.
type script struct {
	body []byte
	etag string // a strong validator: the hash of body
	hash string // the version for ?v=, the first 16 hex digits of the hash
}

func newScript(body []byte) script {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	return script{body: body, etag: `"` + h + `"`, hash: h[:16]}
}

var (
	classicScript = newScript(bundle.Script)
	moduleScript  = newScript(bundle.Module)
	navScript     = newScript(bundle.Nav)
	uploadScript  = newScript(bundle.Upload)
)

// ScriptHandler serves the browser client. A request whose path ends in
// ".mjs" gets the client as an ES module (import { LiveTemplateClient } from
// "/livetemplate.mjs"); any other path gets the classic script, which
// connects the page it is on by itself (see docs/client.md). A request with
// the query "nav" (the client's own URL, "/livetemplate.js?nav") gets the
// client's chunk, an ES module that it loads on demand (live navigation,
// client-side commands, the indicator; docs/client.md), and one with the
// query "upload" the chunk of uploads, which a page with an upload input loads:
//
//	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
//	mux.Handle("GET /livetemplate.mjs", livetemplate.ScriptHandler())
//
// Responses carry an ETag and "Cache-Control: no-cache", so that browsers
// revalidate and get 304 Not Modified until the library changes. A request
// whose ?v= is [ScriptVersion] may be cached for a year: it names these
// bytes only.
func ScriptHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := classicScript
		if r.URL.Query().Has("nav") {
			s = navScript
		} else if r.URL.Query().Has("upload") {
			s = uploadScript
		} else if strings.HasSuffix(r.URL.Path, ".mjs") {
			s = moduleScript
		}
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", s.etag)
		if r.URL.Query().Get("v") == s.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.body))
	})
}

// ScriptVersion names the classic script's current bytes, for a URL that
// browsers may cache for good: "/livetemplate.js?v=" + ScriptVersion().
func ScriptVersion() string { return classicScript.hash }

// ModuleVersion is [ScriptVersion] for the ES module, livetemplate.mjs.
func ModuleVersion() string { return moduleScript.hash }

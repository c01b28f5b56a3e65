package client_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// putStore stands in for both ends of an upload straight to storage: the
// storage (another origin, with CORS, as a bucket's rules allow) takes
// PUTs at /b/<id>, and the upload server completes and cancels uploads at
// /up/<id> (docs/protocol.md, "Uploads straight to storage"). slow* is read
// slowly; the storage "loses" lost* once, so that its first completion is
// answered 409; reject* is refused by "the app".
type putStore struct {
	mu          sync.Mutex
	objects     map[string][]byte
	lost        map[string]bool
	puts        map[string]int
	completions map[string]int
	deleted     []string
}

func newPutStore() *putStore {
	return &putStore{objects: make(map[string][]byte), lost: make(map[string]bool), puts: make(map[string]int), completions: make(map[string]int)}
}

// storage serves the bucket's side.
func (s *putStore) storage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Access-Control-Allow-Headers", "content-type, x-amz-meta-test") // a blob of a type not safelisted needs content-type
		w.WriteHeader(http.StatusNoContent)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/b/")
	if r.Method != http.MethodPut || r.Header.Get("X-Amz-Meta-Test") != "1" {
		http.Error(w, "<Error>bad request</Error>", http.StatusForbidden)
		return
	}
	var b []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
		if strings.HasPrefix(id, "up_slow") {
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.mu.Lock()
	s.puts[id]++
	if strings.HasPrefix(id, "up_lost") && s.puts[id] == 1 {
		s.lost[id] = true
	} else {
		s.objects[id] = b
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// server serves the upload server's side: completion and cancel.
func (s *putStore) server(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/up/")
	w.Header().Set("Tus-Resumable", "1.0.0")
	if r.Header.Get("LiveTemplate-Upload") != "tok:"+strings.TrimPrefix(id, "up_") {
		w.Header().Set("LiveTemplate-Upload-Result", "invalid_upload_token the upload token is not valid")
		http.Error(w, "invalid_upload_token", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodDelete:
		delete(s.objects, id)
		s.deleted = append(s.deleted, id)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		s.completions[id]++
		if _, ok := s.objects[id]; !ok {
			w.Header().Set("LiveTemplate-Upload-Result", "not_uploaded the file is not in storage: PUT it first")
			http.Error(w, "not_uploaded", http.StatusConflict)
			return
		}
		res := "ok"
		if strings.HasPrefix(id, "up_reject") {
			res = "rejected too dull"
		}
		w.Header().Set("LiveTemplate-Upload-Result", res)
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// TestUploadPut: files whose grants have put go to the storage with a PUT
// (carrying the grant's headers, across origins, with progress), then are
// completed by a POST to the endpoint, whose verdict the page shows; a
// completion answered 409 PUTs again; cancel stops the PUT and DELETEs.
func TestUploadPut(t *testing.T) {
	store := newPutStore()
	bucket := httptest.NewServer(http.HandlerFunc(store.storage))
	t.Cleanup(bucket.Close)
	grants := `files: m.files.map((f) => ({id: "up_" + f.name, token: "tok:" + f.name}))`
	if !strings.Contains(uploadPage, grants) {
		t.Fatal("uploadPage changed: this test's page no longer grants puts")
	}
	page := strings.Replace(uploadPage, grants, fmt.Sprintf(
		`files: m.files.map((f) => ({id: "up_" + f.name, token: "tok:" + f.name, put: %q + "/b/up_" + f.name, headers: {"x-amz-meta-test": "1"}}))`, bucket.URL), 1)
	srv := testServer(t, nil, map[string]http.Handler{"GET /upload": htmlHandler(page), "/up/": http.HandlerFunc(store.server)})
	b := browsertest.Start(t)
	files := testFiles(t, map[string]int{"big.bin": 6 << 20, "reject.txt": 100, "lost.txt": 1000, "slow.bin": 8 << 20})
	tab := b.Tab(t)
	tab.Navigate(srv.URL + "/upload")
	tab.WaitFor("window.ready", 10*time.Second)
	logHas := func(entry string) string { return fmt.Sprintf("window.log.includes(%q)", entry) }

	choose(t, tab, "#pick", files["big.bin"], files["reject.txt"], files["lost.txt"])
	tab.WaitFor(logHas("done:photos:big.bin:ok")+" && "+logHas("done:photos:reject.txt:rejected")+" && "+logHas("done:photos:lost.txt:ok"), 30*time.Second)
	store.mu.Lock()
	for _, name := range []string{"big.bin", "reject.txt", "lost.txt"} {
		want, _ := os.ReadFile(files[name])
		if got := store.objects["up_"+name]; string(got) != string(want) {
			t.Errorf("%s in storage: %d bytes, want the file's %d", name, len(got), len(want))
		}
	}
	if store.puts["up_lost.txt"] != 2 || store.completions["up_lost.txt"] != 2 || store.completions["up_big.bin"] != 1 {
		t.Errorf("puts %v, completions %v: want lost.txt PUT again after its 409, and one completion of big.bin", store.puts, store.completions)
	}
	store.mu.Unlock()
	if n := browsertest.MustEval[int](tab, "window.progress"); n < 3 {
		t.Errorf("%d progress events, want the PUT's progress", n)
	}

	choose(t, tab, "#pick", files["slow.bin"])
	tab.WaitFor(`+[...document.querySelectorAll("#list li")].find((li) => li.textContent.includes("slow.bin"))?.getAttribute("data-lvt-upload-loaded") > 0`, 10*time.Second)
	browsertest.MustEval[bool](tab, `[...document.querySelectorAll("#list li")].find((li) => li.textContent.includes("slow.bin")).querySelector("[lvt-upload-cancel]").click(), true`)
	tab.WaitFor(logHas("error:photos:slow.bin:canceled"), 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		store.mu.Lock()
		deleted := slices.Contains(store.deleted, "up_slow.bin")
		store.mu.Unlock()
		if deleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no DELETE for the canceled upload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	noConsole(t, tab)
}

package upload_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/upload"
)

// fakeS3 is an in-process S3-compatible server (gofakes3, in memory) on a
// real HTTP server, with the bucket "b".
type fakeS3 struct {
	t      *testing.T
	url    string
	client *s3.Client
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("b"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("key", "secret", ""),
	})
	return &fakeS3{t: t, url: srv.URL, client: client}
}

// presigner returns a presigner of uploads to the bucket.
func (f *fakeS3) presigner(opts ...upload.S3Option) *upload.S3Presigner {
	f.t.Helper()
	p, err := upload.NewS3Presigner(f.client, "b", opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// keys returns the keys of the bucket's objects.
func (f *fakeS3) keys() []string {
	f.t.Helper()
	out, err := f.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	if err != nil {
		f.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// newDirect returns a fixture whose uploads go straight to a fake S3.
func newDirect(t *testing.T, appOpts []livetemplate.Option, upOpts ...upload.Option) (*fixture, *fakeS3) {
	t.Helper()
	s3 := newFakeS3(t)
	return newFixture(t, appOpts, append([]upload.Option{upload.WithPresigner(s3.presigner())}, upOpts...)...), s3
}

// putObject PUTs b to the presigned URL of the upload id, with its headers.
func (fx *fixture) putObject(id string, b []byte) {
	fx.t.Helper()
	fx.mu.Lock()
	p, ok := fx.puts[id]
	fx.mu.Unlock()
	if !ok {
		fx.t.Fatalf("upload %s: no presigned PUT", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.url, bytes.NewReader(b))
	if err != nil {
		fx.t.Fatal(err)
	}
	for k, v := range p.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fx.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fx.t.Fatalf("PUT to storage: %s", resp.Status)
	}
}

// completion POSTs the completion of the upload id with token.
func (fx *fixture) completion(id, token string) *http.Response {
	fx.t.Helper()
	return fx.tus(token).do("POST", fx.url+upload.DefaultEndpoint+id, nil, nil)
}

// TestDirectHappyPath: the file goes to storage by its presigned URL; the
// completion hands the object to the handler, which reads it, once; the
// accepted object stays.
func TestDirectHappyPath(t *testing.T) {
	fx, store := newDirect(t, nil)
	ids, tokens := fx.grant([]string{"cat.png"}, []int{100_000})
	if p := fx.puts[ids[0]]; !strings.HasPrefix(p.url, store.url+"/b/uploads/"+ids[0]+"?") {
		t.Fatalf("put %q: want a URL of the bucket's object uploads/%s", p.url, ids[0])
	}
	data := pngBytes(100_000)
	fx.putObject(ids[0], data)
	for range 2 {
		r := fx.completion(ids[0], tokens[0])
		if r.StatusCode != http.StatusOK || r.Header.Get(upload.ResultHeader) != "ok" {
			t.Fatalf("completion: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
		}
	}
	got := fx.received()
	if len(got) != 1 || !bytes.Equal(got[0].bytes, data) {
		t.Fatalf("the handler ran %d times (want once, with the bytes sent)", len(got))
	}
	f := got[0].f
	if f.ID != ids[0] || f.Name != "cat.png" || f.Size != 100_000 || f.ContentType != "image/png" || f.Key != "uploads/"+ids[0] || f.Path != "" {
		t.Fatalf("handler got %+v", f)
	}
	if d := fx.page.Data().([]string); len(d) != 1 || d[0] != "cat.png" {
		t.Fatalf("page %q", d)
	}
	if keys := store.keys(); !slices.Equal(keys, []string{"uploads/" + ids[0]}) {
		t.Fatalf("objects %q: want the accepted one", keys)
	}
	fx.onlyResults()
	if r := fx.tus(tokens[0]).do("DELETE", fx.url+upload.DefaultEndpoint+ids[0], nil, nil); r.StatusCode != http.StatusNotFound || len(store.keys()) != 1 {
		t.Fatalf("DELETE of a completed upload: %s, objects %q", r.Status, store.keys())
	}
}

// TestDirectRefusals: a rejected file, one whose bytes are not of an
// accepted type and one of the wrong size get their verdicts (the handler
// runs only for the first, once) and their objects are deleted; a
// completion before the PUT is a conflict.
func TestDirectRefusals(t *testing.T) {
	fx, store := newDirect(t, nil)
	ids, tokens := fx.grant([]string{"reject.png", "cat.png"}, []int{1000, 1000})
	more, moreTokens := fx.grant([]string{"dog.png"}, []int{1000})
	ids, tokens = append(ids, more...), append(tokens, moreTokens...)
	if r := fx.completion(ids[2], tokens[2]); r.StatusCode != http.StatusConflict || !strings.HasPrefix(r.Header.Get(upload.ResultHeader), "not_uploaded ") {
		t.Fatalf("completion before the PUT: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 986)...)
	bodies := [][]byte{pngBytes(1000), exe, pngBytes(900)}
	want := []string{"rejected reject.png: no cats here", "upload_refused cat.png: type not accepted",
		"upload_refused dog.png: 900 bytes arrived, not the 1000 announced"}
	for i := range ids {
		fx.putObject(ids[i], bodies[i])
		for range 2 {
			if got := fx.completion(ids[i], tokens[i]).Header.Get(upload.ResultHeader); got != want[i] {
				t.Fatalf("file %d: %q, want %q", i, got, want[i])
			}
		}
	}
	if n := len(fx.received()); n != 1 {
		t.Fatalf("the handler ran %d times, want once (the rejected file)", n)
	}
	if keys := store.keys(); len(keys) != 0 {
		t.Fatalf("objects left: %q", keys)
	}
	fx.onlyResults()
}

// TestDirectEmpty: an empty file is checked without reading its bytes.
func TestDirectEmpty(t *testing.T) {
	fx, store := newDirect(t, nil)
	ids, tokens := fx.grant([]string{"empty.pdf"}, []int{0})
	fx.putObject(ids[0], nil)
	if got := fx.completion(ids[0], tokens[0]).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("an empty PDF: %q", got)
	}
	if got := fx.received(); len(got) != 1 || got[0].f.Size != 0 || len(store.keys()) != 1 {
		t.Fatalf("handler got %d files, objects %q", len(got), store.keys())
	}
}

// TestDirectTokens: a forged token is refused; a completion with an
// expired token is refused and deletes the object.
func TestDirectTokens(t *testing.T) {
	fx, store := newDirect(t, []livetemplate.Option{livetemplate.WithUploadTokenTTL(time.Second)})
	ids, tokens := fx.grant([]string{"cat.png", "dog.png"}, []int{1000, 1000})
	fx.putObject(ids[0], pngBytes(1000))
	forged := strings.Split(tokens[0], ".")[0] + "." + strings.Split(tokens[1], ".")[1]
	if r := fx.completion(ids[0], forged); r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get(upload.ResultHeader), "invalid_upload_token ") {
		t.Fatalf("forged token: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	if r := fx.completion(ids[0], tokens[1]); r.StatusCode != http.StatusNotFound {
		t.Fatalf("another upload's token: %s, want 404", r.Status)
	}
	time.Sleep(time.Second)
	if r := fx.completion(ids[0], tokens[0]); r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get(upload.ResultHeader), "expired_upload_token ") {
		t.Fatalf("expired token: %s %q", r.Status, r.Header.Get(upload.ResultHeader))
	}
	if keys := store.keys(); len(keys) != 0 || len(fx.received()) != 0 {
		t.Fatalf("after expiry: objects %q, %d runs", keys, len(fx.received()))
	}
	if slices.ContainsFunc(fx.files(), func(n string) bool { return strings.HasPrefix(n, ids[0]) }) {
		t.Fatalf("files of the expired upload left: %q", fx.files())
	}
}

// TestDirectCancel: DELETE deletes the object and frees the upload's room;
// the upload is gone.
func TestDirectCancel(t *testing.T) {
	fx, store := newDirect(t, []livetemplate.Option{livetemplate.WithUploadLimits(livetemplate.UploadLimits{Files: 1})})
	ids, tokens := fx.grant([]string{"cat.png"}, []int{1000})
	fx.putObject(ids[0], pngBytes(1000))
	if r := fx.tus(tokens[0]).do("DELETE", fx.url+upload.DefaultEndpoint+ids[0], nil, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %s", r.Status)
	}
	if keys := store.keys(); len(keys) != 0 || len(fx.files()) != 0 {
		t.Fatalf("after cancel: objects %q, files %q", keys, fx.files())
	}
	if r := fx.completion(ids[0], tokens[0]); r.StatusCode != http.StatusNotFound {
		t.Fatalf("completion after cancel: %s", r.Status)
	}
	fx.grant([]string{"dog.png"}, []int{1000}) // fails if the cancelled upload holds its room
}

// TestDirectSweep: the sweeper deletes the objects of uploads whose page
// ended.
func TestDirectSweep(t *testing.T) {
	fx, store := newDirect(t, nil, upload.WithSweepInterval(20*time.Millisecond))
	ids, _ := fx.grant([]string{"cat.png"}, []int{1000})
	fx.putObject(ids[0], pngBytes(1000))
	fx.page.Close()
	deadline := time.Now().Add(5 * time.Second)
	for (len(store.keys()) > 0 || len(fx.files()) > 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if keys := store.keys(); len(keys) != 0 || len(fx.files()) != 0 {
		t.Fatalf("objects %q, files %q left", keys, fx.files())
	}
}

func TestS3Options(t *testing.T) {
	store := newFakeS3(t)
	if _, err := upload.NewS3Presigner(nil, "b"); err == nil {
		t.Error("no client: no error")
	}
	if _, err := upload.NewS3Presigner(store.client, ""); err == nil {
		t.Error("no bucket: no error")
	}
	fx := newFixture(t, nil, upload.WithPresigner(store.presigner(upload.WithKeyPrefix("in/"))))
	ids, tokens := fx.grant([]string{"cat.png"}, []int{1000})
	fx.putObject(ids[0], pngBytes(1000))
	if got := fx.completion(ids[0], tokens[0]).Header.Get(upload.ResultHeader); got != "ok" {
		t.Fatalf("completion: %q", got)
	}
	if keys := store.keys(); !slices.Equal(keys, []string{"in/" + ids[0]}) {
		t.Fatalf("WithKeyPrefix: objects %q", keys)
	}
	// Without WithPresigner, grants have no put and nothing opens objects.
	plain := newFixture(t, nil)
	id, _ := plain.grant([]string{"cat.png"}, []int{1000})
	if _, ok := plain.puts[id[0]]; ok {
		t.Fatal("a grant of a server without presigner has a put")
	}
	if _, err := plain.up.OpenUpload(context.Background(), "uploads/x"); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("OpenUpload without presigner: %v", err)
	}
}

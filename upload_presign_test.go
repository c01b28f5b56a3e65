package livetemplate_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
)

// fakePresigner is an upload server that sends files straight to a
// storage, without HTTP: files named fail* cannot be presigned, and every
// object reads "object <key>".
type fakePresigner struct{ fakeUploads }

func (f *fakePresigner) Presign(ctx context.Context, t livetemplate.UploadTicket, tok string) (string, map[string]string, error) {
	if strings.HasPrefix(t.Name, "fail") || tok == "" {
		return "", nil, errors.New("no credentials")
	}
	return "https://s3.test/b/" + t.ID, map[string]string{"x-a": "1"}, nil
}

func (f *fakePresigner) OpenUpload(ctx context.Context, key string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("object " + key)), nil
}

// TestUploadPresigned: the grants of a presigning upload server carry its
// URL and headers; a file it cannot presign gets unavailable and frees the
// room of the request's files; the handler reads the object of a file
// completed by key through UploadedFile.Reader.
func TestUploadPresigned(t *testing.T) {
	up := new(fakePresigner)
	app := newApp(t, livetemplate.WithLogger(slog.New(slog.DiscardHandler)), livetemplate.WithUploads(up),
		livetemplate.WithUploadLimits(livetemplate.UploadLimits{Files: 2}))
	register(t, app, "gallery", gallerySrc)
	cfg := livetemplate.UploadConfig{Accept: []string{"image/*"}, MaxSize: 1000, MaxFiles: 2}
	err := app.HandleUpload("gallery", "photos", cfg, func(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
		r, err := f.Reader(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		_, err = p.Modify(ctx, func(data any) (any, error) { return append(data.([]string), string(b)), nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	page := newPage(t, app, "gallery", []string{})
	c := rawDial(t, srv.URL, nil)
	c.joined(page.GetToken())
	if m := ask(c, "u1", "photos", "cat.png:10:image/png", "fail.png:10:image/png"); m["code"] != "unavailable" {
		t.Fatalf("a file that cannot be presigned: %v", m)
	}
	m := ask(c, "u2", "photos", "cat.png:10:image/png", "dog.png:10:image/png") // refused if u1 holds room
	ids, tokens := grantsOf(t, m)
	g := m["files"].([]any)[0].(map[string]any)
	if g["put"] != "https://s3.test/b/"+ids[0] || g["headers"].(map[string]any)["x-a"] != "1" {
		t.Fatalf("grant %v: want the presigned put and its headers", g)
	}
	tk, err := up.host.Verify(tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	f := livetemplate.UploadedFile{Name: "cat.png", Size: 10, ContentType: "image/png", Key: "uploads/" + ids[0]}
	if err := up.host.Complete(testContext(t), tk, f); err != nil {
		t.Fatal(err)
	}
	if got := page.Data().([]string); len(got) != 1 || got[0] != "object uploads/"+ids[0] {
		t.Fatalf("page %q: want the object the handler read", got)
	}
	if _, err := (livetemplate.UploadedFile{Name: "x", Key: "k"}).Reader(testContext(t)); err == nil {
		t.Fatal("Reader of a key without an upload server: no error")
	}
}

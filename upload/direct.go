package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/livetemplate/livetemplate"
)

// This file is the server's side of uploads sent straight to storage: the
// browser PUTs a file to the URL that Presign gave, then POSTs to
// <endpoint><id> to complete it. A file "<id>.object" in the server's
// directory, holding the upload's token, marks an upload presigned and not
// yet ended, for the sweeper and for cancels.

// WithPresigner makes the server have browsers send files straight to the
// storage of p, so that the bytes skip the server. Default: none; files
// are sent to the server with tus.
func WithPresigner(p *S3Presigner) Option {
	return func(s *Server) { s.s3 = p }
}

// removeTimeout bounds the deletion of an object when no request's
// context bounds it (sweeps, refused tokens).
const removeTimeout = 10 * time.Second

// Presign is called by the application when it grants an upload: with a
// presigner ([WithPresigner]) it returns the URL to which the browser PUTs
// the file of t, and the headers the PUT must carry; without, "".
func (s *Server) Presign(ctx context.Context, t livetemplate.UploadTicket, tok string) (string, map[string]string, error) {
	if s.s3 == nil {
		return "", nil, nil
	}
	if err := os.WriteFile(s.path(t.ID, ".object"), []byte(tok), 0o600); err != nil {
		return "", nil, fmt.Errorf("upload %s: %w", t.ID, err)
	}
	return s.s3.put(ctx, s.s3.key(t.ID), t.Size, t.Expires)
}

// OpenUpload opens the object key of a completed upload sent straight to
// storage, for [livetemplate.UploadedFile.Reader].
func (s *Server) OpenUpload(ctx context.Context, key string) (io.ReadCloser, error) {
	if s.s3 == nil {
		return nil, errors.New("upload: the server has no presigner")
	}
	return s.s3.open(ctx, key)
}

// presigned reports whether the upload id was presigned and has not
// ended.
func (s *Server) presigned(id string) bool {
	_, err := os.Stat(s.path(id, ".object"))
	return err == nil
}

// complete serves POST <endpoint><id>: the browser has PUT the file of t
// to storage. The object is checked (size, first bytes) and handed to the
// application once; the answer carries the verdict in ResultHeader, as
// does the answer to a completion sent again.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, t livetemplate.UploadTicket) {
	res, ok := s.result(t.ID)
	if !ok {
		if !s.presigned(t.ID) {
			fail(w, http.StatusNotFound, "unknown_upload", "no such upload: it was cancelled or expired")
			return
		}
		var err error
		if res, err = s.check(r.Context(), t); errors.Is(err, errNoObject) {
			fail(w, http.StatusConflict, "not_uploaded", "the file is not in storage: PUT it first")
			return
		} else if err != nil {
			fail(w, http.StatusServiceUnavailable, "unavailable", "the file could not be handed over now: retry")
			return
		}
	}
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set(ResultHeader, res)
	w.WriteHeader(http.StatusOK)
}

// check checks the stored object of t, hands it to the application and
// keeps the verdict; an object not accepted is deleted. The lock of t.ID
// is held.
func (s *Server) check(ctx context.Context, t livetemplate.UploadTicket) (string, error) {
	key := s.s3.key(t.ID)
	size, err := s.s3.size(ctx, key)
	if err != nil {
		return "", err
	}
	res := fmt.Sprintf("upload_refused %s: %d bytes arrived, not the %d announced", clean(t.Name), size, t.Size)
	if size == t.Size {
		typ := http.DetectContentType(nil) // of an empty object, which a ranged GET cannot read
		if size > 0 {
			if typ, err = s.s3.sniff(ctx, key); err != nil {
				return "", err
			}
		}
		if res, err = s.hand(ctx, t, livetemplate.UploadedFile{Size: size, ContentType: typ, Key: key}); err != nil {
			return "", err
		}
	}
	// The verdict is final now: a client that goes away does not stop its
	// keeping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	if res != "ok" {
		if err := s.s3.remove(ctx, key); err != nil {
			return "", err
		}
	}
	if err := s.remember(t, res); err != nil {
		return "", err
	}
	os.Remove(s.path(t.ID, ".object"))
	s.host.Release(t)
	return res, nil
}

// cancel serves DELETE <endpoint><id> of an upload sent straight to
// storage: its object is deleted, unless the upload completed.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request, t livetemplate.UploadTicket) {
	if !s.presigned(t.ID) {
		fail(w, http.StatusNotFound, "unknown_upload", "no such upload, or it is complete")
		return
	}
	if err := s.s3.remove(r.Context(), s.s3.key(t.ID)); err != nil {
		fail(w, http.StatusServiceUnavailable, "unavailable", "the upload could not be cancelled now: retry")
		return
	}
	os.Remove(s.path(t.ID, ".object"))
	s.host.Release(t)
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.WriteHeader(http.StatusNoContent)
}

// discardObject deletes the object of the upload of t, sent straight to
// storage, if it has not ended, and frees its room: its token expired or
// its page ended.
func (s *Server) discardObject(t livetemplate.UploadTicket) {
	if s.s3 == nil || !validID(t.ID) {
		return
	}
	defer s.turns.hold(t.ID)()
	if !s.presigned(t.ID) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	if s.s3.remove(ctx, s.s3.key(t.ID)) != nil {
		return // the next sweep tries again
	}
	os.Remove(s.path(t.ID, ".object"))
	s.host.Release(t)
}

// The server is an UploadPresigner, whether it presigns or not.
var _ livetemplate.UploadPresigner = (*Server)(nil)

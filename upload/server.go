package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	xslog "golang.org/x/exp/slog"

	"github.com/livetemplate/livetemplate"
)

// Headers of the protocol beside tus's own.
const (
	// TokenHeader carries the upload token on every request.
	TokenHeader = "LiveTemplate-Upload"
	// ResultHeader carries the verdict on a completed file, in the answer
	// to the request that completed it and to every HEAD after: "ok", or
	// a code, a space and a message for the user (codes rejected and
	// upload_refused, see docs/protocol.md).
	ResultHeader = "LiveTemplate-Upload-Result"
)

// Defaults of the options.
const (
	DefaultEndpoint      = "/live/uploads/" // WithEndpoint
	DefaultSweepInterval = time.Minute      // WithSweepInterval
)

// requestGrace is how long tusd lets a request's store operations run
// after the request ended.
const requestGrace = 200 * time.Millisecond

// Server is a tus upload server for one application. Make one with [New],
// give it to the application with its [Server.Option], and serve it at its
// endpoint. Its methods are safe for concurrent use.
type Server struct {
	dir        string
	endpoint   string
	sweepEvery time.Duration

	store filestore.FileStore
	tus   http.Handler // tusd's handler, behind the endpoint's prefix
	turns turns        // one request of an upload id (or the sweeper's work on it) at a time

	s3    *S3Presigner             // WithPresigner, or nil
	host  *livetemplate.UploadHost // set by Start
	stop  chan struct{}
	swept sync.WaitGroup
}

// An Option configures a Server.
type Option func(*Server)

// WithEndpoint sets the URL path at which the server is served, ending in
// "/", which browsers are told to send files to. Default: DefaultEndpoint.
func WithEndpoint(path string) Option {
	return func(s *Server) { s.endpoint = path }
}

// WithSweepInterval sets how often the server deletes the temporary files
// of uploads whose token expired or whose page ended, and the verdicts of
// expired ones. Default: DefaultSweepInterval.
func WithSweepInterval(d time.Duration) Option {
	return func(s *Server) { s.sweepEvery = d }
}

// New returns a server that keeps the files being uploaded in dir (made if
// need be). Instances of a cluster that share dir (a network file system)
// complete each other's uploads.
func New(dir string, opts ...Option) (*Server, error) {
	s := &Server{dir: dir, endpoint: DefaultEndpoint, sweepEvery: DefaultSweepInterval, stop: make(chan struct{})}
	for _, opt := range opts {
		opt(s)
	}
	switch {
	case !strings.HasPrefix(s.endpoint, "/") || !strings.HasSuffix(s.endpoint, "/"):
		return nil, fmt.Errorf("upload: the endpoint %q must start and end with /", s.endpoint)
	case s.sweepEvery <= 0:
		return nil, fmt.Errorf("upload: the sweep interval %v is not positive", s.sweepEvery)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	s.store = filestore.New(dir)
	composer := handler.NewStoreComposer()
	s.store.UseIn(composer)
	memorylocker.New().UseIn(composer)
	h, err := handler.NewHandler(handler.Config{
		StoreComposer:              composer,
		BasePath:                   s.endpoint,
		DisableDownload:            true,
		DisableConcatenation:       true,
		Cors:                       &handler.CorsConfig{Disable: true},
		Logger:                     xslog.New(xslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:    s.created,
		PreFinishResponseCallback:  s.finished,
		PreUploadTerminateCallback: s.terminated,
		// The file store writes straight to the file: an interrupted
		// request needs no long grace, and tusd keeps a goroutine per
		// request for that long.
		GracefulRequestCompletionTimeout: requestGrace,
	})
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	s.tus = http.StripPrefix(s.endpoint, h)
	return s, nil
}

// Option is the application's option that makes s its upload server.
func (s *Server) Option() livetemplate.Option { return livetemplate.WithUploads(s) }

// Endpoint returns the URL path of the server.
func (s *Server) Endpoint() string { return s.endpoint }

// Start is called by livetemplate.NewApplication: it starts the sweeper.
func (s *Server) Start(h *livetemplate.UploadHost) error {
	if s.host != nil {
		return errors.New("upload: the server serves one application only")
	}
	s.host = h
	s.swept.Add(1)
	go s.sweep()
	return nil
}

// Close is called by Application.Close: it stops the sweeper. Files being
// uploaded stay for a restarted server with the same signing keys.
func (s *Server) Close() error {
	close(s.stop)
	s.swept.Wait()
	return nil
}

// ticketKey is the key of the request context's value that holds the
// request's verified UploadTicket, for tusd's callbacks.
type ticketKey struct{}

// ServeHTTP serves the tus protocol at the endpoint: every request must
// carry a valid upload token for the upload it names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, s.endpoint)
	if !ok || s.host == nil || strings.Contains(id, "/") {
		fail(w, http.StatusNotFound, "unknown_upload", "no such upload")
		return
	}
	t, err := s.host.Verify(r.Header.Get(TokenHeader))
	if err != nil {
		s.refuse(w, t, err)
		return
	}
	if id != "" && id != t.ID {
		fail(w, http.StatusNotFound, "unknown_upload", "the token is for another upload")
		return
	}
	leave, err := s.turns.enter(t.ID, w, r)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "upload_busy", err.Error())
		return
	}
	defer leave()
	r = r.WithContext(context.WithValue(r.Context(), ticketKey{}, t))
	switch {
	case s.s3 != nil && id != "" && r.Method == http.MethodPost:
		s.complete(w, r, t)
		return
	case s.s3 != nil && id != "" && r.Method == http.MethodDelete && s.presigned(id):
		s.cancel(w, r, t)
		return
	case r.Method == http.MethodPost && id == "":
		s.create(w, r, t)
		return
	case r.Method == http.MethodHead || r.Method == http.MethodPatch:
		if s.answerDone(w, r, t) {
			return
		}
	}
	s.serveTus(w, r)
}

// refuse answers a request whose token Verify refused with err. The files
// of an upload whose token expired or whose page ended are deleted.
func (s *Server) refuse(w http.ResponseWriter, t livetemplate.UploadTicket, err error) {
	switch {
	case errors.Is(err, livetemplate.ErrInvalidUploadToken):
		fail(w, http.StatusUnauthorized, "invalid_upload_token", "the upload token is not valid")
		return
	case errors.Is(err, livetemplate.ErrExpiredUploadToken):
		s.discard(t)
		s.discardObject(t)
		fail(w, http.StatusUnauthorized, "expired_upload_token", "the upload token expired: upload the file again")
		return
	case pageEnded(err):
		s.discard(t)
		s.discardObject(t)
		fail(w, http.StatusGone, "page_closed", "the page of this upload ended")
		return
	}
	fail(w, http.StatusServiceUnavailable, "unavailable", "the upload cannot be checked now: retry")
}

func pageEnded(err error) bool {
	return errors.Is(err, livetemplate.ErrPageClosed) || errors.Is(err, livetemplate.ErrPageExpired) ||
		errors.Is(err, livetemplate.ErrPageEvicted) || errors.Is(err, livetemplate.ErrPageNotFound)
}

// fail writes an error of the protocol: its code in ResultHeader and the
// body.
func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set(ResultHeader, code+" "+msg)
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, code+": "+msg+"\n")
}

// create serves a creation: Upload-Length must be the size the token was
// issued for. A creation repeated (its answer was lost) answers as the
// first did, so that the client can resume.
func (s *Server) create(w http.ResponseWriter, r *http.Request, t livetemplate.UploadTicket) {
	n, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	switch {
	case err != nil || n < t.Size:
		fail(w, http.StatusBadRequest, "bad_length", fmt.Sprintf("Upload-Length must be %d, the size the token was issued for", t.Size))
		return
	case n > t.Size:
		fail(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("Upload-Length is more than %d, the size the token was issued for", t.Size))
		return
	}
	if _, err := os.Stat(s.path(t.ID, ".info")); err == nil {
		w.Header().Set("Location", s.endpoint+t.ID)
		w.Header().Set("Tus-Resumable", "1.0.0")
		w.WriteHeader(http.StatusCreated)
		return
	}
	s.serveTus(w, r)
}

// created is tusd's PreUploadCreateCallback: the upload's id is the
// token's, and the token is kept beside the file for the sweeper.
func (s *Server) created(hook handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
	t := hook.Context.Value(ticketKey{}).(livetemplate.UploadTicket)
	tok := hook.HTTPRequest.Header.Get(TokenHeader)
	if err := os.WriteFile(s.path(t.ID, ".token"), []byte(tok), 0o600); err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, fmt.Errorf("upload %s: %w", t.ID, err)
	}
	return handler.HTTPResponse{}, handler.FileInfoChanges{ID: t.ID}, nil
}

// terminated is tusd's PreUploadTerminateCallback: a cancel frees the
// upload's room and its token file; tusd deletes the rest.
func (s *Server) terminated(hook handler.HookEvent) (handler.HTTPResponse, error) {
	t := hook.Context.Value(ticketKey{}).(livetemplate.UploadTicket)
	os.Remove(s.path(t.ID, ".token"))
	s.host.Release(t)
	return handler.HTTPResponse{}, nil
}

// path returns the path of the file of upload id with the suffix ext (""
// for the file's bytes).
func (s *Server) path(id, ext string) string { return filepath.Join(s.dir, id+ext) }

// discard deletes every file of the upload of t and frees its room.
func (s *Server) discard(t livetemplate.UploadTicket) {
	if !validID(t.ID) {
		return
	}
	for _, ext := range []string{"", ".info", ".token"} {
		os.Remove(s.path(t.ID, ext))
	}
	s.host.Release(t)
}

// serveTus hands the request to tusd. tusd v2.9.1 wakes a goroutine when
// a request's context ends, which reads the body reader that a PATCH sets
// without synchronizing with it: a client dropping mid-request is a data
// race. So the context tusd sees ends only once tusd has returned; a
// dropped client still ends a PATCH, since reading its body fails.
func (s *Server) serveTus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	s.tus.ServeHTTP(w, r.WithContext(ctx))
}

// validID reports whether id may name files of the server's directory.
func validID(id string) bool { return id != "" && !strings.ContainsAny(id, `/\`) }

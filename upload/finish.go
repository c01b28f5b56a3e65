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
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/livetemplate/livetemplate"
)

// finished is tusd's PreFinishResponseCallback: the file's last byte has
// arrived; the answer to the request carries the verdict.
func (s *Server) finished(hook handler.HookEvent) (handler.HTTPResponse, error) {
	t := hook.Context.Value(ticketKey{}).(livetemplate.UploadTicket)
	res, err := s.finish(hook.Context, t, hook.Upload.Size)
	if err != nil {
		return handler.HTTPResponse{}, handler.NewError("unavailable", "the file could not be handed over now: retry the last request", http.StatusServiceUnavailable)
	}
	return handler.HTTPResponse{Header: handler.HTTPHeader{ResultHeader: res}}, nil
}

// answerDone answers a HEAD or PATCH of an upload whose file is complete,
// completing it first if that failed before, and reports whether it did:
// for other uploads tusd answers.
func (s *Server) answerDone(w http.ResponseWriter, r *http.Request, t livetemplate.UploadTicket) bool {
	res, ok := s.result(t.ID)
	if !ok {
		info, err := s.info(r.Context(), t.ID)
		if err != nil || info.Offset != info.Size {
			return false
		}
		if res, err = s.finish(r.Context(), t, info.Size); err != nil {
			fail(w, http.StatusServiceUnavailable, "unavailable", "the file could not be handed over now: retry")
			return true
		}
	}
	size := strconv.FormatInt(t.Size, 10)
	h := w.Header()
	h.Set("Tus-Resumable", "1.0.0")
	h.Set("Cache-Control", "no-store")
	h.Set("Upload-Offset", size)
	h.Set(ResultHeader, res)
	if r.Method == http.MethodHead {
		h.Set("Upload-Length", size)
		w.WriteHeader(http.StatusOK)
		return true
	}
	if !finalAgain(r, t.Size) {
		fail(w, http.StatusConflict, "wrong_offset", "the upload is complete at offset "+size)
		return true
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// finalAgain reports whether r, a PATCH of a complete upload of size
// bytes, is the one that completed it, sent again because its answer was
// lost, or an empty one at the end.
func finalAgain(r *http.Request, size int64) bool {
	off, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	return err == nil && r.ContentLength >= 0 && off+r.ContentLength == size
}

// info returns what the store knows of the upload id.
func (s *Server) info(ctx context.Context, id string) (handler.FileInfo, error) {
	up, err := s.store.GetUpload(ctx, id)
	if err != nil {
		return handler.FileInfo{}, fmt.Errorf("upload %s: %w", id, err)
	}
	return up.GetInfo(ctx)
}

// finish checks the complete file of t and hands it to the application,
// once: the verdict is kept (see result) and the file deleted. An error
// says the application could not take the file now; it may be finished
// again later.
func (s *Server) finish(ctx context.Context, t livetemplate.UploadTicket, size int64) (string, error) {
	if res, ok := s.result(t.ID); ok {
		return res, nil
	}
	path := s.path(t.ID, "")
	typ, err := sniff(path)
	if err != nil {
		return "", err
	}
	res, err := s.hand(ctx, t, livetemplate.UploadedFile{Size: size, ContentType: typ, Path: path})
	if err != nil {
		return "", err
	}
	if err := s.remember(t, res); err != nil {
		return "", err
	}
	s.discard(t)
	return res, nil
}

// hand hands the file f of t, of the type its first bytes say, to the
// application if the upload accepts that type, and returns the verdict. An
// error says the application could not take the file now.
func (s *Server) hand(ctx context.Context, t livetemplate.UploadTicket, f livetemplate.UploadedFile) (string, error) {
	f.Name = filepath.Base(filepath.FromSlash(strings.ReplaceAll(t.Name, `\`, "/")))
	if !t.Config.Accepts(f.Name, f.ContentType) {
		return "upload_refused " + clean(f.Name) + ": type not accepted", nil
	}
	err := s.host.Complete(context.WithoutCancel(ctx), t, f)
	switch {
	case err == nil:
		return "ok", nil
	case errors.Is(err, livetemplate.ErrUploadRejected):
		return "rejected " + clean(err.Error()), nil
	case pageEnded(err):
		return "page_closed the page of this upload ended", nil
	}
	return "", err
}

// sniff returns the content type of the file at path, as its first bytes
// say.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("upload: %w", err)
	}
	return http.DetectContentType(head[:n]), nil
}

// clean makes a message fit a header's value: no control characters.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// remember keeps the verdict on the upload of t, in the directory that
// instances share, until the token expires: a file "<id>.result" whose
// first line is the expiry in Unix milliseconds and whose second is the
// verdict.
func (s *Server) remember(t livetemplate.UploadTicket, res string) error {
	b := strconv.AppendInt(nil, t.Expires.UnixMilli(), 10)
	b = append(append(b, '\n'), res...)
	tmp := s.path(t.ID, ".result.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("upload %s: %w", t.ID, err)
	}
	if err := os.Rename(tmp, s.path(t.ID, ".result")); err != nil {
		return fmt.Errorf("upload %s: %w", t.ID, err)
	}
	return nil
}

// result returns the verdict kept on the upload id.
func (s *Server) result(id string) (string, bool) {
	_, res, ok := readResult(s.path(id, ".result"))
	return res, ok
}

func readResult(path string) (expires time.Time, res string, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, "", false
	}
	line, res, ok := strings.Cut(string(b), "\n")
	ms, err := strconv.ParseInt(line, 10, 64)
	if !ok || err != nil {
		return time.Time{}, "", false
	}
	return time.UnixMilli(ms), res, true
}

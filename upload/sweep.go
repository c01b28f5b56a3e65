package upload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/livetemplate/livetemplate"
)

// sweep deletes, every sweep interval until Close, the files of uploads
// whose token expired or whose page ended, and expired verdicts.
func (s *Server) sweep() {
	defer s.swept.Done()
	tick := time.NewTicker(s.sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.sweepOnce(time.Now())
		}
	}
}

// sweepOnce is one sweep, at now.
func (s *Server) sweepOnce(now time.Time) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".token") || strings.HasSuffix(name, ".object"):
			s.sweepUpload(filepath.Join(s.dir, name))
		case strings.HasSuffix(name, ".result"):
			if expires, _, ok := readResult(filepath.Join(s.dir, name)); !ok || !now.Before(expires) {
				os.Remove(filepath.Join(s.dir, name))
			}
		}
	}
}

// sweepUpload deletes the files (or the stored object) of the upload whose
// token file (.token, or .object) is at path, if the token no longer holds.
func (s *Server) sweepUpload(path string) {
	tok, err := os.ReadFile(path)
	if err != nil {
		return
	}
	t, err := s.host.Verify(string(tok))
	switch {
	case err == nil:
		return
	case errors.Is(err, livetemplate.ErrInvalidUploadToken):
		// Signed by a key no longer held: its upload can never complete.
		id := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		s.discard(livetemplate.UploadTicket{ID: id})
		s.discardObject(livetemplate.UploadTicket{ID: id})
	case errors.Is(err, livetemplate.ErrExpiredUploadToken) || pageEnded(err):
		s.discard(t)
		s.discardObject(t)
	}
}

package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/signin"
)

// Upload is the name of the room's upload of images and files.
const Upload = "files"

// Limits of the room's files: the browser checks them before it sends a
// byte, and the server again.
const (
	MaxFileSize = 10 << 20 // bytes per file
	MaxFiles    = 4        // files at once
)

// File is a file in the room: a message shows it, an image inline.
type File struct {
	ID    string // its upload id, which names it in the room's directory
	Name  string // its name, as the sender's browser gave it
	Size  string // for people: "1.2 MB"
	Image bool   // an image that browsers show (PNG, JPEG, GIF or WebP)
}

// URL is where the room serves the file.
func (f File) URL() string { return "/chat/files/" + f.ID }

// Option configures [Mount].
type Option func(*options)

type options struct {
	dir string // where the room keeps files; "" takes none
}

// WithFiles lets the room take images and files, kept in dir, which must
// exist (shared by every instance of a cluster, like the upload server's
// own directory). The application needs an upload server
// (github.com/livetemplate/livetemplate/upload). Default: the room takes
// text only.
func WithFiles(dir string) Option {
	return func(o *options) { o.dir = dir }
}

// mountFiles declares the room's upload, whose files go to dir, and serves
// them at GET /chat/files/{id}.
func mountFiles(app *livetemplate.Application, mux *http.ServeMux, dir string) error {
	cfg := livetemplate.UploadConfig{MaxSize: MaxFileSize, MaxFiles: MaxFiles, Auto: true}
	if err := app.HandleUpload(Template, Upload, cfg, keeper(dir)); err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	mux.HandleFunc("GET /chat/files/{id}", func(w http.ResponseWriter, r *http.Request) { serveFile(dir, w, r) })
	return nil
}

// uploadID is the form of an upload id: the only names the room's directory holds.
var uploadID = regexp.MustCompile(`^up_[a-z2-7]{1,64}$`)

// keeper returns the room's upload handler: it moves the file into dir and
// adds a message that shows it to everyone in the room, under the sender's
// name when it signed in.
func keeper(dir string) livetemplate.UploadHandler {
	return func(ctx context.Context, p *livetemplate.Page, f livetemplate.UploadedFile) error {
		if !uploadID.MatchString(f.ID) {
			return errors.New("the file could not be kept")
		}
		dst := filepath.Join(dir, f.ID)
		if err := move(f.Path, dst); err != nil {
			return errors.New("the file could not be kept")
		}
		m := Message{Name: "someone", File: &File{ID: f.ID, Name: filepath.Base(f.Name), Size: size(f.Size), Image: image(f.ContentType)}}
		if member := signin.Of(ctx); member.Name != "" {
			m.Name = member.Name
		}
		if _, err := add(ctx, p, m, dir); err != nil {
			os.Remove(dst)
			return err
		}
		return nil
	}
}

// move moves the file at src to dst, copying it when they are on different
// file systems.
func move(src, dst string) error {
	if os.Rename(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("chat: keep file: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("chat: keep file: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("chat: keep file: %w", err)
	}
	return out.Close()
}

// image reports whether files of the content type (as their bytes say)
// are shown inline: raster images only, since an SVG may hold scripts.
func image(contentType string) bool {
	switch strings.TrimSpace(strings.Split(contentType, ";")[0]) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// size formats n bytes for people.
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
}

// serveFile serves a file of the room: an image inline, anything else as
// a download, never as a document of the demo's origin.
func serveFile(dir string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !uploadID.MatchString(id) {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(dir, id))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	h := w.Header()
	if ct := http.DetectContentType(head[:n]); image(ct) {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=86400, immutable") // an upload id names these bytes only
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		http.Error(w, "cannot read the file", http.StatusInternalServerError)
		return
	}
	var mod time.Time
	if st, err := f.Stat(); err == nil {
		mod = st.ModTime()
	}
	http.ServeContent(w, r, "", mod, f)
}

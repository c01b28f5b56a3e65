package livetemplate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/livetemplate/livetemplate/internal/protocol"
	"github.com/livetemplate/livetemplate/internal/quota"
	"github.com/livetemplate/livetemplate/internal/token"
)

// This file is the root's side of file uploads: what a template declares,
// the handler that receives each completed file in its page's turn, the
// upload tokens, the limits on uploads in flight, and the interface through
// which an upload server (package github.com/livetemplate/livetemplate/upload)
// plugs in. The bytes go over HTTP to that server, never over the socket.

// Defaults of the upload options.
const (
	DefaultUploadMaxSize  = 10 << 20  // UploadConfig.MaxSize: 10 MiB per file
	DefaultUploadTokenTTL = time.Hour // WithUploadTokenTTL
)

// DefaultUploadLimits are the limits of [WithUploadLimits] by default.
var DefaultUploadLimits = UploadLimits{
	BrowserFiles: 16,
	BrowserBytes: 1 << 30,
	Files:        1024,
	Bytes:        16 << 30,
}

// UploadConfig declares an upload of a template: what the browser may send
// under one upload name. The browser enforces it before it sends a byte,
// and the server again.
type UploadConfig struct {
	// Accept lists what files are taken, as an input's accept attribute
	// does: MIME types ("image/png"), whole kinds ("image/*") and
	// extensions (".pdf"). Empty takes any file. The upload server checks
	// the file's first bytes too ([UploadConfig.Accepts]).
	Accept []string
	// MaxSize is the largest file in bytes. Default (0):
	// DefaultUploadMaxSize.
	MaxSize int64
	// MaxFiles is the most files of one upload request. Default (0): 1.
	MaxFiles int
	// Auto uploads files as soon as the user chooses, drops or pastes
	// them; false uploads them on the submit of the input's form.
	Auto bool
}

// UploadedFile is a completed upload, as its handler receives it.
type UploadedFile struct {
	ID          string `json:"i"` // the upload id, unique per file
	Upload      string `json:"u"` // the upload name of the declaration
	Name        string `json:"n"` // the file's name as the browser gave it, without any directory
	Size        int64  `json:"s"` // its size in bytes
	ContentType string `json:"t"` // its type, as its first bytes say (http.DetectContentType)
	// Path is where the file is, on a file system that the page's owner
	// shares with the upload server. The server deletes it once the
	// handler has returned: move it (os.Rename) to keep it. Empty when
	// the file went straight to storage (Key).
	Path string `json:"p"`
	// Key is the file's object key in the storage of an [UploadPresigner]
	// when the browser sent it straight there, else empty. The object is
	// kept when the handler accepts the file, deleted when it rejects it.
	Key string `json:"k,omitempty"`

	store UploadPresigner // the upload server that opens Key (an interface, so that the type stays comparable)
}

// Reader opens the file for reading, wherever it is: the object Key of the
// upload server's storage, or the file at Path.
func (f UploadedFile) Reader(ctx context.Context) (io.ReadCloser, error) {
	if f.Key == "" {
		return f.Open()
	}
	if f.store == nil {
		return nil, fmt.Errorf("livetemplate: uploaded file %q: the upload server cannot open object %q", f.Name, f.Key)
	}
	r, err := f.store.OpenUpload(ctx, f.Key)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: uploaded file %q: %w", f.Name, err)
	}
	return r, nil
}

// Open opens the file for reading.
func (f UploadedFile) Open() (*os.File, error) {
	r, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("livetemplate: uploaded file %q: %w", f.Name, err)
	}
	return r, nil
}

// An UploadHandler receives a completed file of a page's upload: it runs in
// the page's turn, as an event handler does (one at a time with the page's
// events, and in a cluster on the page's owner), exactly once per upload
// id, with a context carrying the uploader's identity ([Identity]). nil
// accepts the file; an error rejects it, and its text is shown to the user
// (so return errors whose text the user may see). Either way the file is
// deleted after the handler returns unless the handler moved it.
type UploadHandler func(ctx context.Context, p *Page, f UploadedFile) error

// HandleUpload declares the upload uploadName of the template registered as
// templateName, and the handler of its completed files. It fails with
// [ErrUnknownTemplate] if there is no such template, and if the upload is
// declared already. Joins of the template's pages tell the browser of it.
func (a *Application) HandleUpload(templateName, uploadName string, cfg UploadConfig, h UploadHandler) error {
	switch {
	case uploadName == "" || len(uploadName) > protocol.MaxUploadName:
		return fmt.Errorf("livetemplate: handle upload %q: the name must have 1 to %d bytes", uploadName, protocol.MaxUploadName)
	case h == nil:
		return fmt.Errorf("livetemplate: handle upload %q: nil handler", uploadName)
	case cfg.MaxSize < 0 || cfg.MaxFiles < 0:
		return fmt.Errorf("livetemplate: handle upload %q: negative MaxSize or MaxFiles", uploadName)
	}
	cfg.MaxSize = cmp.Or(cfg.MaxSize, DefaultUploadMaxSize)
	cfg.MaxFiles = cmp.Or(cfg.MaxFiles, 1)
	cfg.Accept = append([]string(nil), cfg.Accept...)
	a.tmu.Lock()
	defer a.tmu.Unlock()
	if a.templates[templateName] == nil {
		return fmt.Errorf("livetemplate: handle upload %q: template %q: %w", uploadName, templateName, ErrUnknownTemplate)
	}
	key := handlerKey{templateName, uploadName}
	if a.uploads[key] != nil {
		return fmt.Errorf("livetemplate: handle upload %q: template %q already declares it", uploadName, templateName)
	}
	if a.uploads == nil {
		a.uploads = make(map[handlerKey]*declared)
	}
	a.uploads[key] = &declared{cfg: cfg, h: h}
	return nil
}

// declared is an upload that a template declares.
type declared struct {
	cfg UploadConfig
	h   UploadHandler
}

// Accepts reports whether a file of that name and content type is one that
// c takes; an empty contentType is the one of the name's extension. A MIME
// type of Accept matches the type ("image/png", or
// "image/*" for any image); an extension matches the name when the type
// agrees with the extension, or says nothing sure ("", text/plain,
// application/octet-stream or application/zip, which is what
// http.DetectContentType says of bytes it does not know, and of office
// documents). So an executable named cat.png is refused when its bytes are
// checked.
func (c UploadConfig) Accepts(name, contentType string) bool {
	if len(c.Accept) == 0 {
		return true
	}
	ext := strings.ToLower(path.Ext(name))
	if contentType == "" { // a browser's for a type it does not know
		contentType = mime.TypeByExtension(ext)
	}
	typ, _, _ := mime.ParseMediaType(contentType)
	for _, a := range c.Accept {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case strings.HasPrefix(a, "."):
			if a == ext && agrees(ext, typ) {
				return true
			}
		case strings.HasSuffix(a, "/*"):
			if strings.HasPrefix(typ, a[:len(a)-1]) {
				return true
			}
		case a == typ:
			return true
		}
	}
	return false
}

// agrees reports whether a file's type agrees with its extension ext.
func agrees(ext, typ string) bool {
	switch typ {
	case "", "text/plain", "application/octet-stream", "application/zip":
		return true
	}
	byExt, _, _ := mime.ParseMediaType(mime.TypeByExtension(ext))
	return byExt == typ
}

// refusal returns why files do not fit c, for the user, or "".
func (c UploadConfig) refusal(files []protocol.File) string {
	if len(files) > c.MaxFiles {
		return fmt.Sprintf("at most %d files at once", c.MaxFiles)
	}
	for _, f := range files {
		switch {
		case f.Size > uint64(c.MaxSize):
			return fmt.Sprintf("%s: larger than %d bytes", f.Name, c.MaxSize)
		case !c.Accepts(f.Name, f.Type):
			return fmt.Sprintf("%s: type not accepted", f.Name)
		}
	}
	return ""
}

// uploadsJSON returns the JSON of the uploads that the template declares,
// for joined messages, or nil for none.
func (a *Application) uploadsJSON(templateName string) []byte {
	type decl struct {
		Accept   []string `json:"accept"`
		MaxSize  int64    `json:"max_size"`
		MaxFiles int      `json:"max_files"`
		Auto     bool     `json:"auto"`
	}
	a.tmu.RLock()
	all := make(map[string]decl)
	for k, d := range a.uploads {
		if k.template == templateName {
			all[k.event] = decl{append([]string{}, d.cfg.Accept...), d.cfg.MaxSize, d.cfg.MaxFiles, d.cfg.Auto}
		}
	}
	a.tmu.RUnlock()
	if len(all) == 0 || a.uploadHost == nil {
		return nil
	}
	b, _ := json.Marshal(all) // strings, numbers and bools only
	return b
}

// uploadEventPrefix starts the names of the events that hand completed
// files to upload handlers. No client may send them (conn.event refuses
// them) and no event handler may take them (HandleEvent).
const uploadEventPrefix = "lvt-upload:"

// isUploadEvent reports whether an event of that name is an upload's.
func isUploadEvent(name string) bool { return strings.HasPrefix(name, uploadEventPrefix) }

// uploadEventLocked returns the event handler that runs the upload handler
// of the upload name, or nil. a.tmu is held.
func (a *Application) uploadEventLocked(templateName, name string) EventHandler {
	d := a.uploads[handlerKey{templateName, name}]
	if d == nil {
		return nil
	}
	ps, _ := a.cfg.uploads.(UploadPresigner)
	return func(ctx context.Context, p *Page, e Event) error {
		var f UploadedFile
		if err := json.Unmarshal(e.Data, &f); err != nil {
			return fmt.Errorf("livetemplate: upload %q: %w", name, err)
		}
		f.store = ps
		return d.h(ctx, p, f)
	}
}

// An UploadServer receives the bytes of uploads over HTTP and hands each
// completed file to the application ([UploadHost.Complete]). Package
// github.com/livetemplate/livetemplate/upload implements it with the tus
// protocol; this interface is what the application needs of such a server.
type UploadServer interface {
	// Endpoint is the URL (usually a path of the page's origin, ending in
	// "/") where browsers send files; the server serves it.
	Endpoint() string
	// Start is called once by NewApplication with the application's side
	// of uploads.
	Start(h *UploadHost) error
	// Close is called once by Application.Close; it returns once no
	// goroutine of the server's runs.
	Close() error
}

// An UploadPresigner is an [UploadServer] that can have browsers send files
// straight to a storage (such as S3) by a presigned URL, so that the bytes
// skip the application's servers. The browser then asks the server's
// endpoint to complete the upload, and the server hands the stored object
// to the handler ([UploadedFile.Key]).
type UploadPresigner interface {
	UploadServer
	// Presign returns the URL to which the browser PUTs the file of the
	// upload of t, whose token is tok, and the headers the PUT must
	// carry. An empty URL has the browser send the file to Endpoint.
	Presign(ctx context.Context, t UploadTicket, tok string) (url string, header map[string]string, err error)
	// OpenUpload opens the stored object key of a completed upload.
	OpenUpload(ctx context.Context, key string) (io.ReadCloser, error)
}

// WithUploads makes s the server of the application's uploads: the upload
// messages of browsers get tokens for s's endpoint. Use the option of
// package github.com/livetemplate/livetemplate/upload rather than calling it
// yourself. Default: none; an upload message is refused with
// upload_refused, and joins announce no uploads.
func WithUploads(s UploadServer) Option {
	return func(c *config) { c.uploads = s }
}

// WithUploadTokenTTL sets how long an upload token is valid: the upload
// must complete within it, and its temporary file is deleted after it.
// Default: DefaultUploadTokenTTL (1 hour).
func WithUploadTokenTTL(d time.Duration) Option {
	return func(c *config) { c.uploadTTL = d }
}

// UploadLimits bound the uploads in flight (granted, not yet completed,
// cancelled or expired) that an instance grants; 0 is no limit. A request
// past them is refused with upload_limit.
type UploadLimits struct {
	BrowserFiles int   // files per browser (per connection for clients without a browser id)
	BrowserBytes int64 // bytes per browser
	Files        int   // files in all
	Bytes        int64 // bytes in all
}

// WithUploadLimits sets the limits on uploads in flight. Default:
// DefaultUploadLimits (16 files and 1 GiB per browser, 1024 files and 16
// GiB in all).
func WithUploadLimits(l UploadLimits) Option {
	return func(c *config) { c.uploadLimits = l }
}

// startUploads starts the upload server of WithUploads, if any.
func (a *Application) startUploads() error {
	s := a.cfg.uploads
	if s == nil {
		return nil
	}
	l := a.cfg.uploadLimits
	h := &UploadHost{app: a, quota: quota.New(quota.Limits{KeyFiles: l.BrowserFiles, KeyBytes: l.BrowserBytes, Files: l.Files, Bytes: l.Bytes})}
	endpoint, err := call(a, "UploadServer.Endpoint", func() (string, error) { return s.Endpoint(), nil })
	if err != nil {
		return err
	}
	h.endpoint = endpoint
	if err := callErr(a, "UploadServer.Start", func() error { return s.Start(h) }); err != nil {
		return err
	}
	a.uploadHost = h
	return nil
}

// closeUploads closes the upload server, if any.
func (a *Application) closeUploads() {
	if a.uploadHost != nil {
		if err := callErr(a, "UploadServer.Close", a.cfg.uploads.Close); err != nil {
			a.logError("livetemplate: closing the upload server", slog.Any("error", err))
		}
	}
}

// upload answers an upload message: a grant per file, or why not.
func (c *conn) upload(m protocol.Message) {
	p := c.page(m.Page)
	if p == nil {
		c.refuse(m, &protocol.Error{Code: protocol.CodeNotJoined, Message: "the upload names a page this connection has not joined"})
		return
	}
	h := c.app.uploadHost
	c.app.tmu.RLock()
	d := c.app.uploads[handlerKey{p.tmpl.name, m.Name}]
	c.app.tmu.RUnlock()
	if h == nil || d == nil {
		c.refuse(m, &protocol.Error{Code: protocol.CodeUploadRefused, Message: fmt.Sprintf("this page takes no upload %q", m.Name)})
		return
	}
	if why := d.cfg.refusal(m.Files); why != "" {
		c.refuse(m, &protocol.Error{Code: protocol.CodeUploadRefused, Message: why})
		return
	}
	grants, e := h.grant(c, p, m.Name, m.Files)
	if e == nil {
		e = h.presign(c.ctx, grants, p, m.Name, m.Files)
	}
	if e != nil {
		c.refuse(m, e)
		return
	}
	c.send(m.Page, protocol.WithRef(protocol.Upload(h.endpoint, grants), m.Ref))
}

// Errors of uploads, which an upload server reports to the browser by their
// [UploadError] codes.
var (
	// ErrInvalidUploadToken: the upload token is malformed or not signed
	// by the application's keys.
	ErrInvalidUploadToken = errors.New("invalid upload token")
	// ErrExpiredUploadToken: the upload token's time is up.
	ErrExpiredUploadToken = errors.New("expired upload token")
)

// uploadSealDomain keeps upload tokens from passing for other sealed
// messages of the application's keys.
const uploadSealDomain = "livetemplate upload token"

// UploadHost is the application's side of uploads, which an [UploadServer]
// gets from Start: it verifies upload tokens, hands completed files to
// their handlers and frees the room of uploads that end. It is safe for
// concurrent use.
type UploadHost struct {
	app      *Application
	quota    *quota.Quota
	endpoint string

	mu   sync.Mutex
	held map[string]heldWho // the identity of each upload granted here, by upload id
}

// heldWho is the identity of an upload, kept until its token expires.
type heldWho struct {
	who   *who
	until time.Time
}

// UploadTicket is what a valid upload token grants: one file of an upload
// of a page.
type UploadTicket struct {
	ID      string       // the upload id
	Upload  string       // the upload name
	Page    string       // the page's id
	Size    int64        // the file's size in bytes, as the browser announced it
	Name    string       // the file's name, as the browser announced it
	Type    string       // the file's type, as the browser announced it
	Expires time.Time    // when the token expires
	Config  UploadConfig // the upload's declaration
	who     json.RawMessage
}

// uploadClaims are the sealed contents of an upload token.
type uploadClaims struct {
	ID      string          `json:"i"`
	Upload  string          `json:"u"`
	Page    string          `json:"p"`
	Size    int64           `json:"s"`
	Name    string          `json:"n"`
	Type    string          `json:"t"`
	Browser string          `json:"b,omitempty"`
	Expires int64           `json:"e"` // Unix milliseconds
	Who     json.RawMessage `json:"w,omitempty"`
}

// grant gives the files of the upload name of page p, for connection c,
// their ids and tokens, within the limits on uploads in flight.
func (h *UploadHost) grant(c *conn, p *Page, name string, files []protocol.File) ([]protocol.Grant, *protocol.Error) {
	now := time.Now()
	until := now.Add(h.app.cfg.uploadTTL)
	browser := c.browserID
	if browser == "" {
		browser = fmt.Sprintf("conn %p", c)
	}
	grants := make([]protocol.Grant, len(files))
	asked := make([]quota.File, len(files))
	for i, f := range files {
		id, _ := h.app.keys.New()
		grants[i].ID = "up_" + id.String()
		asked[i] = quota.File{ID: grants[i].ID, Size: int64(f.Size)}
	}
	switch h.quota.Take(browser, asked, until, now) {
	case quota.PerKey:
		return nil, &protocol.Error{Code: protocol.CodeUploadLimit, Message: "this browser has as many uploads in flight as it may: retry when one ends"}
	case quota.Overall:
		return nil, &protocol.Error{Code: protocol.CodeUploadLimit, Message: "the server has as many uploads in flight as it may: retry later"}
	}
	var raw json.RawMessage
	if c.who != nil {
		raw = c.who.raw // set in a cluster, where the upload may complete elsewhere
	}
	h.hold(grants, c.who, until, now)
	for i, f := range files {
		b, _ := json.Marshal(uploadClaims{ID: grants[i].ID, Upload: name, Page: p.id, Size: int64(f.Size),
			Name: f.Name, Type: f.Type, Browser: browser, Expires: until.UnixMilli(), Who: raw})
		grants[i].Token = h.app.keys.Seal(uploadSealDomain, b)
	}
	return grants, nil
}

// presignTimeout bounds the presigning of one upload request's URLs.
const presignTimeout = 5 * time.Second

// presign adds to the grants the presigned URLs of the upload server, if
// it presigns. On an error, the grants' room is freed.
func (h *UploadHost) presign(ctx context.Context, grants []protocol.Grant, p *Page, name string, files []protocol.File) *protocol.Error {
	ps, ok := h.app.cfg.uploads.(UploadPresigner)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, presignTimeout)
	defer cancel()
	until := time.Now().Add(h.app.cfg.uploadTTL)
	for i, f := range files {
		t := UploadTicket{ID: grants[i].ID, Upload: name, Page: p.id, Size: int64(f.Size), Name: f.Name, Type: f.Type, Expires: until}
		u, hdr, err := ps.Presign(ctx, t, grants[i].Token)
		if err != nil {
			for _, g := range grants {
				h.Release(UploadTicket{ID: g.ID})
			}
			h.app.logError("livetemplate: presigning an upload", slog.Any("error", err))
			return &protocol.Error{Code: protocol.CodeUnavailable, Message: "the upload cannot be prepared now: retry"}
		}
		grants[i].Put, grants[i].Header = u, hdr
	}
	return nil
}

// hold keeps the identity w of the granted uploads until their tokens
// expire, and forgets those of expired tokens.
func (h *UploadHost) hold(grants []protocol.Grant, w *who, until, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, hw := range h.held {
		if !now.Before(hw.until) {
			delete(h.held, id)
		}
	}
	if w == nil {
		return
	}
	if h.held == nil {
		h.held = make(map[string]heldWho)
	}
	for _, g := range grants {
		h.held[g.ID] = heldWho{w, until}
	}
}

// Verify returns the ticket of an upload token. It fails with an error
// wrapping [ErrInvalidUploadToken] for a token that the application's keys
// did not seal, [ErrExpiredUploadToken] for one whose time is up, and
// [ErrPageClosed], [ErrPageExpired], [ErrPageEvicted] or [ErrPageNotFound]
// when the page ended.
func (h *UploadHost) Verify(tok string) (UploadTicket, error) {
	b, err := h.app.keys.Open(uploadSealDomain, tok)
	var c uploadClaims
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return UploadTicket{}, fmt.Errorf("livetemplate: upload: %w", ErrInvalidUploadToken)
	}
	t := UploadTicket{ID: c.ID, Upload: c.Upload, Page: c.Page, Size: c.Size, Name: c.Name, Type: c.Type,
		Expires: time.UnixMilli(c.Expires), who: c.Who}
	if !time.Now().Before(t.Expires) {
		return t, fmt.Errorf("livetemplate: upload %s: %w", t.ID, ErrExpiredUploadToken)
	}
	p, err := h.page(t)
	if err != nil {
		return t, fmt.Errorf("livetemplate: upload %s: %w", t.ID, err)
	}
	h.app.tmu.RLock()
	d := h.app.uploads[handlerKey{p.tmpl.name, t.Upload}]
	h.app.tmu.RUnlock()
	if d == nil {
		return t, fmt.Errorf("livetemplate: upload %s: the page takes no upload %q: %w", t.ID, t.Upload, ErrInvalidUploadToken)
	}
	t.Config = d.cfg
	return t, nil
}

// page returns the live page of t.
func (h *UploadHost) page(t UploadTicket) (*Page, error) {
	id, err := token.ParseID(t.Page)
	if err != nil {
		return nil, ErrInvalidUploadToken
	}
	return h.app.findPage(h.app.keys.Sign(id))
}

// Complete hands the completed file f of the upload of ticket t to its
// handler, in the page's turn, and returns the handler's verdict: nil
// accepts the file; an error wrapping [ErrUploadRejected], whose text is
// the handler's, rejects it. The handler runs once per upload id: a second
// Complete of the id returns the first one's verdict (while the page
// remembers it, see [WithDedupeWindow]). Other errors say the file could
// not be handed over (the page ended: [ErrPageClosed] and the like; or
// [ErrUploadUnavailable]). Complete frees the upload's room in the limits.
func (h *UploadHost) Complete(ctx context.Context, t UploadTicket, f UploadedFile) error {
	defer h.Release(t)
	p, err := h.page(t)
	if err != nil {
		return fmt.Errorf("livetemplate: upload %s: %w", t.ID, err)
	}
	h.app.tmu.RLock()
	run := h.app.uploadEventLocked(p.tmpl.name, t.Upload)
	h.app.tmu.RUnlock()
	f.ID, f.Upload = t.ID, t.Upload
	data, err := json.Marshal(f)
	if run == nil || err != nil {
		return fmt.Errorf("livetemplate: upload %s: no upload %q: %w", t.ID, t.Upload, ErrUploadUnavailable)
	}
	w, err := h.who(t)
	if err != nil {
		return fmt.Errorf("livetemplate: upload %s: %w", t.ID, err)
	}
	ctx, cancel := context.WithTimeout(withWho(ctx, w), h.app.cfg.eventTimeout)
	defer cancel()
	res := p.role.handle(ctx, run, Event{Name: uploadEventPrefix + t.Upload, ID: t.ID, Data: data})
	return uploadVerdict(t, res.err)
}

// uploadVerdict is Complete's error for the result of the upload's event.
func uploadVerdict(t UploadTicket, e *protocol.Error) error {
	switch {
	case e == nil:
		return nil
	case e.Code == protocol.CodeHandlerError:
		return &rejection{e.Message}
	case e.Code == protocol.CodeHandlerPanic:
		return &rejection{"the file could not be handled"}
	}
	if err := errorOf(e.Code); err != nil {
		return fmt.Errorf("livetemplate: upload %s: %w", t.ID, err)
	}
	return fmt.Errorf("livetemplate: upload %s: %s: %w", t.ID, e.Message, ErrUploadUnavailable)
}

// who returns the identity of the upload of t.
func (h *UploadHost) who(t UploadTicket) (*who, error) {
	if len(t.who) > 0 {
		return h.app.whoOf(t.who)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held[t.ID].who, nil
}

// Release frees the room of the upload of t in the limits on uploads in
// flight, when it ends without Complete (cancelled, or its page closed).
// The room of an upload granted by another instance of a cluster is freed
// there when its token expires.
func (h *UploadHost) Release(t UploadTicket) {
	h.quota.Release(t.ID)
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.held, t.ID)
}

var (
	// ErrUploadRejected: the upload's handler rejected the file. The
	// error's text is the handler's, for the user.
	ErrUploadRejected = errors.New("upload rejected")
	// ErrUploadUnavailable: the completed file could not be handed to its
	// handler now (the page is busy, its owner unreachable, the
	// application closing); the upload may complete again later.
	ErrUploadUnavailable = errors.New("upload unavailable")
)

// rejection is the error of a handler that rejected a file.
type rejection struct{ msg string }

func (r *rejection) Error() string        { return r.msg }
func (r *rejection) Is(target error) bool { return target == ErrUploadRejected }

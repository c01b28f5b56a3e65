package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"path"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/counter"
	"github.com/livetemplate/livetemplate/examples/dashboard"
	"github.com/livetemplate/livetemplate/examples/notify"
	"github.com/livetemplate/livetemplate/examples/signin"
	"github.com/livetemplate/livetemplate/examples/todo"
)

//go:embed index.html source.html demo.css favicon.svg
var static embed.FS

// pages are the demo's own HTML pages.
var pages = template.Must(template.ParseFS(static, "index.html", "source.html"))

// policy is the demo's Content-Security-Policy: scripts of its own origin
// only (no inline script, no eval), which the client and the examples'
// scripts work with.
const policy = "script-src 'self'; object-src 'none'; base-uri 'none'"

// example is one entry of the index page.
type example struct {
	Name, Path, Summary string
	Dir                 string   // its package's directory under examples/
	Files               []string // its source files, from examples.Source
}

var catalogue = []example{
	{Name: "Counter", Path: "/counter/", Dir: "counter",
		Summary: "A page per connection: each tab counts on its own."},
	{Name: "Shared dashboard", Path: "/dashboard/", Dir: "dashboard",
		Summary: "One page for everyone, which the server changes every second: every browser that opens it shows it, on every instance and after a restart. Open it twice."},
	{Name: "To-do list", Path: "/todo/", Dir: "todo",
		Summary: "Keyed rows to add, check, reorder and delete, shared by everyone who opens the list, and a form the server validates as you type, each viewer's own."},
	{Name: "Multi-tab chat", Path: "/chat/", Dir: "chat",
		Summary: "Open it in several tabs: one socket for all of them, held by a leading tab; close that tab and the chat goes on. Drop images and files in the room."},
	{Name: "Notifications", Path: "/notify/", Dir: "notify",
		Summary: "A page of your own, fed by a topic: every chat message reaches every notifications page, which keeps those that mention you."},
}

// site is the demo's HTTP side: the examples, the index, the client, the
// live endpoint, the style sheet and the icon.
type site struct {
	http.Handler
	board *dashboard.Board
}

// newSite mounts the examples on app and a mux, and the upload server of
// fl (the chat room takes files). instance (the address
// served), urls (where it is reached) and natsURL are shown on the index
// page.
func newSite(app *livetemplate.Application, fl *files, instance string, urls []string, natsURL string) (*site, error) {
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle(fl.up.Endpoint(), fl.up)
	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
	mux.Handle("GET /demo.css", http.FileServerFS(static))
	mux.Handle("GET /favicon.svg", http.FileServerFS(static))
	mux.HandleFunc("GET /favicon.ico", icon) // for pages without a link to it: plain text, errors
	mux.HandleFunc("GET /source/{file...}", source)
	if err := counter.Mount(app, mux); err != nil {
		return nil, err
	}
	if err := todo.Mount(app, mux); err != nil {
		return nil, err
	}
	if err := chat.Mount(app, mux, chat.WithFiles(fl.room)); err != nil {
		return nil, err
	}
	signin.Mount(app, mux)
	if err := notify.Mount(app, mux); err != nil {
		return nil, err
	}
	board, err := dashboard.Mount(app, mux, time.Second)
	if err != nil {
		return nil, err
	}
	home, err := indexPage(instance, urls, natsURL)
	if err != nil {
		board.Close()
		return nil, err
	}
	mux.HandleFunc("GET /{$}", home)
	return &site{Handler: withPolicy(mux), board: board}, nil
}

// withPolicy sets the demo's Content-Security-Policy on every response.
func withPolicy(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		h.ServeHTTP(w, r)
	})
}

// icon serves the demo's icon, an SVG, where browsers look for one by
// themselves.
func icon(w http.ResponseWriter, r *http.Request) {
	b, err := static.ReadFile("favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(b)
}

// Close stops what the site runs: the dashboard's ticker.
func (s *site) Close() { s.board.Close() }

// indexPage returns the handler of the index page.
func indexPage(instance string, urls []string, natsURL string) (http.HandlerFunc, error) {
	list := make([]example, len(catalogue))
	for i, e := range catalogue {
		files, err := sourceFiles(e.Dir)
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		e.Files = files
		list[i] = e
	}
	host, _, _ := net.SplitHostPort(instance)
	ip := net.ParseIP(host)
	data := struct {
		Examples          []example
		Instance, NATSURL string
		URLs              []string
		Local             bool // serves this machine only
	}{list, instance, natsURL, urls, host == "localhost" || ip != nil && ip.IsLoopback()}
	return func(w http.ResponseWriter, r *http.Request) {
		write(w, "index.html", data)
	}, nil
}

// sourceFiles returns the names of the files of an example's directory.
func sourceFiles(dir string) ([]string, error) {
	entries, err := fs.ReadDir(examples.Source, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range entries {
		if !f.IsDir() {
			names = append(names, f.Name())
		}
	}
	return names, nil
}

// source shows an example's file: its text on a page that a phone shows
// at its own width, with links to the other files of its example.
func source(w http.ResponseWriter, r *http.Request) {
	file := path.Clean(r.PathValue("file"))
	text, err := fs.ReadFile(examples.Source, file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	dir, name := path.Split(file)
	dir = path.Clean(dir)
	files, err := sourceFiles(dir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	write(w, "source.html", struct {
		Dir, Name, Text string
		Files           []string
		Example         *example
	}{dir, name, string(text), files, find(dir)})
}

// find returns the example whose directory is dir, or nil.
func find(dir string) *example {
	for i := range catalogue {
		if catalogue[i].Dir == dir {
			return &catalogue[i]
		}
	}
	return nil
}

// write executes the page name with data, whole or not at all.
func write(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/counter"
	"github.com/livetemplate/livetemplate/examples/dashboard"
	"github.com/livetemplate/livetemplate/examples/todo"
)

//go:embed index.html demo.css
var static embed.FS

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
		Summary: "A page shared by its link: one page the server changes every second, shared by every browser that opens it. Open it twice."},
	{Name: "To-do list", Path: "/todo/", Dir: "todo",
		Summary: "Keyed rows to add, check, reorder and delete, and a form the server validates as you type."},
	{Name: "Multi-tab chat", Path: "/chat/", Dir: "chat",
		Summary: "Open it in several tabs: one socket for all of them, held by a leading tab; close that tab and the chat goes on."},
}

// site is the demo's HTTP side: the examples, the index, the client, the
// live endpoint and the style sheet.
type site struct {
	http.Handler
	board *dashboard.Board
}

// newSite mounts the examples on app and a mux. instance and natsURL are
// shown on the index page.
func newSite(app *livetemplate.Application, instance, natsURL string) (*site, error) {
	mux := http.NewServeMux()
	conns := &chat.Connections{} // the chat shows how many connections a browser holds
	mux.Handle("/live", conns.Count(app.Handler()))
	mux.Handle("GET /livetemplate.js", livetemplate.ScriptHandler())
	mux.Handle("GET /demo.css", http.FileServerFS(static))
	mux.HandleFunc("GET /source/{file...}", source)
	if err := counter.Mount(app, mux); err != nil {
		return nil, err
	}
	if err := todo.Mount(app, mux); err != nil {
		return nil, err
	}
	if err := chat.Mount(app, mux, conns); err != nil {
		return nil, err
	}
	board, err := dashboard.Mount(app, mux, time.Second)
	if err != nil {
		return nil, err
	}
	home, err := indexPage(instance, natsURL)
	if err != nil {
		board.Close()
		return nil, err
	}
	mux.HandleFunc("GET /{$}", home)
	return &site{Handler: mux, board: board}, nil
}

// Close stops what the site runs: the dashboard's ticker.
func (s *site) Close() { s.board.Close() }

// indexPage returns the handler of the index page.
func indexPage(instance, natsURL string) (http.HandlerFunc, error) {
	list := make([]example, len(catalogue))
	for i, e := range catalogue {
		entries, err := fs.ReadDir(examples.Source, e.Dir)
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		for _, f := range entries {
			e.Files = append(e.Files, f.Name())
		}
		list[i] = e
	}
	page, err := template.ParseFS(static, "index.html")
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	data := struct {
		Examples          []example
		Instance, NATSURL string
	}{list, instance, natsURL}
	return func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if err := page.Execute(&b, data); err != nil {
			http.Error(w, "cannot render the index", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b.Bytes())
	}, nil
}

// source serves an example's file as plain text, so that a template shows
// as its source.
func source(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(examples.Source, path.Clean(r.PathValue("file")))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// Package chat is one chat room that every tab of every browser shares. It
// shows what the browser client does with several tabs: they share one
// WebSocket, held by the tab that leads; the page shows which tab that is
// and how many connections the server holds for this browser (one, however
// many tabs are open); close the leading tab and another takes over, and
// the chat goes on.
package chat

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/signin"
)

// Template is the name of the chat room's template.
const Template = "chat"

// Name is the name of the room's page (see
// livetemplate.Application.SharedPage).
const Name = "chat"

const (
	keep    = 50  // messages the room shows
	maxName = 24  // characters
	maxText = 280 // characters
)

// Room is the chat room page's data.
type Room struct {
	Messages []Message // the latest, oldest first
	NextID   int
	Here     []string // the names of the members in the room, sorted
	Guests   int      // the browsers in the room without a name
	Files    bool     // the room takes images and files (WithFiles)
}

// Message is one message of the room; its ID is its row's data-key.
type Message struct {
	ID   int
	Name string
	Text string
	At   string // HH:MM
	File *File  // a file's message shows it instead of Text
}

//go:embed chat.html chat.js
var files embed.FS

// Templates is where the example's templates are read from: its embedded
// files, or, for the demo's -dev, its source directory (os.DirFS), whose
// saved templates then reload in the open pages.
var Templates fs.FS = files

// Mount registers the room's template and events on app, and its routes on
// mux: GET /chat/ serves the room, GET /chat/chat.js its script, GET
// /chat/connections?browser=ID how many connections of that browser app
// holds; with [WithFiles], the room's upload and GET /chat/files/{id}.
func Mount(app *livetemplate.Application, mux *http.ServeMux, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := app.RegisterTemplateFS(Template, Templates, "chat.html"); err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	if err := app.HandleEvent(Template, "send", sender(app, o.dir)); err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	if o.dir != "" {
		if err := mountFiles(app, mux, o.dir); err != nil {
			return err
		}
	}
	mux.HandleFunc("GET /chat/{$}", func(w http.ResponseWriter, r *http.Request) { serve(app, w, o.dir != "") })
	mux.HandleFunc("GET /chat/chat.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "chat.js")
	})
	mux.HandleFunc("GET /chat/connections", func(w http.ResponseWriter, r *http.Request) { connections(app, w, r) })
	return nil
}

// connections answers GET ?browser=ID with how many connections of that
// browser the application holds, as JSON: {"browser":"ID","connections":1}.
func connections(app *livetemplate.Application, w http.ResponseWriter, r *http.Request) {
	browser := r.URL.Query().Get("browser")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		Browser     string `json:"browser"`
		Connections int    `json:"connections"`
	}{browser, app.BrowserConnections(browser)})
}

// serve writes the room's HTML, with its token. The room is the page of
// its name: one room on every instance of a cluster, kept across restarts
// with a durable store, and made anew when it ended (nobody used it for the
// application's idle time to live).
func serve(app *livetemplate.Application, w http.ResponseWriter, files bool) {
	room, err := app.SharedPage(Name, Template, func() (any, error) { return Room{NextID: 1, Files: files}, nil })
	var html string
	if err == nil {
		html, err = room.Render()
	}
	if err != nil {
		http.Error(w, "cannot open the room", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // the HTML holds the page's token
	io.WriteString(w, html)
}

// Topic is the topic that every message of the room is published to, for
// the pages that handle it (examples/notify).
const Topic = "chat"

// sender returns the handler of the event send: it adds the message to the
// room, then publishes it to Topic. Notifications are a bonus: a publish
// that fails (no page handles the topic) fails nothing.
func sender(app *livetemplate.Application, dir string) livetemplate.EventHandler {
	return func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		m, err := send(ctx, p, e, dir)
		if err == nil {
			app.Publish(ctx, Topic, m)
		}
		return err
	}
}

// send adds the event's message to the room, under the sender's name: the
// member's it signed in as, else the one it gave. It returns the message
// as the room shows it. Files of the room are in dir.
func send(ctx context.Context, p *livetemplate.Page, e livetemplate.Event, dir string) (Message, error) {
	var m Message
	if err := e.Decode(&m); err != nil {
		return Message{}, err
	}
	m.File = nil // the room's upload handler adds files
	if member := signin.Of(ctx); member.Name != "" {
		m.Name = member.Name
	}
	m.Name, m.Text = strings.TrimSpace(m.Name), strings.TrimSpace(m.Text)
	switch {
	case m.Text == "":
		return Message{}, errors.New("write a message first") // the sender's ack says so
	case utf8.RuneCountInString(m.Name) > maxName || utf8.RuneCountInString(m.Text) > maxText:
		return Message{}, fmt.Errorf("names have at most %d characters, messages %d", maxName, maxText)
	case m.Name == "":
		m.Name = "someone"
	}
	return add(ctx, p, m, dir)
}

// add adds m to the room, and deletes from dir the files of the messages
// that the room no longer shows. It returns m as the room shows it.
func add(ctx context.Context, p *livetemplate.Page, m Message, dir string) (Message, error) {
	m.At = time.Now().Format("15:04")
	var gone []Message
	_, err := p.Modify(ctx, func(data any) (any, error) {
		r := data.(Room)
		m.ID = r.NextID
		r.NextID++
		cut := max(0, len(r.Messages)-keep+1)
		gone = r.Messages[:cut]
		// A new slice: the page's data is never changed in place.
		r.Messages = append(slices.Clone(r.Messages[cut:]), m)
		return r, nil
	})
	for _, g := range gone {
		if err == nil && g.File != nil && dir != "" && uploadID.MatchString(g.File.ID) {
			os.Remove(filepath.Join(dir, g.File.ID))
		}
	}
	return m, err
}

// Present is the room's WithJoinLeave function (for both joins and
// leaves): it shows who is in the room, members by name and the other
// browsers as guests, from the room's presence. It does nothing for pages
// of other templates.
func Present(ctx context.Context, p *livetemplate.Page, _ livetemplate.Viewer) {
	if p.Template() != Template {
		return
	}
	names, guests := map[string]bool{}, map[string]bool{}
	for _, v := range p.Presence() {
		member, _ := livetemplate.ViewerIdentity[signin.Member](v)
		switch {
		case member.Name != "":
			names[member.Name] = true
		case v.Browser != "":
			guests[v.Browser] = true
		default:
			guests[v.Name] = true // a client without a browser id: each tab
		}
	}
	here := slices.Sorted(maps.Keys(names))
	p.Modify(ctx, func(data any) (any, error) {
		r := data.(Room)
		if slices.Equal(r.Here, here) && r.Guests == len(guests) {
			return r, nil
		}
		r.Here, r.Guests = here, len(guests)
		return r, nil
	})
}

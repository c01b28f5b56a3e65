// Package notify is a page per connection fed by a topic: each tab that
// opens it gets a notifications page of its own, made for the member its
// connection belongs to (signin), and every message of the chat room
// reaches every such page through the topic chat.Topic; each page keeps
// the messages that concern its member (those that mention @name), a
// guest's page every message.
package notify

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/signin"
)

// Template is the name of the notifications page's template.
const Template = "notify"

// keep is how many notifications a page shows.
const keep = 20

// Inbox is a notifications page's data.
type Inbox struct {
	Member string         // "" for a guest
	Items  []chat.Message // the latest that concern the member, oldest first
}

//go:embed notify.html page.html
var files embed.FS

// Mount registers the page's template and its handler of the chat's topic
// on app, and its routes on mux: GET /notify/ serves the HTML page, whose
// script connects to /notify/live, the endpoint that makes a page for each
// connection.
func Mount(app *livetemplate.Application, mux *http.ServeMux) error {
	if err := app.RegisterTemplateFS(Template, files, "notify.html"); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if err := app.HandleTopic(Template, chat.Topic, notice); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	mux.Handle("GET /notify/live", app.PageHandler(Template, func(r *http.Request) (any, error) {
		return Inbox{Member: signin.Of(r.Context()).Name}, nil // the handshake's identity
	}))
	mux.HandleFunc("GET /notify/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "page.html")
	})
	return nil
}

// notice keeps a chat message on the page if it concerns the page's member.
func notice(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
	var msg chat.Message
	if err := m.Decode(&msg); err != nil {
		return err
	}
	_, err := p.Modify(ctx, func(data any) (any, error) {
		in := data.(Inbox)
		if in.Member != "" && !strings.Contains(msg.Text, "@"+in.Member) {
			return in, nil // not for this member: no change
		}
		in.Items = append(slices.Clone(in.Items[max(0, len(in.Items)-keep+1):]), msg)
		return in, nil
	})
	return err
}

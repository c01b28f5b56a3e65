// Package counter is a page per connection: every tab that opens the
// counter gets a counter of its own, which the live endpoint makes when the
// tab connects; a reload makes a new one.
package counter

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/livetemplate/livetemplate"
)

// Template is the name of the counter's template.
const Template = "counter"

// Counter is a counter page's data.
type Counter struct {
	Count int
}

//go:embed counter.html page.html
var files embed.FS

// Templates is where the example's templates are read from: its embedded
// files, or, for the demo's -dev, its source directory (os.DirFS), whose
// saved templates then reload in the open pages.
var Templates fs.FS = files

// Mount registers the counter's template and events on app, and its routes
// on mux: GET /counter/ serves the HTML page, whose script connects to
// /counter/live, the endpoint that makes a counter for each connection.
func Mount(app *livetemplate.Application, mux *http.ServeMux) error {
	if err := app.RegisterTemplateFS(Template, Templates, "counter.html"); err != nil {
		return fmt.Errorf("counter: %w", err)
	}
	for name, by := range map[string]int{"increment": 1, "decrement": -1} {
		if err := app.HandleEvent(Template, name, add(by)); err != nil {
			return fmt.Errorf("counter: %w", err)
		}
	}
	mux.Handle("GET /counter/live", app.PageHandler(Template, func(*http.Request) (any, error) {
		return Counter{}, nil // each connection starts at 0
	}))
	mux.HandleFunc("GET /counter/{$}", func(w http.ResponseWriter, r *http.Request) {
		// The page itself is static: the counter arrives over the socket.
		http.ServeFileFS(w, r, files, "page.html")
	})
	return nil
}

// add returns the handler of an event that adds by to the count.
func add(by int) livetemplate.EventHandler {
	return func(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(Counter)
			c.Count += by
			return c, nil
		})
		return err
	}
}

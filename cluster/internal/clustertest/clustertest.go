// Package clustertest holds what the cluster module's tests and its
// benchmark (clusterbench) share: the counter page they all drive, its
// event handler, and the resend loop of a client.
package clustertest

import (
	"context"
	"errors"
	"html/template"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// Counter is the state of the counter page: a count and the ids of the
// events that made it, in order, so that an event applied twice shows.
type Counter struct {
	Count int
	Log   []string
}

// CounterTemplate renders a Counter.
const CounterTemplate = `<p>{{.Count}}</p><ul>{{range .Log}}<li>{{.}}</li>{{end}}</ul>`

// Register registers the template "counter" on app, with the event "add",
// which appends the event's id to the log.
func Register(app *livetemplate.Application) error {
	if err := app.RegisterTemplate("counter", template.Must(template.New("counter").Parse(CounterTemplate))); err != nil {
		return err
	}
	return app.HandleEvent("counter", "add", Add)
}

// Add is the handler of "add": it counts the event and logs its id.
func Add(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	_, err := p.Modify(ctx, func(data any) (any, error) {
		c := data.(Counter)
		c.Count++
		c.Log = append(c.Log[:len(c.Log):len(c.Log)], e.ID)
		return c, nil
	})
	return err
}

// Resend sends the event "add" of id until it is acknowledged, as a client
// does after unavailable (and after a lost connection, on a new one), until
// ctx is done.
func Resend(ctx context.Context, p *livetemplatetest.Page, id string) error {
	for {
		err := p.EventID(ctx, id, "add", nil)
		var e *livetemplatetest.Error
		if err == nil || !errors.As(err, &e) || e.Code != "unavailable" {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Audit counts the acknowledged ids missing from log, and the ids in log
// more than once.
func Audit(acked, log []string) (lost, twice int) {
	times := make(map[string]int, len(log))
	for _, id := range log {
		times[id]++
	}
	for _, id := range acked {
		if times[id] == 0 {
			lost++
		}
	}
	for _, n := range times {
		if n > 1 {
			twice += n - 1
		}
	}
	return lost, twice
}

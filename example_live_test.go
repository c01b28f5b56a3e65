package livetemplate_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http/httptest"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// A live page: an event handler changes the page's data, and every
// connection joined to the page gets the diff. livetemplatetest plays the
// browser.
func Example_liveEvents() {
	app, err := livetemplate.NewApplication()
	if err != nil {
		panic(err)
	}
	defer app.Close()
	counter := template.Must(template.New("counter").Parse(`<p>Count: {{.Count}}</p>`))
	if err := app.RegisterTemplate("counter", counter); err != nil {
		panic(err)
	}
	err = app.HandleEvent("counter", "increment", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		var by struct{ By int }
		if err := e.Decode(&by); err != nil {
			return err
		}
		if by.By < 0 {
			return errors.New("a counter only counts up") // the sender gets a failed ack
		}
		_, err := p.Modify(ctx, func(data any) (any, error) {
			c := data.(Counter)
			c.Count += by.By
			return c, nil
		})
		return err
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(app.Handler()) // in a real server: mux.Handle("/live", app.Handler())
	defer srv.Close()
	page, err := app.NewPage("counter", Counter{})
	if err != nil {
		panic(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	browser, err := livetemplatetest.Dial(ctx, srv.URL)
	if err != nil {
		panic(err)
	}
	defer browser.Close()
	p, err := browser.Join(ctx, page.GetToken())
	if err != nil {
		panic(err)
	}
	fmt.Println(p.HTML())
	// The event's diff reaches the sender before its ack, so the HTML has
	// changed when Event returns.
	if err := p.Event(ctx, "increment", map[string]int{"by": 2}); err != nil {
		panic(err)
	}
	fmt.Println(p.HTML(), p.Version())
	err = p.Event(ctx, "increment", map[string]int{"by": -1})
	fmt.Println(err)
	// Output:
	// <p>Count: 0</p>
	// <p>Count: 2</p> 2
	// livetemplate server: handler_error: a counter only counts up
}

package livetemplatetest_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// A page per connection, a lost socket, and a resume:
// the client rejoins with the version it holds and gets only what it missed.
func Example() {
	app, err := livetemplate.NewApplication()
	if err != nil {
		panic(err)
	}
	defer app.Close()
	clock := template.Must(template.New("clock").Parse(`<p>{{.}}</p>`))
	if err := app.RegisterTemplate("clock", clock); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/clock", app.PageHandler("clock", func(*http.Request) (any, error) { return "12:00", nil }))
	mux.Handle("/live", app.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	first, err := livetemplatetest.Dial(ctx, srv.URL+"/clock")
	if err != nil {
		panic(err)
	}
	mine, err := first.Default(ctx) // the page the server made for this connection
	if err != nil {
		panic(err)
	}
	fmt.Println(mine.HTML(), mine.Version())
	first.Drop()

	page, err := app.GetPage(mine.Token())
	if err != nil {
		panic(err)
	}
	page.Update("12:01") // while the client is away
	page.Update("12:02")

	again, err := livetemplatetest.Dial(ctx, srv.URL+"/live")
	if err != nil {
		panic(err)
	}
	defer again.Close()
	resumed, err := again.Resume(ctx, mine) // joins with the version mine holds
	if err != nil {
		panic(err)
	}
	fmt.Println(resumed.HTML(), resumed.Version(), resumed.Stats())
	// Output:
	// <p>12:00</p> 1
	// <p>12:02</p> 3 {0 2 0}
}

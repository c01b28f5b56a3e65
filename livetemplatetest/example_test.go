package livetemplatetest_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
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

type todo struct {
	Title string
	Done  bool
}

const todoSrc = `<form lvt-submit="add"><input name="title"><button>Add</button></form>
<ul>{{range $i, $t := .}}<li><label><input type="checkbox" lvt-change="toggle" lvt-value-id="{{$i}}"{{if .Done}} checked{{end}}> {{.Title}}</label></li>{{end}}</ul>`

// A to-do list tested at the level of its DOM: the test fills in and
// submits the form, and clicks a row's label, and the client sends what the
// browser client sends for their lvt-* attributes.
func ExamplePage_Click() {
	app, err := livetemplate.NewApplication()
	if err != nil {
		panic(err)
	}
	defer app.Close()
	if err := app.RegisterTemplate("todo", template.Must(template.New("todo").Parse(todoSrc))); err != nil {
		panic(err)
	}
	if err := errors.Join(app.HandleEvent("todo", "add", addTodo), app.HandleEvent("todo", "toggle", toggleTodo)); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	page, err := app.NewPage("todo", []todo{})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := livetemplatetest.Dial(ctx, srv.URL)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	p, err := c.Join(ctx, page.GetToken())
	if err != nil {
		panic(err)
	}
	for _, title := range []string{"milk", "eggs"} {
		if err := p.Submit(ctx, "form", url.Values{"title": {title}}); err != nil {
			panic(err)
		}
	}
	if err := p.Click(ctx, `li:contains("eggs") label`); err != nil { // the label clicks its box
		panic(err)
	}
	done, _ := p.Text("li:has(input[checked])")
	fmt.Printf("done: %q\n", done)

	err = p.Submit(ctx, "form", url.Values{"title": {" "}})
	if e, ok := errors.AsType[*livetemplatetest.Error](err); ok {
		fmt.Println(e.Code+":", e.Message)
	}
	err = p.Click(ctx, "ul")
	fmt.Println(errors.Is(err, livetemplatetest.ErrNoBinding), err)
	// Output:
	// done: " eggs"
	// handler_error: a title, please
	// true livetemplatetest: click "ul": no lvt-* binding sends an event for it: none on the element or its ancestors
}

func addTodo(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	var form struct{ Title string } // {"title": "..."}: a form's fields are strings
	if err := e.Decode(&form); err != nil {
		return err
	}
	if strings.TrimSpace(form.Title) == "" {
		return errors.New("a title, please")
	}
	_, err := p.Modify(ctx, func(data any) (any, error) { return append(data.([]todo), todo{Title: form.Title}), nil })
	return err
}

func toggleTodo(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	var box struct{ ID string } // {"id": "0", "value": "on"}: lvt-value-id, and the box's value when checked
	if err := e.Decode(&box); err != nil {
		return err
	}
	i, err := strconv.Atoi(box.ID)
	if err != nil {
		return err
	}
	_, err = p.Modify(ctx, func(data any) (any, error) {
		todos := append([]todo(nil), data.([]todo)...)
		todos[i].Done = !todos[i].Done
		return todos, nil
	})
	return err
}

package livetemplate_test

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/livetemplate/livetemplate"
)

type Counter struct{ Count int }

// A page per connection. The application owns its socket: it
// sends the page's token, the snapshot, then every update.
func Example_pagePerConnection() {
	app, err := livetemplate.NewApplication()
	if err != nil {
		panic(err)
	}
	defer app.Close()
	counter := template.Must(template.New("counter").Parse(`<p>Count: {{.Count}}</p>`))
	if err := app.RegisterTemplate("counter", counter); err != nil {
		panic(err)
	}

	// In the WebSocket handler:
	page, err := app.NewPage("counter", &Counter{})
	if err != nil {
		panic(err)
	}
	defer page.Close()
	send := func(msg any) {
		b, _ := json.Marshal(msg)
		fmt.Println(string(b))
	}
	send(map[string]any{"type": "page_token", "token": len(page.GetToken())}) // the token itself is secret: print its length
	snapshot, _ := page.Snapshot()
	send(snapshot)

	// On each event:
	update, err := page.Update(&Counter{Count: 1})
	if err != nil {
		panic(err)
	}
	if update.Changed() {
		send(update)
	}
	// Output:
	// {"token":52,"type":"page_token"}
	// {"type":"render","v":1,"tree":{"s":{"0":["\u003cp\u003eCount: ","\u003c/p\u003e"]},"f":[0,"0"]}}
	// {"type":"diff","v":2,"base":1,"d":{"f":{"0":"1"}}}
}

// A page shared by its link: the HTTP handler creates the page and embeds
// its token; the WebSocket handler finds the page by that token.
func Example_sharedPageByToken() {
	app, err := livetemplate.NewApplication()
	if err != nil {
		panic(err)
	}
	defer app.Close()
	dashboard := template.Must(template.New("dashboard").Funcs(livetemplate.FuncMap()).Parse(
		`<h1>{{.Title}}</h1><script>const pageToken = "{{PAGE_TOKEN}}";</script>`))
	if err := app.RegisterTemplate("dashboard", dashboard); err != nil {
		panic(err)
	}

	home := func(w http.ResponseWriter, r *http.Request) {
		page, err := app.NewPage("dashboard", map[string]string{"Title": "Sales"})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		html, _ := page.Render()
		html = strings.ReplaceAll(html, "{{PAGE_TOKEN}}", page.GetToken()) // harmless: already done
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(html))
		// Don't close the page: the WebSocket will use it.
	}
	rec := httptest.NewRecorder()
	home(rec, httptest.NewRequest("GET", "/", nil))
	body, _ := io.ReadAll(rec.Body)

	// The browser sends the token back; the WebSocket handler finds the page.
	tok := strings.Split(string(body), `"`)[1]
	page, err := app.GetPage(tok)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Replace(string(body), tok, "TOKEN", 1))
	fmt.Println(page.Version(), page.Data())
	// Output:
	// <h1>Sales</h1><script>const pageToken = "TOKEN";</script>
	// 1 map[Title:Sales]
}

//go:embed testdata/templates/*.html
var templates embed.FS

// Templates embedded in the binary: the first file of the first pattern is
// the page, the others are templates it calls.
func ExampleApplication_RegisterTemplateFS() {
	app, err := livetemplate.NewApplication(livetemplate.WithFuncs(template.FuncMap{"shout": strings.ToUpper}))
	if err != nil {
		panic(err)
	}
	defer app.Close()
	err = app.RegisterTemplateFS("dashboard", templates, "testdata/templates/dashboard.html", "testdata/templates/footer.html")
	if err != nil {
		panic(err)
	}
	page, err := app.NewPage("dashboard", map[string]string{"Title": "Sales"})
	if err != nil {
		panic(err)
	}
	html, _ := page.Render()
	fmt.Print(strings.Replace(html, page.GetToken(), "TOKEN", 1))
	// Output:
	// <h1>Sales</h1>
	// <footer>SALES</footer>
	//
	// <script>const pageToken = "TOKEN";</script>
}

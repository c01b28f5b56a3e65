package engine_test

import (
	"fmt"
	"html/template"

	"github.com/livetemplate/livetemplate/internal/engine"
)

type Todo struct {
	ID    int
	Title string
}

// A keyed list: a full tree for a client that holds nothing, then the diff
// for a reorder with one changed title.
func Example() {
	tmpl := template.Must(template.New("list").Parse(
		`<ul>{{range .}}<li data-key="{{.ID}}">{{.Title}}</li>{{end}}</ul>`))
	prog, err := engine.Compile(tmpl)
	if err != nil {
		panic(err)
	}
	a, err := prog.Render([]Todo{{1, "a"}, {2, "b"}, {3, "c"}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n%s\n", a.HTML(), a.AppendJSON(nil))

	b, err := prog.Render([]Todo{{3, "c!"}, {1, "a"}, {2, "b"}})
	if err != nil {
		panic(err)
	}
	diff, changed, err := engine.AppendDiff(nil, a, b)
	fmt.Printf("%s %v %v\n", diff, changed, err)
	// Output:
	// <ul><li data-key="1">a</li><li data-key="2">b</li><li data-key="3">c</li></ul>
	// {"s":{"0":["<li data-key=\"","\">","</li>"],"1":["<ul>","</ul>"]},"f":[1,{"r":[[0,"1","a"],[0,"2","b"],[0,"3","c"]]}]}
	// {"f":{"0":{"p":[[0,2]],"u":{"0":{"1":"c!"}}}}} true <nil>
}

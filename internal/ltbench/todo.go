package ltbench

import (
	"fmt"
	"html/template"
	"slices"
)

// TodoTemplate is the reference page: a header with counts, a form with an
// optional validation error, and a keyed list of todos. Each row has a
// branch on its class, a checkbox whose checked attribute is a branch, a
// link built from data, and a badge shown only for done rows: the usual mix
// of text, attribute and URL contexts.
const TodoTemplate = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<header>
  <h1>{{.Title}}</h1>
  <p class="counts"><span>{{.Total}}</span> total, <span>{{.DoneCount}}</span> done, <span>{{.Remaining}}</span> remaining</p>
</header>
<form method="post" action="/lists/{{.ListID}}/todos">
  <input type="text" name="title" value="{{.Draft}}" placeholder="What needs doing?">
  <button type="submit">Add</button>
  {{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
</form>
<ul class="todos">
{{range .Todos}}<li data-key="{{.ID}}" class="todo{{if .Done}} done{{end}}">
  <input type="checkbox" name="done" {{if .Done}}checked{{end}}>
  <a href="/lists/{{$.ListID}}/todos/{{.ID}}?view=detail">{{.Title}}</a>
  {{if .Done}}<span class="badge">done</span>{{else}}<span class="badge open">open</span>{{end}}
</li>
{{else}}<li class="empty">Nothing to do.</li>
{{end}}</ul>
</body>
</html>
`

// NewTodoTemplate parses [TodoTemplate].
func NewTodoTemplate() *template.Template {
	return template.Must(template.New("todo").Parse(TodoTemplate))
}

// Todo is one row of the reference page.
type Todo struct {
	ID    int
	Title string
	Done  bool
}

// TodoPage is the data of the reference page. Its mutations return a new
// page and leave the receiver as it was, so that two versions of a page can
// be rendered in turn.
type TodoPage struct {
	Title  string
	ListID string
	Draft  string // the form's input value
	Error  string // the form's validation error, shown when not empty
	Todos  []Todo
	nextID int
}

// titles are varied row texts, some with characters that need escaping.
var titles = []string{
	"Write the quarterly report",
	"Review & merge the parser pull request",
	"Call the plumber about the \"leak\"",
	"Buy milk, eggs and bread",
	"Renew the <domain> certificate",
	"Plan the team offsite",
	"Answer Ana's email",
}

// NewTodoPage returns a page with n todos; every third one is done.
func NewTodoPage(n int) *TodoPage {
	p := &TodoPage{
		Title:  "Household & work",
		ListID: "home-42",
		Draft:  "Water the plants",
		Error:  "A todo needs a title of at most 80 characters.",
		Todos:  make([]Todo, n),
		nextID: n + 1,
	}
	for i := range p.Todos {
		p.Todos[i] = Todo{
			ID:    i + 1,
			Title: fmt.Sprintf("%s (#%d)", titles[i%len(titles)], i+1),
			Done:  i%3 == 0,
		}
	}
	return p
}

// Total returns the number of todos.
func (p *TodoPage) Total() int { return len(p.Todos) }

// DoneCount returns the number of done todos.
func (p *TodoPage) DoneCount() int {
	n := 0
	for _, t := range p.Todos {
		if t.Done {
			n++
		}
	}
	return n
}

// Remaining returns the number of todos not done.
func (p *TodoPage) Remaining() int { return len(p.Todos) - p.DoneCount() }

// with returns a copy of p with its own todos slice.
func (p *TodoPage) with() *TodoPage {
	q := *p
	q.Todos = slices.Clone(p.Todos)
	return &q
}

// Retitled returns p with the title of row i changed: one field of one row.
func (p *TodoPage) Retitled(i int, title string) *TodoPage {
	q := p.with()
	q.Todos[i].Title = title
	return q
}

// Toggled returns p with row i's done state flipped, which also changes the
// counts in the header.
func (p *TodoPage) Toggled(i int) *TodoPage {
	q := p.with()
	q.Todos[i].Done = !q.Todos[i].Done
	return q
}

// Inserted returns p with a new todo at index i.
func (p *TodoPage) Inserted(i int, title string) *TodoPage {
	q := p.with()
	q.Todos = slices.Insert(q.Todos, i, Todo{ID: q.nextID, Title: title})
	q.nextID++
	return q
}

// Removed returns p without row i.
func (p *TodoPage) Removed(i int) *TodoPage {
	q := p.with()
	q.Todos = slices.Delete(q.Todos, i, i+1)
	return q
}

// Reversed returns p with its rows in reverse order.
func (p *TodoPage) Reversed() *TodoPage {
	q := p.with()
	slices.Reverse(q.Todos)
	return q
}

// AllToggled returns p with every row's done state flipped: a change to
// every row.
func (p *TodoPage) AllToggled() *TodoPage {
	q := p.with()
	for i := range q.Todos {
		q.Todos[i].Done = !q.Todos[i].Done
	}
	return q
}

// Package todo is a to-do list: keyed rows that are added, checked off,
// deleted and reordered, and a form whose errors the server finds and the
// template shows, live while the user types, without taking the field from
// them.
//
// GET /todo/ makes a new list and sends the browser to its address,
// /todo/{token}: a page shared by its link, so the same address opens the
// same list in any tab or on any device. The form is not part of that page:
// what a viewer types, and what is wrong with it, is theirs alone. Each load
// of the address makes the viewer a page of their own for the form (a
// [Draft]), which the browser joins beside the list (on the same connection,
// where its tabs share one).
//
// The list's filter (all, active or done) is in its address's query,
// /todo/{token}?filter=done: the filter links patch the query without
// leaving the page, back and forward walk the filters, and a load of a
// filtered address renders the filtered list on the server. The filter is
// the list's, like its rows: a viewer who filters it filters it for every
// viewer (whose addresses keep the query they had until they filter,
// reload, or go back or forward).
package todo

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/signin"
)

// Template is the name of the list's template: the page every viewer
// shares.
const Template = "todo"

// MaxTitle is the longest title, in characters, that the form accepts.
const MaxTitle = 60

// List is a to-do list page's data.
type List struct {
	Items  []Item
	NextID int
	Owner  string   // the member who made it (signin), "" for a guest's list, which anyone may edit
	Shared bool     // whether anyone with the link may see and edit it, besides its owner
	Here   []string // the names of the members who view it now, sorted
	Guests int      // the browsers that view it without a name
	Filter string   // the rows shown: "" for all, "active" or "done" (the address's query)
}

// Filters are the filters the list's links show, each a value of its
// address's query "filter".
var Filters = []string{"all", "active", "done"}

// Shown returns the items that the filter shows.
func (l List) Shown() []Item {
	if l.Filter == "" {
		return l.Items
	}
	return slices.DeleteFunc(slices.Clone(l.Items), func(it Item) bool { return it.Done != (l.Filter == "done") })
}

// Filters returns the filters the list's links show.
func (List) Filters() []string { return Filters }

// filtered returns l showing the rows of the query's filter; a filter it
// does not know is all, and ok is false.
func (l List) filtered(q url.Values) (_ List, ok bool) {
	switch f := q.Get("filter"); f {
	case "active", "done":
		l.Filter = f
		return l, true
	case "", "all":
		l.Filter = ""
		return l, true
	}
	l.Filter = ""
	return l, false
}

// mayEdit reports whether member may see and change the list: anyone for a
// guest's list or a shared one, else its owner alone.
func (l List) mayEdit(member signin.Member) bool {
	return l.Owner == "" || l.Shared || member.Name == l.Owner
}

// errNotYours refuses what a member may not do to a list that is not
// shared with them.
func errNotYours(l List) error {
	return fmt.Errorf("this list is %s's, who has not shared it: %w", l.Owner, livetemplate.ErrNotAllowed)
}

// MayJoin is the list's join check (WithJoinCheck): a list that is not
// shared refuses everyone but its owner. It lets pages of other templates
// be.
func MayJoin(ctx context.Context, p *livetemplate.Page) error {
	if p.Template() != Template {
		return nil
	}
	if l := p.Data().(List); !l.mayEdit(signin.Of(ctx)) {
		return errNotYours(l)
	}
	return nil
}

// Item is one row of the list. Its ID is the row's data-key, so that a
// change sends only that row, and a move moves it.
type Item struct {
	ID    int
	Title string
	Done  bool
}

// Left returns how many items are not done.
func (l List) Left() int {
	n := 0
	for _, it := range l.Items {
		if !it.Done {
			n++
		}
	}
	return n
}

//go:embed todo.html missing.html list.html draft.html todo.js
var files embed.FS

// Templates is where the example's templates are read from: its embedded
// files, or, for the demo's -dev, its source directory (os.DirFS), whose
// saved templates then reload in the open pages.
var Templates fs.FS = files

// document is the HTML page around the two pages a viewer shows: their
// draft and the list.
var document = template.Must(template.ParseFS(files, "todo.html", "missing.html"))

// Mount registers the list's and the draft's templates and events on app,
// and its routes on mux: GET /todo/ makes a list, GET /todo/{token} shows
// it, GET /todo/todo.js is the script that joins the viewer's draft.
func Mount(app *livetemplate.Application, mux *http.ServeMux) error {
	if err := app.RegisterTemplateFS(Template, Templates, "list.html"); err != nil {
		return fmt.Errorf("todo: %w", err)
	}
	events := map[string]func(List, form) List{"toggle": toggle, "delete": remove, "move": move}
	if err := app.HandleEvent(Template, "share", share); err != nil {
		return fmt.Errorf("todo: %w", err)
	}
	for name, change := range events {
		if err := app.HandleEvent(Template, name, handle(change)); err != nil {
			return fmt.Errorf("todo: %w", err)
		}
	}
	if err := app.HandleParams(Template, params); err != nil {
		return fmt.Errorf("todo: %w", err)
	}
	if err := mountDraft(app); err != nil {
		return fmt.Errorf("todo: %w", err)
	}
	mux.HandleFunc("GET /todo/{$}", func(w http.ResponseWriter, r *http.Request) {
		member, _ := signin.Identify(r)
		p, err := app.NewPage(Template, List{Items: []Item{{1, "Try the demo", true}, {2, "Read the guide", false}}, NextID: 3, Owner: member.Name})
		if err != nil {
			http.Error(w, "cannot make a list", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, "/todo/"+p.GetToken(), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /todo/todo.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "todo.js")
	})
	mux.HandleFunc("GET /todo/{token}", func(w http.ResponseWriter, r *http.Request) {
		show(app, w, r)
	})
	return nil
}

// show writes the HTML of the list of the request's token, with a new
// draft for this viewer, or refuses a list that is not shared with them.
func show(app *livetemplate.Application, w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	var data struct{ Draft, List rendered }
	list, err := app.GetPage(token)
	if member, _ := signin.Identify(r); err == nil && !list.Data().(List).mayEdit(member) {
		http.Error(w, errNotYours(list.Data().(List)).Error(), http.StatusForbidden)
		return
	}
	if err == nil {
		// The filter of the address is the list's before its HTML is:
		// a load of a filtered address shows the filtered list.
		_, err = list.Modify(r.Context(), func(data any) (any, error) {
			l, _ := data.(List).filtered(r.URL.Query())
			return l, nil
		})
	}
	if err == nil {
		data.List, err = render(list)
	}
	if err != nil { // an unknown token, or a list that ended: idle for 30 minutes
		write(w, http.StatusNotFound, "missing.html", nil)
		return
	}
	if data.Draft, err = newDraft(app, token); err != nil {
		http.Error(w, "cannot show the list", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the HTML holds the pages' tokens
	write(w, http.StatusOK, "todo.html", data)
}

// write writes the document's template name, executed with data, whole or
// not at all.
func write(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := document.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// rendered is a page's HTML, for the element of the document that is the
// page's root, with the token and version that the browser joins it with.
type rendered struct {
	HTML    template.HTML
	Token   string
	Version uint64
}

// render renders p with the version its HTML shows. Render and Version are
// two calls, and a change between them would pair the HTML with a later
// version, so it tries again while the page changes. Version 0, after a
// few tries, makes the browser ask for the whole page when it joins.
func render(p *livetemplate.Page) (rendered, error) {
	r := rendered{Token: p.GetToken()}
	for range 3 {
		v := p.Version()
		html, err := p.Render()
		if err != nil {
			return rendered{}, err
		}
		r.HTML = template.HTML(html) // html/template's own output
		if p.Version() == v {
			r.Version = v
			break
		}
	}
	return r, nil
}

// form is what the events send: the title field, and the lvt-value-* of
// the row's buttons (strings, as the browser sends them).
type form struct {
	Title string
	ID    string
	By    string
}

// handle returns the handler of an event that changes the list as change
// says.
func handle(change func(List, form) List) livetemplate.EventHandler {
	return func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		var f form
		if err := e.Decode(&f); err != nil {
			return err
		}
		member := signin.Of(ctx)
		_, err := p.Modify(ctx, func(data any) (any, error) {
			l := data.(List)
			if !l.mayEdit(member) { // checked on the data it changes: a share withdrawn meanwhile counts
				return nil, errNotYours(l)
			}
			return change(l, f), nil
		})
		return err
	}
}

// share shares the list with anyone who has its link, or stops sharing
// it: its owner's alone. A list shared no more keeps its viewers until
// they reconnect.
func share(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
	member := signin.Of(ctx)
	_, err := p.Modify(ctx, func(data any) (any, error) {
		l := data.(List)
		if l.Owner == "" || member.Name != l.Owner {
			return nil, fmt.Errorf("only the list's owner may share it: %w", livetemplate.ErrNotAllowed)
		}
		l.Shared = !l.Shared
		return l, nil
	})
	return err
}

// params sets the list's filter from the query of a viewer's address: when
// the viewer's tab joins the list, follows a filter link, or goes back or
// forward. A filter it does not know shows all the rows, and replaces the
// query of the viewer's address with filter=all.
func params(ctx context.Context, p *livetemplate.Page, q url.Values) error {
	member := signin.Of(ctx)
	known := true
	_, err := p.Modify(ctx, func(data any) (any, error) {
		l := data.(List)
		if !l.mayEdit(member) {
			return nil, errNotYours(l)
		}
		l, known = l.filtered(q)
		return l, nil
	})
	if err == nil && !known {
		return livetemplate.PatchReplace("?filter=all")
	}
	return err
}

// Present is the list's WithJoinLeave function (for both joins and
// leaves): it shows who views the list, from its presence. It does
// nothing for pages of other templates.
func Present(ctx context.Context, p *livetemplate.Page, _ livetemplate.Viewer) {
	if p.Template() != Template {
		return
	}
	names, guests := map[string]bool{}, map[string]bool{}
	for _, v := range p.Presence() {
		switch member, _ := livetemplate.ViewerIdentity[signin.Member](v); {
		case member.Name != "":
			names[member.Name] = true
		case v.Browser != "":
			guests[v.Browser] = true
		default:
			guests[v.Name] = true
		}
	}
	here := slices.Sorted(maps.Keys(names))
	p.Modify(ctx, func(data any) (any, error) {
		l := data.(List)
		if slices.Equal(l.Here, here) && l.Guests == len(guests) {
			return l, nil
		}
		l.Here, l.Guests = here, len(guests)
		return l, nil
	})
}

// add adds title to the list, unless validate finds it wrong.
func (l List) add(title string) List {
	// New slices throughout: the page's data is never changed in place.
	l.Items = append(slices.Clip(l.Items), Item{ID: l.NextID, Title: strings.TrimSpace(title)})
	l.NextID++
	return l
}

// validate says what is wrong with a new item's title, or "".
func validate(items []Item, title string) string {
	title = strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "Write what needs doing first."
	case n > MaxTitle:
		return fmt.Sprintf("At most %d characters, please (this is %d).", MaxTitle, n)
	}
	for _, it := range items {
		if strings.EqualFold(it.Title, title) {
			return fmt.Sprintf("%q is on the list already.", it.Title)
		}
	}
	return ""
}

func toggle(l List, f form) List {
	i := l.index(f.ID)
	if i >= 0 {
		l.Items = slices.Clone(l.Items)
		l.Items[i].Done = !l.Items[i].Done
	}
	return l
}

func remove(l List, f form) List {
	if i := l.index(f.ID); i >= 0 {
		l.Items = slices.Delete(slices.Clone(l.Items), i, i+1)
	}
	return l
}

// move moves an item up (By "-1") or down ("1") one row.
func move(l List, f form) List {
	i := l.index(f.ID)
	j := i + 1
	if f.By == "-1" {
		j = i - 1
	}
	if i >= 0 && j >= 0 && j < len(l.Items) {
		l.Items = slices.Clone(l.Items)
		l.Items[i], l.Items[j] = l.Items[j], l.Items[i]
	}
	return l
}

// index returns the position of the item whose ID is id, or -1.
func (l List) index(id string) int {
	n, err := strconv.Atoi(id)
	if err != nil {
		return -1
	}
	return slices.IndexFunc(l.Items, func(it Item) bool { return it.ID == n })
}

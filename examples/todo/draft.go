package todo

import (
	"context"
	"errors"
	"strings"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/signin"
)

// DraftTemplate is the name of the form's template: a page of its own for
// each viewer, beside the list that they share.
const DraftTemplate = "todo-draft"

// Draft is one viewer's form: the title they are typing and what is wrong
// with it, which no other viewer of the list sees.
type Draft struct {
	List  string // the token of the list it adds to
	Title string // the field, as the server last saw it
	Error string // what is wrong with Title, for the template to show
}

func mountDraft(app *livetemplate.Application) error {
	if err := app.RegisterTemplateFS(DraftTemplate, Templates, "draft.html"); err != nil {
		return err
	}
	if err := app.HandleEvent(DraftTemplate, "check", draftEvent(app, check)); err != nil {
		return err
	}
	return app.HandleEvent(DraftTemplate, "add", draftEvent(app, add))
}

// newDraft makes a viewer's draft for the list of token, and renders it.
func newDraft(app *livetemplate.Application, token string) (rendered, error) {
	p, err := app.NewPage(DraftTemplate, Draft{List: token})
	if err != nil {
		return rendered{}, err
	}
	return render(p)
}

// draftEvent returns the handler of an event of a draft, which does what
// do says with the draft's page and the list's.
func draftEvent(app *livetemplate.Application, do func(ctx context.Context, draft, list *livetemplate.Page, title string) error) livetemplate.EventHandler {
	return func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		var f form
		if err := e.Decode(&f); err != nil {
			return err
		}
		list, err := app.GetPage(p.Data().(Draft).List)
		if err != nil {
			return errors.New("this list has ended: reload the page")
		}
		if l := list.Data().(List); !l.mayEdit(signin.Of(ctx)) {
			return errNotYours(l)
		}
		return do(ctx, p, list, f.Title)
	}
}

// check keeps the title being typed and says what is wrong with it. An
// empty title is not wrong yet: the user may not have started.
func check(ctx context.Context, draft, list *livetemplate.Page, title string) error {
	msg := ""
	if strings.TrimSpace(title) != "" {
		msg = validate(list.Data().(List).Items, title)
	}
	return setDraft(ctx, draft, title, msg)
}

// add adds the title to the list and empties the draft, or keeps the title
// with what is wrong with it. The check and the add are one change of the
// list, so two viewers cannot add the same title.
//
// The event's reply (livetemplate.Reply) is the new item's number, which
// the page's script shows ("added as #12"), or nothing when it was refused.
func add(ctx context.Context, draft, list *livetemplate.Page, title string) error {
	var msg string
	var id int
	_, err := list.Modify(ctx, func(data any) (any, error) {
		l := data.(List)
		if msg = validate(l.Items, title); msg != "" {
			return l, nil
		}
		id = l.NextID
		return l.add(title), nil
	})
	if err != nil {
		return err
	}
	if msg != "" {
		return setDraft(ctx, draft, title, msg)
	}
	if err := setDraft(ctx, draft, "", ""); err != nil {
		return err
	}
	return livetemplate.Reply(ctx, Added{ID: id, Title: strings.TrimSpace(title)})
}

// Added is the reply to an add that added an item.
type Added struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
}

func setDraft(ctx context.Context, draft *livetemplate.Page, title, msg string) error {
	_, err := draft.Modify(ctx, func(data any) (any, error) {
		d := data.(Draft)
		d.Title, d.Error = title, msg
		return d, nil
	})
	return err
}

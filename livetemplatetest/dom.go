package livetemplatetest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The DOM of a page: find its elements by CSS selector, read them, and act
// on them as a user does, sending what the browser client would send for
// their lvt-* attributes (docs/client.md).
//
// Each call reads the page's HTML as the client holds it at that moment:
// the client keeps no state of its own between calls (no typed values, no
// focus), so a field holds the value of its HTML, and the values an action
// is given (Input's text, Submit's fields) count for that action alone. An
// action waits for the ack of each event it sends; the page's change comes
// before its ack, so the page's HTML shows it when the action returns.

// Errors of the DOM methods. An [*ElementError] wraps them with the method
// and the selector.
var (
	// ErrNoElement: no element of the page matches the selector.
	ErrNoElement = errors.New("no element matches")
	// ErrNotUnique: the method needs one element, and several match.
	ErrNotUnique = errors.New("more than one element matches")
	// ErrNoBinding: the browser client would send no event for the action:
	// no lvt-* attribute binds it, or its lvt-key filter leaves the key out.
	ErrNoBinding = errors.New("no lvt-* binding sends an event for it")
	// ErrDisabled: the element, or a field the action sets, is disabled, so
	// a user cannot act on it.
	ErrDisabled = errors.New("the element is disabled")
	// ErrInvalid: the browser would not submit the form: a field it
	// requires is empty.
	ErrInvalid = errors.New("the form is invalid")
)

// ElementError is the error of a DOM method: which one, the selector it was
// given, and what went wrong, such as [ErrNoElement].
type ElementError struct {
	Op       string // the method, in lower case: "click", "text", ...
	Selector string
	Err      error
}

func (e *ElementError) Error() string {
	return "livetemplatetest: " + e.Op + " " + strconv.Quote(e.Selector) + ": " + e.Err.Error()
}

func (e *ElementError) Unwrap() error { return e.Err }

// Count returns how many elements of the page match the CSS selector
// (cascadia's: CSS3 selectors and :has, :contains("text"), :matches(re)).
func (p *Page) Count(selector string) (int, error) {
	_, ns, err := p.query("count", selector)
	return len(ns), err
}

// Has reports whether an element of the page matches the CSS selector.
func (p *Page) Has(selector string) (bool, error) {
	_, ns, err := p.query("has", selector)
	return len(ns) > 0, err
}

// Text returns the text of the element that the selector matches, all of
// it, as the DOM's textContent has it.
func (p *Page) Text(selector string) (string, error) {
	_, n, err := p.element("text", selector)
	if err != nil {
		return "", err
	}
	return text(n), nil
}

// Attr returns the attribute name of the element that the selector
// matches, "" if it has none. Test that an attribute is present with a
// selector: p.Has("#done[checked]").
func (p *Page) Attr(selector, name string) (string, error) {
	_, n, err := p.element("attr", selector)
	if err != nil {
		return "", err
	}
	v, _ := attr(n, strings.ToLower(name))
	return v, nil
}

// Click clicks the element that the selector matches, as a user does, and
// sends what the browser client sends for it: the lvt-click of the element
// or of its closest ancestor with one, with its lvt-value-*; then what the
// click does: a checkbox or radio button it changes sends its lvt-input and
// lvt-change, a submit button submits its form (lvt-submit, with the
// button's name and value), a label clicks its field. A link with lvt-click
// does nothing more.
func (p *Page) Click(ctx context.Context, selector string) error {
	return p.act(ctx, "click", selector, click)
}

// Submit submits a form, as a user does after filling it in: the selector
// matches the form, or the submit button to submit it with. values sets
// fields by name before (a checkbox's values check the boxes of those
// values and uncheck the others; a select's select those options); they
// must be values a user could give, and they count for this submission
// alone. It sends the form's lvt-submit with its fields, as FormData has
// them; a form that fails the browser's check of required fields (unless
// novalidate) sends nothing and Submit returns [ErrInvalid].
func (p *Page) Submit(ctx context.Context, selector string, values url.Values) error {
	return p.act(ctx, "submit", selector, func(doc, el *html.Node) ([]sent, error) {
		form, submitter := el, (*html.Node)(nil)
		if !is(el, "form") {
			if !isSubmitButton(el) {
				return nil, fmt.Errorf("<%s> is not a form or a submit button", el.Data)
			}
			if form, submitter = formOwner(doc, el), el; form == nil {
				return nil, errors.New("the button is in no form")
			}
			if disabled(el) {
				return nil, ErrDisabled
			}
		}
		if err := fill(doc, form, values); err != nil {
			return nil, err
		}
		return submit(doc, form, submitter)
	})
}

// Change sets the field that the selector matches to value and fires its
// change event: the lvt-change of the field, or of its form, is sent. A
// select multiple takes any number of values; other fields one: a
// checkbox's or radio button's own value checks it, "" unchecks a
// checkbox. Change fires no input event before, as a user's typing would:
// call [Page.Input] for that.
func (p *Page) Change(ctx context.Context, selector string, value ...string) error {
	return p.act(ctx, "change", selector, editEvent("change", value))
}

// Input sets the field that the selector matches to value, as [Page.Change]
// does, and fires its input event: the lvt-input of the field, or of its
// form, is sent.
func (p *Page) Input(ctx context.Context, selector string, value ...string) error {
	return p.act(ctx, "input", selector, editEvent("input", value))
}

// Keydown presses key (a KeyboardEvent.key value, such as "Enter" or "a")
// in the element that the selector matches: the lvt-keydown of the element
// or of its closest ancestor with one is sent, if its lvt-key lets the key
// through, and every lvt-window-keydown that does. Enter in a form's text
// field submits the form, as in the browser. Other default actions of a
// key (typing a character) are not done: call [Page.Input] for that.
func (p *Page) Keydown(ctx context.Context, selector, key string) error {
	return p.act(ctx, "keydown", selector, keyEvent("keydown", key))
}

// Keyup releases key in the element that the selector matches, as
// [Page.Keydown] presses it, for lvt-keyup and lvt-window-keyup.
func (p *Page) Keyup(ctx context.Context, selector, key string) error {
	return p.act(ctx, "keyup", selector, keyEvent("keyup", key))
}

// Focus gives the focus to the element that the selector matches: its own
// lvt-focus is sent (focus events do not bubble).
func (p *Page) Focus(ctx context.Context, selector string) error {
	return p.act(ctx, "focus", selector, focusEvent("focus"))
}

// Blur takes the focus from the element that the selector matches: its own
// lvt-blur is sent. The client does not track the focus: Blur does not
// check that the element had it.
func (p *Page) Blur(ctx context.Context, selector string) error {
	return p.act(ctx, "blur", selector, focusEvent("blur"))
}

// windowTypes are the window events the client binds with lvt-window-*.
var windowTypes = map[string]bool{"keydown": true, "keyup": true, "focus": true, "blur": true, "resize": true, "scroll": true}

// Window fires the window's event of eventType (keydown, keyup, focus,
// blur, resize or scroll; key is the key of keydown and keyup, "" for the
// others): every lvt-window-<eventType> of the page is sent, in document
// order, that its lvt-key lets through.
func (p *Page) Window(ctx context.Context, eventType, key string) error {
	keyboard := eventType == "keydown" || eventType == "keyup"
	switch {
	case !windowTypes[eventType]:
		return fmt.Errorf("livetemplatetest: window %s: the client binds no such window event", eventType)
	case keyboard && key == "", !keyboard && key != "":
		return fmt.Errorf("livetemplatetest: window %s: key %q: keydown and keyup need a key, other events none", eventType, key)
	}
	doc, err := parseHTML(p.HTML())
	if err != nil {
		return fmt.Errorf("livetemplatetest: window %s: %w", eventType, err)
	}
	evs := windowEvents(doc, eventType, key)
	if len(evs) == 0 {
		return fmt.Errorf("livetemplatetest: window %s: %w: no lvt-window-%s for key %q", eventType, ErrNoBinding, eventType, key)
	}
	return p.sendAll(ctx, "window "+eventType, evs)
}

// parseHTML parses a page's HTML as the browser does: a whole document
// when it is one, else the children of the page's root element (a div).
func parseHTML(s string) (*html.Node, error) {
	t := strings.TrimLeft(s, asciiSpace)
	if hasPrefixFold(t, "<!doctype") || hasPrefixFold(t, "<html") {
		return html.Parse(strings.NewReader(s))
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	ns, err := html.ParseFragment(strings.NewReader(s), root)
	if err != nil {
		return nil, err
	}
	doc := &html.Node{Type: html.DocumentNode}
	for _, n := range ns {
		doc.AppendChild(n)
	}
	return doc, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// query returns the page's parsed HTML and its elements that selector
// matches.
func (p *Page) query(op, selector string) (*html.Node, []*html.Node, error) {
	sel, err := cascadia.Compile(selector)
	if err != nil {
		return nil, nil, &ElementError{op, selector, err}
	}
	doc, err := parseHTML(p.HTML())
	if err != nil {
		return nil, nil, &ElementError{op, selector, err}
	}
	return doc, cascadia.QueryAll(doc, sel), nil
}

// element returns the page's parsed HTML and the one element that selector
// matches.
func (p *Page) element(op, selector string) (*html.Node, *html.Node, error) {
	doc, ns, err := p.query(op, selector)
	switch {
	case err != nil:
		return nil, nil, err
	case len(ns) == 0:
		return nil, nil, &ElementError{op, selector, ErrNoElement}
	case len(ns) > 1:
		return nil, nil, &ElementError{op, selector, fmt.Errorf("%w: %d elements", ErrNotUnique, len(ns))}
	}
	return doc, ns[0], nil
}

// act does the action op at the element that selector matches: events
// returns what the browser client would send for it, and act sends that.
// An action that would send nothing is an [ErrNoBinding]; one that sent
// some events before it stopped (a click on a submit button of an invalid
// form) sends them and returns why it stopped.
func (p *Page) act(ctx context.Context, op, selector string, events func(doc, el *html.Node) ([]sent, error)) error {
	doc, el, err := p.element(op, selector)
	if err != nil {
		return err
	}
	evs, err := events(doc, el)
	if err == nil && len(evs) == 0 {
		err = fmt.Errorf("%w: none on the element or its ancestors", ErrNoBinding)
	}
	if err != nil {
		err = &ElementError{op, selector, err}
	}
	return errors.Join(err, p.sendAll(ctx, op+" "+strconv.Quote(selector), evs))
}

// sendAll sends the events in order, each after the ack of the one before,
// as the server runs them; a failed ack does not stop the others, as it
// does not in the browser.
func (p *Page) sendAll(ctx context.Context, what string, evs []sent) error {
	var errs []error
	for _, e := range evs {
		if e.name == "" {
			continue // client-side commands alone: nothing to send
		}
		err := p.Event(ctx, e.name, e.data)
		if err == nil {
			continue
		}
		errs = append(errs, fmt.Errorf("livetemplatetest: %s: event %q: %w", what, e.name, err))
		if _, ok := errors.AsType[*Error](err); !ok {
			break // the connection or ctx failed: the next cannot go either
		}
	}
	return errors.Join(errs...)
}

// editEvent is the event of setting a field to vs: typ is change or input.
func editEvent(typ string, vs []string) func(doc, el *html.Node) ([]sent, error) {
	return func(doc, el *html.Node) ([]sent, error) {
		if err := edit(doc, el, vs); err != nil {
			return nil, err
		}
		return dispatch(doc, el, typ, "", nil), nil
	}
}

// keyEvent is the event of pressing (keydown) or releasing (keyup) key.
func keyEvent(typ, key string) func(doc, el *html.Node) ([]sent, error) {
	return func(doc, el *html.Node) ([]sent, error) {
		if key == "" {
			return nil, errors.New("no key")
		}
		if disabled(el) {
			return nil, ErrDisabled
		}
		out := append(dispatch(doc, el, typ, key, nil), windowEvents(doc, typ, key)...)
		if typ == "keydown" && key == "Enter" {
			s, err := implicitSubmission(doc, el)
			out = append(out, s...)
			if err != nil {
				return out, err
			}
		}
		if b := binding(el, typ); len(out) == 0 && b != nil {
			keys, _ := attr(b, lvt+"key")
			return nil, fmt.Errorf("%w: the lvt-key %q of %s leaves %q out", ErrNoBinding, keys, describe(b), key)
		}
		return out, nil
	}
}

// focusEvent is the event of the element getting (focus) or losing (blur)
// the focus.
func focusEvent(typ string) func(doc, el *html.Node) ([]sent, error) {
	return func(doc, el *html.Node) ([]sent, error) {
		if disabled(el) {
			return nil, ErrDisabled
		}
		if !focusable(el) {
			return nil, fmt.Errorf("<%s> cannot have the focus", el.Data)
		}
		return dispatch(doc, el, typ, "", nil), nil
	}
}

// focusable reports whether the browser can focus n.
func focusable(n *html.Node) bool {
	switch {
	case hasAttr(n, "tabindex"):
		return true
	case is(n, "a", "area"):
		return hasAttr(n, "href")
	case is(n, "input"):
		return inputType(n) != "hidden"
	case is(n, "button", "select", "textarea", "iframe", "summary"):
		return true
	}
	v, ok := attr(n, "contenteditable")
	return ok && !strings.EqualFold(v, "false")
}

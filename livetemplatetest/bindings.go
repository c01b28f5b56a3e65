package livetemplatetest

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// What the browser client sends for a DOM event, as client/src/bindings.ts
// does it: the element whose lvt-<type> binds the event, its lvt-key
// filter, and the event's data. And what a user's action dispatches: a
// click on a checkbox toggles it and fires input and change, a click on a
// submit button submits its form, Enter in a field may submit it.

// lvt is the prefix of the client's attributes.
const lvt = "lvt-"

// sent is an event the browser client would send.
type sent struct {
	name string
	data map[string]any
}

// binding returns the element whose lvt-<typ> attribute binds the DOM
// event typ dispatched at target: target or its closest ancestor with the
// attribute; for focus and blur, which do not bubble, target alone.
func binding(target *html.Node, typ string) *html.Node {
	for n := target; n != nil; n = n.Parent {
		if n.Type == html.ElementNode && hasAttr(n, lvt+typ) {
			return n
		}
		if typ == "focus" || typ == "blur" {
			return nil
		}
	}
	return nil
}

// values returns the lvt-value-* attributes of el: lvt-value-id="7" gives
// {"id": "7"}.
func values(el *html.Node, d map[string]any) map[string]any {
	for _, a := range el.Attr {
		if k, ok := strings.CutPrefix(a.Key, lvt+"value-"); ok && a.Namespace == "" {
			d[k] = a.Val
		}
	}
	return d
}

// eventData is the data the client sends for the DOM event typ bound on el:
// a form's fields, else a field's value (but not for a click), then the key
// of a keyboard event, then el's lvt-value-*.
func eventData(doc, el *html.Node, typ, key string, submitter *html.Node) map[string]any {
	d := make(map[string]any)
	switch {
	case is(el, "form"):
		d = formValues(doc, el, submitter)
	case isField(el) && typ != "click":
		d[fieldName(el)] = fieldValue(el)
	}
	if typ == "keydown" || typ == "keyup" {
		d["key"] = key
	}
	return values(el, d)
}

// keyMatches reports whether key passes el's lvt-key filter, a list of
// KeyboardEvent.key values separated by spaces.
func keyMatches(el *html.Node, key string) bool {
	keys, ok := attr(el, lvt+"key")
	if !ok {
		return true
	}
	for _, k := range strings.Split(keys, " ") {
		if k == key {
			return true
		}
	}
	return false
}

// dispatch returns the event the client sends for the DOM event typ at
// target, if any; key is the key of a keyboard event.
func dispatch(doc, target *html.Node, typ, key string, submitter *html.Node) []sent {
	el := binding(target, typ)
	if el == nil || ((typ == "keydown" || typ == "keyup") && !keyMatches(el, key)) {
		return nil
	}
	name, _ := attr(el, lvt+typ)
	return binds(name, eventData(doc, el, typ, key, submitter))
}

// windowEvents returns the events of the lvt-window-<typ> bindings, in
// document order, for the window's event typ (key for keydown and keyup).
func windowEvents(doc *html.Node, typ, key string) []sent {
	var out []sent
	keyboard := typ == "keydown" || typ == "keyup"
	walk(doc, func(n *html.Node) bool {
		name, ok := "", false
		if n.Type == html.ElementNode {
			name, ok = attr(n, lvt+"window-"+typ)
		}
		if ok && (!keyboard || keyMatches(n, key)) {
			d := values(n, make(map[string]any))
			if keyboard {
				d["key"] = key
			}
			out = append(out, binds(name, d)...)
		}
		return true
	})
	return out
}

// activator returns the element whose activation a click at target runs:
// target or its closest ancestor with an activation behaviour.
func activator(target *html.Node) *html.Node {
	for n := target; n != nil; n = n.Parent {
		switch {
		case is(n, "button", "label", "summary"), is(n, "a", "area") && hasAttr(n, "href"):
			return n
		case is(n, "input"):
			if isCheckable(n) || isButton(n) || inputType(n) == "file" || inputType(n) == "color" {
				return n
			}
		}
	}
	return nil
}

// click returns the events of a click at target: its lvt-click, then what
// its activation sends: a checkbox or radio button toggled fires input and
// change, a submit button submits its form, a label clicks its control.
// A click on a link with lvt-click runs no activation: the client prevents
// it.
func click(doc, target *html.Node) ([]sent, error) {
	if disabled(target) {
		return nil, ErrDisabled
	}
	act := activator(target)
	undo, toggled := preActivate(doc, act)
	out := dispatch(doc, target, "click", "", nil)
	if b := binding(target, "click"); is(b, "a") {
		undo()
		return out, nil
	}
	switch {
	case act == nil:
	case isCheckable(act):
		if toggled {
			out = append(out, dispatch(doc, act, "input", "", nil)...)
			out = append(out, dispatch(doc, act, "change", "", nil)...)
		}
	case isSubmitButton(act):
		form := formOwner(doc, act)
		if form != nil && !disabled(act) {
			s, err := submit(doc, form, act)
			if err != nil {
				return out, err
			}
			out = append(out, s...)
		}
	case is(act, "label"):
		if c := labeled(doc, act); c != nil && !contains(c, target) && !disabled(c) {
			s, err := click(doc, c)
			out = append(out, s...)
			return out, err
		}
	}
	return out, nil
}

// preActivate toggles the checkbox act, or checks the radio button act,
// before the click's listeners run, as the browser does; it returns the
// function that undoes it, and whether it changed anything.
func preActivate(doc, act *html.Node) (undo func(), changed bool) {
	if !isCheckable(act) || (inputType(act) == "radio" && checked(act)) {
		return func() {}, false
	}
	if inputType(act) == "checkbox" {
		was := checked(act)
		setChecked(doc, act, !was)
		return func() { setChecked(doc, act, was) }, true
	}
	var before []*html.Node
	for _, r := range radioGroup(doc, act) {
		if checked(r) {
			before = append(before, r)
		}
	}
	setChecked(doc, act, true)
	return func() {
		setChecked(doc, act, false)
		for _, r := range before {
			setAttr(r, "checked", "")
		}
	}, true
}

// setChecked checks or unchecks the checkbox or radio button n; checking a
// radio button unchecks the others of its group.
func setChecked(doc, n *html.Node, on bool) {
	if !on {
		removeAttr(n, "checked")
		return
	}
	if inputType(n) == "radio" {
		for _, r := range radioGroup(doc, n) {
			removeAttr(r, "checked")
		}
	}
	setAttr(n, "checked", "")
}

// radioGroup returns the radio buttons of n's group: the same form owner
// and name (n alone when it has no name).
func radioGroup(doc, n *html.Node) []*html.Node {
	name, _ := attr(n, "name")
	if name == "" {
		return []*html.Node{n}
	}
	form := formOwner(doc, n)
	var out []*html.Node
	walk(doc, func(r *html.Node) bool {
		if is(r, "input") && inputType(r) == "radio" && formOwner(doc, r) == form {
			if rn, _ := attr(r, "name"); rn == name {
				out = append(out, r)
			}
		}
		return true
	})
	return out
}

// labeled returns the control a label is for: its for attribute's
// element, else the first labelable element inside it.
func labeled(doc, label *html.Node) *html.Node {
	labelable := func(n *html.Node) bool {
		return is(n, "button", "meter", "output", "progress", "select", "textarea") || (is(n, "input") && inputType(n) != "hidden")
	}
	if id, ok := attr(label, "for"); ok {
		if c := byID(doc, id); labelable(c) {
			return c
		}
		return nil
	}
	var found *html.Node
	walk(label, func(n *html.Node) bool {
		if found == nil && n != label && labelable(n) {
			found = n
		}
		return found == nil
	})
	return found
}

// contains reports whether n is a or inside it.
func contains(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// submit returns the event of submitting form by submitter (nil for none):
// the form's lvt-submit, once the form passes the browser's validation.
func submit(doc, form, submitter *html.Node) ([]sent, error) {
	if !hasAttr(form, "novalidate") && (submitter == nil || !hasAttr(submitter, "formnovalidate")) {
		if err := validate(doc, form); err != nil {
			return nil, err
		}
	}
	return dispatch(doc, form, "submit", "", submitter), nil
}

// validate checks the form's required fields, as the browser does before
// it submits a form: a required field that is empty stops the submission.
func validate(doc, form *html.Node) error {
	groups := make(map[string]bool) // radio groups with a box checked
	for _, f := range controls(doc, form) {
		if name, _ := attr(f, "name"); name != "" && inputType(f) == "radio" && isCheckable(f) && checked(f) {
			groups[name] = true
		}
	}
	for _, f := range controls(doc, form) {
		if !hasAttr(f, "required") || disabled(f) || inDatalist(f) || isButton(f) || (is(f, "input") && inputType(f) == "hidden") {
			continue
		}
		if hasAttr(f, "readonly") && !is(f, "select") && !isCheckable(f) {
			continue
		}
		name, _ := attr(f, "name")
		if missing(f, groups[name] || checked(f)) {
			return fmt.Errorf("%w: the required field %q is empty", ErrInvalid, fieldName(f))
		}
	}
	return nil
}

// missing reports whether the required field f has no value; groupChecked
// tells whether f's radio group has a checked button.
func missing(f *html.Node, groupChecked bool) bool {
	switch {
	case isCheckable(f) && inputType(f) == "radio":
		return !groupChecked
	case isCheckable(f):
		return !checked(f)
	case is(f, "select"):
		sel := selectedOptions(f)
		if len(sel) == 0 {
			return true
		}
		return len(sel) == 1 && sel[0] == placeholder(f)
	}
	v, _ := fieldValue(f).(string)
	return v == ""
}

// placeholder returns the placeholder option of a required select: its
// first option when its value is "" and it is not in an optgroup.
func placeholder(sel *html.Node) *html.Node {
	if hasAttr(sel, "multiple") || displaySize(sel) > 1 {
		return nil
	}
	os := selectOptionList(sel)
	if len(os) == 0 || os[0].Parent != sel || optionValue(os[0]) != "" {
		return nil
	}
	return os[0]
}

// implicitSubmission returns the events of Enter in the field target: the
// browser clicks its form's first submit button, or, when the form has
// none, submits the form if target is its only text-like field.
func implicitSubmission(doc, target *html.Node) ([]sent, error) {
	if !is(target, "input") || !blocksImplicit(target) {
		return nil, nil
	}
	form := formOwner(doc, target)
	if form == nil {
		return nil, nil
	}
	fields := 0
	for _, c := range controls(doc, form) {
		if isSubmitButton(c) {
			if disabled(c) {
				return nil, nil
			}
			return click(doc, c)
		}
		if is(c, "input") && blocksImplicit(c) {
			fields++
		}
	}
	if fields > 1 {
		return nil, nil
	}
	return submit(doc, form, nil)
}

// blocksImplicit reports whether an input is of a type that counts as a
// text field for implicit submission.
func blocksImplicit(n *html.Node) bool {
	switch inputType(n) {
	case "text", "search", "url", "tel", "email", "password", "date", "month", "week", "time", "datetime-local", "number":
		return true
	}
	return false
}

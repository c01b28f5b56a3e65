package livetemplatetest

import (
	"fmt"
	"maps"
	"net/url"
	"slices"

	"golang.org/x/net/html"
)

// What a user can do to a form's fields: type in a field, check a box,
// select options. Setting a field changes the parsed page, for the one
// action that reads it.

// edit sets the field el to vs, as a user can: it refuses what is not a
// field a user types in or chooses from, a disabled field and a read-only
// one.
func edit(doc, el *html.Node, vs []string) error {
	if !isField(el) || (is(el, "input") && (isButton(el) || inputType(el) == "hidden" || inputType(el) == "file")) {
		return fmt.Errorf("%s is not a field a user can set", describe(el))
	}
	if disabled(el) {
		return ErrDisabled
	}
	if hasAttr(el, "readonly") && !is(el, "select") && !isCheckable(el) {
		return fmt.Errorf("%s is read-only", describe(el))
	}
	return setField(doc, el, vs)
}

// setField sets the field el to vs: one value, or any number for a select
// multiple.
func setField(doc, el *html.Node, vs []string) error {
	if is(el, "select") && hasAttr(el, "multiple") {
		if v, ok := selectOptions(el, vs); !ok {
			return fmt.Errorf("%s has no option of value %q that a user can select", describe(el), v)
		}
		return nil
	}
	if len(vs) != 1 {
		return fmt.Errorf("%s takes one value, not %d", describe(el), len(vs))
	}
	v := vs[0]
	switch {
	case is(el, "select"):
		if _, ok := selectOptions(el, vs); !ok {
			return fmt.Errorf("%s has no option of value %q that a user can select", describe(el), v)
		}
	case is(el, "textarea"):
		setText(el, v)
	case isCheckable(el) && v == inputValue(el):
		setChecked(doc, el, true)
	case isCheckable(el) && v == "" && inputType(el) == "checkbox":
		setChecked(doc, el, false)
	case isCheckable(el):
		return fmt.Errorf("%s has the value %q: give it to check the %s, or \"\" to uncheck a checkbox", describe(el), inputValue(el), inputType(el))
	default:
		setAttr(el, "value", v)
	}
	return nil
}

// fill sets the fields of form to values, by name.
func fill(doc, form *html.Node, values url.Values) error {
	for _, name := range slices.Sorted(maps.Keys(values)) {
		var fs []*html.Node
		for _, c := range controls(doc, form) {
			if n, _ := attr(c, "name"); n == name && !isButton(c) {
				fs = append(fs, c)
			}
		}
		if err := fillName(doc, name, fs, values[name]); err != nil {
			return err
		}
	}
	return nil
}

// fillName sets the fields fs, of one name, to vs: the boxes of those
// values are checked and the others not; fields to type in take the
// values in order.
func fillName(doc *html.Node, name string, fs []*html.Node, vs []string) error {
	if len(fs) == 0 {
		return fmt.Errorf("the form has no field named %q", name)
	}
	boxes := 0
	for _, f := range fs {
		if disabled(f) {
			return fmt.Errorf("field %q: %w", name, ErrDisabled)
		}
		if isCheckable(f) {
			boxes++
		}
	}
	switch {
	case boxes == len(fs):
		return check(doc, name, fs, vs)
	case boxes > 0:
		return fmt.Errorf("the fields named %q are boxes and other fields: set them one by one", name)
	case len(fs) != len(vs) && !(len(fs) == 1 && is(fs[0], "select")):
		return fmt.Errorf("%d values for the %d fields named %q", len(vs), len(fs), name)
	}
	if len(fs) == 1 && is(fs[0], "select") {
		return edit(doc, fs[0], vs)
	}
	for i, f := range fs {
		if is(f, "input") && inputType(f) == "hidden" && inputValue(f) == vs[i] {
			continue // a user cannot change it, but may give it as it is
		}
		if err := edit(doc, f, vs[i:i+1]); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
	}
	return nil
}

// check checks the boxes (checkboxes, or radio buttons of one group) of
// the values vs, and unchecks the others.
func check(doc *html.Node, name string, boxes []*html.Node, vs []string) error {
	radio := inputType(boxes[0]) == "radio"
	if radio && len(vs) != 1 {
		return fmt.Errorf("the radio buttons named %q take one value, not %d", name, len(vs))
	}
	for _, v := range vs {
		if !slices.ContainsFunc(boxes, func(b *html.Node) bool { return inputValue(b) == v }) {
			return fmt.Errorf("no box named %q has the value %q", name, v)
		}
	}
	for _, b := range boxes {
		on := slices.Contains(vs, inputValue(b))
		if radio && !on {
			continue // checking the one unchecks the others
		}
		setChecked(doc, b, on)
	}
	return nil
}

// describe names an element in an error: its tag, and its name or id.
func describe(n *html.Node) string {
	s := "<" + n.Data
	if v, ok := attr(n, "name"); ok {
		s += fmt.Sprintf(" name=%q", v)
	} else if v, ok := attr(n, "id"); ok {
		s += fmt.Sprintf(" id=%q", v)
	}
	return s + ">"
}

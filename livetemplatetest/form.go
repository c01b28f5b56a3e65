package livetemplatetest

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// The form controls of a parsed page as the browser's DOM reads them: a
// field's value, a form's fields (FormData), what is disabled. The browser
// client (client/src/bindings.ts) reads these to make an event's data; the
// names follow the HTML standard's.

// attr returns n's attribute name and whether n has it. The parser lowers
// attribute names, so name is in lower case.
func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func hasAttr(n *html.Node, name string) bool {
	_, ok := attr(n, name)
	return ok
}

func setAttr(n *html.Node, name, val string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: name, Val: val})
}

func removeAttr(n *html.Node, name string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			n.Attr = append(n.Attr[:i], n.Attr[i+1:]...)
			return
		}
	}
}

// is reports whether n is an HTML element of one of the tags.
func is(n *html.Node, tags ...string) bool {
	if n == nil || n.Type != html.ElementNode || n.Namespace != "" {
		return false
	}
	for _, t := range tags {
		if n.Data == t {
			return true
		}
	}
	return false
}

// isField reports whether n is a field as the client sees one: an input, a
// select or a textarea.
func isField(n *html.Node) bool { return is(n, "input", "select", "textarea") }

// inputTypes are the types of input the browser knows; any other type is
// text.
var inputTypes = map[string]bool{
	"hidden": true, "text": true, "search": true, "tel": true, "url": true, "email": true,
	"password": true, "date": true, "month": true, "week": true, "time": true,
	"datetime-local": true, "number": true, "range": true, "color": true, "checkbox": true,
	"radio": true, "file": true, "submit": true, "image": true, "reset": true, "button": true,
}

// inputType returns the type of the input n as the browser reads it.
func inputType(n *html.Node) string {
	t, _ := attr(n, "type")
	t = strings.ToLower(t)
	if !inputTypes[t] {
		return "text"
	}
	return t
}

// isCheckable reports whether n is a checkbox or a radio button.
func isCheckable(n *html.Node) bool {
	if !is(n, "input") {
		return false
	}
	t := inputType(n)
	return t == "checkbox" || t == "radio"
}

// isButton reports whether n is a button of any type, an element whose
// value only the submitter of a form sends.
func isButton(n *html.Node) bool {
	if is(n, "button") {
		return true
	}
	if !is(n, "input") {
		return false
	}
	switch inputType(n) {
	case "submit", "image", "reset", "button":
		return true
	}
	return false
}

// isSubmitButton reports whether n submits its form when activated.
func isSubmitButton(n *html.Node) bool {
	if is(n, "button") {
		t, _ := attr(n, "type")
		t = strings.ToLower(t)
		return t != "button" && t != "reset"
	}
	return is(n, "input") && (inputType(n) == "submit" || inputType(n) == "image")
}

// disabled reports whether the form control n is disabled: by its own
// attribute, or by a disabled fieldset it is in (but not in that
// fieldset's first legend).
func disabled(n *html.Node) bool {
	if !is(n, "button", "input", "select", "textarea") {
		return false
	}
	if hasAttr(n, "disabled") {
		return true
	}
	for c, p := n, n.Parent; p != nil; c, p = p, p.Parent {
		if is(p, "fieldset") && hasAttr(p, "disabled") && c != firstLegend(p) {
			return true
		}
	}
	return false
}

func firstLegend(fieldset *html.Node) *html.Node {
	for c := fieldset.FirstChild; c != nil; c = c.NextSibling {
		if is(c, "legend") {
			return c
		}
	}
	return nil
}

// checked reports whether the checkbox or radio button n is checked: it
// has the checked attribute, and for a radio button, no later button of
// its group has it (the parser checks each in turn, unchecking the others).
func checked(n *html.Node) bool {
	if !hasAttr(n, "checked") {
		return false
	}
	if inputType(n) != "radio" {
		return true
	}
	doc := n
	for doc.Parent != nil {
		doc = doc.Parent
	}
	group := radioGroup(doc, n)
	for _, r := range group[slices.Index(group, n)+1:] {
		if hasAttr(r, "checked") {
			return false
		}
	}
	return true
}

// fieldName is the key of a field's value in event data: its name, or
// "value" when it has none.
func fieldName(n *html.Node) string {
	if name, _ := attr(n, "name"); name != "" {
		return name
	}
	return "value"
}

// fieldValue is a field's value as the client sends it: a checkbox or
// radio button's value when checked, else ""; the selected options'
// values of a select multiple; else the field's value.
func fieldValue(n *html.Node) any {
	switch {
	case isCheckable(n):
		if checked(n) {
			return inputValue(n)
		}
		return ""
	case is(n, "select") && hasAttr(n, "multiple"):
		vs := []string{}
		for _, o := range selectedOptions(n) {
			vs = append(vs, optionValue(o))
		}
		return vs
	case is(n, "select"):
		if os := selectedOptions(n); len(os) > 0 {
			return optionValue(os[0])
		}
		return ""
	case is(n, "textarea"):
		return textareaValue(n)
	}
	return inputValue(n)
}

// inputValue is the value of the input n, as its value property reads.
func inputValue(n *html.Node) string {
	v, ok := attr(n, "value")
	switch t := inputType(n); t {
	case "checkbox", "radio":
		if !ok {
			return "on"
		}
		return v
	case "hidden", "submit", "image", "reset", "button":
		return v
	case "file":
		return "" // no file is chosen
	default:
		return sanitize(n, t, v)
	}
}

// lineBreaks normalizes a textarea's line breaks: a CR of its text (from a
// character reference) reads as LF.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// textareaValue is a textarea's value: its text, line breaks normalized.
func textareaValue(n *html.Node) string { return lineBreaks.Replace(text(n)) }

// text is n's textContent: the text of all its descendants.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// setText replaces n's children with the text s.
func setText(n *html.Node, s string) {
	for n.FirstChild != nil {
		n.RemoveChild(n.FirstChild)
	}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: s})
}

// selectOptionList returns the select's options, in tree order.
func selectOptionList(sel *html.Node) []*html.Node {
	var out []*html.Node
	walk(sel, func(n *html.Node) bool {
		if is(n, "option") {
			out = append(out, n)
		}
		return !is(n, "datalist", "select") || n == sel
	})
	return out
}

// selectedOptions returns the options of sel that are selected: those with
// the selected attribute in a select multiple; else the last of those, or,
// without one, the first option that is not disabled (unless the select
// shows several rows, size > 1).
func selectedOptions(sel *html.Node) []*html.Node {
	os := selectOptionList(sel)
	var out []*html.Node
	for _, o := range os {
		if hasAttr(o, "selected") {
			out = append(out, o)
		}
	}
	if hasAttr(sel, "multiple") {
		return out
	}
	if len(out) > 0 {
		return out[len(out)-1:]
	}
	if displaySize(sel) > 1 {
		return nil
	}
	for _, o := range os {
		if !optionDisabled(o) {
			return []*html.Node{o}
		}
	}
	return nil
}

// displaySize is the number of rows a single select shows.
func displaySize(sel *html.Node) int {
	s, _ := attr(sel, "size")
	n := 0
	for _, r := range strings.TrimLeft(s, asciiSpace) {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
		if n > 1 {
			return n
		}
	}
	return max(n, 1)
}

// optionValue is an option's value attribute, else its text with its
// white space collapsed.
func optionValue(o *html.Node) string {
	if v, ok := attr(o, "value"); ok {
		return v
	}
	return strings.Join(strings.FieldsFunc(text(o), isASCIISpace), " ")
}

func optionDisabled(o *html.Node) bool {
	return hasAttr(o, "disabled") || (is(o.Parent, "optgroup") && hasAttr(o.Parent, "disabled"))
}

// selectOptions selects the options of sel whose values are vs and no
// other; it reports whether every value matched an option that a user can
// select.
func selectOptions(sel *html.Node, vs []string) (missing string, ok bool) {
	pick := make(map[*html.Node]bool)
	for _, v := range vs {
		found := false
		for _, o := range selectOptionList(sel) {
			if optionValue(o) == v && !optionDisabled(o) {
				pick[o], found = true, true
				break
			}
		}
		if !found {
			return v, false
		}
	}
	for _, o := range selectOptionList(sel) {
		if pick[o] {
			setAttr(o, "selected", "")
		} else {
			removeAttr(o, "selected")
		}
	}
	return "", true
}

// walk calls f for n and its descendants in tree order; f returns whether
// to look inside the node.
func walk(n *html.Node, f func(*html.Node) bool) {
	if !f(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// byID returns the element of doc whose id is id.
func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) bool {
		if found == nil && n.Type == html.ElementNode {
			if v, ok := attr(n, "id"); ok && v == id {
				found = n
			}
		}
		return found == nil
	})
	return found
}

// formOwner returns the form of the control n: the form its form attribute
// names, else the form it is in.
func formOwner(doc, n *html.Node) *html.Node {
	if id, ok := attr(n, "form"); ok {
		if f := byID(doc, id); is(f, "form") {
			return f
		}
		return nil
	}
	for p := n.Parent; p != nil; p = p.Parent {
		if is(p, "form") {
			return p
		}
	}
	return nil
}

// controls returns the buttons, inputs, selects and textareas of form, in
// tree order: the elements whose values the form sends.
func controls(doc, form *html.Node) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) bool {
		if is(n, "button", "input", "select", "textarea") && formOwner(doc, n) == form {
			out = append(out, n)
		}
		return true
	})
	return out
}

// inDatalist reports whether n is in a datalist, which keeps it out of the
// browser's validation (but not out of its form's data, in Chromium).
func inDatalist(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if is(p, "datalist") {
			return true
		}
	}
	return false
}

// formValues returns the form's fields as FormData(form, submitter) has
// them, each value a string and a repeated name a list, as the client
// sends them.
func formValues(doc, form, submitter *html.Node) map[string]any {
	d := make(map[string]any)
	for _, f := range controls(doc, form) {
		if disabled(f) || (isButton(f) && f != submitter) || (isCheckable(f) && !checked(f)) {
			continue
		}
		name, _ := attr(f, "name")
		if name == "" {
			continue
		}
		switch {
		case is(f, "select"):
			for _, o := range selectedOptions(f) {
				if !optionDisabled(o) {
					add(d, name, optionValue(o))
				}
			}
		case is(f, "textarea"):
			add(d, name, textareaValue(f))
		case is(f, "button"):
			v, _ := attr(f, "value")
			add(d, name, v)
		case inputType(f) == "hidden" && strings.EqualFold(name, "_charset_"):
			add(d, name, "UTF-8")
		default:
			add(d, name, inputValue(f))
		}
	}
	return d
}

// add adds the value v of key k to d, making a list of a repeated key.
func add(d map[string]any, k, v string) {
	switch had := d[k].(type) {
	case nil:
		d[k] = v
	case string:
		d[k] = []string{had, v}
	case []string:
		d[k] = append(had, v)
	}
}

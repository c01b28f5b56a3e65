package engine

import (
	"regexp"
	"strings"
)

// keyAttr matches the literal text of a row from its start up to a data-key
// value: optional white space, a start tag, other attributes (no '>'), and
// data-key= with an optional opening quote.
var keyAttr = regexp.MustCompile(`^\s*<[A-Za-z][^<>]*\sdata-key=(["']?)$`)

// rowKeySlot returns which slot of a range body holds the row's key, or -1
// when the rows are not keyed.
//
// The rule (docs/protocol.md, "Keyed rows"): the body starts, after optional
// white space, with an element whose start tag has a data-key attribute whose
// whole value is one action, as in <li data-key="{{.ID}}">. Other attributes,
// with or without actions, may come before it in the same tag. The row's key
// is that action's output.
func rowKeySlot(body *list) int32 {
	var text strings.Builder
	slot := int32(0)
	for i, o := range body.ops {
		switch o.kind {
		case opText:
			text.WriteString(o.text)
		case opValue:
			m := keyAttr.FindStringSubmatch(text.String())
			if m != nil && closesValue(body.ops[i+1:], m[1]) {
				return slot
			}
			slot++
			text.WriteString("\x00") // stands for the value; matches no pattern part that needs text
		default:
			return -1
		}
		if strings.Contains(text.String(), ">") {
			return -1
		}
	}
	return -1
}

// closesValue reports whether the literal text after a key action ends the
// attribute value right there, so that the action is the whole value.
func closesValue(rest []op, quote string) bool {
	if len(rest) == 0 || rest[0].kind != opText || rest[0].text == "" {
		return false
	}
	next := rest[0].text[0]
	if quote != "" {
		return string(next) == quote
	}
	return strings.IndexByte(" \t\n\f\r/>", next) >= 0
}

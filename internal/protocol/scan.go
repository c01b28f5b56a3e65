package protocol

// The JSON scanning of the decoder: numbers, strings and their escapes, and
// values skipped whole (data).

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// number returns the end of the JSON number at d.i.
func (d *decoder) number() (int, error) {
	b, j := d.b, d.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(b, j)
	default:
		return 0, d.syntax(j, "in numeric literal")
	}
	if j < len(b) && b[j] == '.' {
		if j++; j >= len(b) || b[j] < '0' || b[j] > '9' {
			return 0, d.syntax(j, "after decimal point in numeric literal")
		}
		j = digits(b, j)
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		if j++; j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return 0, d.syntax(j, "in exponent of numeric literal")
		}
		j = digits(b, j)
	}
	return j, nil
}

func digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}

// raw reads any JSON value, for data, which json.Valid checks. It returns
// nil for null, else a copy, so that the message does not hold on to the
// frame. Unlike the protocol's own strings, those of data may hold lone
// surrogate escapes: data is the application's, and a JavaScript string can
// hold a lone surrogate, which JSON.stringify writes as such an escape.
func (d *decoder) raw() (json.RawMessage, error) {
	start := d.i
	end, err := d.skip()
	if err != nil {
		return nil, err
	}
	d.i = end
	v := d.b[start:end]
	if !json.Valid(v) {
		var buf bytes.Buffer
		return nil, badMessage(`"data" is not JSON: %v`, json.Compact(&buf, v))
	}
	if string(v) == "null" {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// skip finds the end of the JSON value at d.i: a string, a number or
// literal (a run of the bytes they are made of), or an array or object (up
// to its closing bracket).
func (d *decoder) skip() (int, error) {
	b, j := d.b, d.i
	if j >= len(b) {
		return 0, d.syntax(j, "")
	}
	switch b[j] {
	case '"':
		return d.quoteEnd(j)
	case '{', '[':
	default:
		for j < len(b) && scalarByte(b[j]) {
			j++
		}
		if j == d.i {
			return 0, d.syntax(j, "looking for beginning of value")
		}
		return j, nil
	}
	depth := 0
	for ; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, err := d.quoteEnd(j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, d.syntax(j, "")
}

// quoteEnd returns the end of the string that starts at b[j], without
// checking what it holds.
func (d *decoder) quoteEnd(j int) (int, error) {
	for j++; j < len(d.b); j++ {
		switch d.b[j] {
		case '"':
			return j + 1, nil
		case '\\':
			j++
		}
	}
	return 0, d.syntax(len(d.b), "")
}

func scalarByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// string reads the string at d.i and returns its bytes: a slice of the
// frame when it has no escapes, else a new slice.
func (d *decoder) string() ([]byte, error) {
	start := d.i + 1
	j := start
	for j < len(d.b) && d.b[j] != '"' && d.b[j] != '\\' && d.b[j] >= 0x20 {
		j++
	}
	if j < len(d.b) && d.b[j] == '"' {
		d.i = j + 1
		return d.b[start:j], nil
	}
	end, err := d.stringEnd(d.i)
	if err != nil {
		return nil, err
	}
	d.i = end
	return unescape(d.b[start : end-1]), nil
}

// stringEnd returns the end of the string that starts at b[j], checking it:
// no control characters, and escapes that JSON knows and that stand for
// Unicode.
func (d *decoder) stringEnd(j int) (int, error) {
	b := d.b
	for j++; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, nil
		case c < 0x20:
			return 0, d.syntax(j, "in string literal")
		case c == '\\':
			end, err := d.escape(j + 1)
			if err != nil {
				return 0, err
			}
			j = end - 1
		}
	}
	return 0, d.syntax(j, "")
}

// escape checks the escape whose letter is at b[j] and returns its end. A
// \u escape of a surrogate must be the first half of a pair whose second
// half follows: JSON can spell a lone surrogate, but it is not Unicode, and
// a decoder would turn it into U+FFFD.
func (d *decoder) escape(j int) (int, error) {
	b := d.b
	if j >= len(b) {
		return 0, d.syntax(j, "")
	}
	switch b[j] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return j + 1, nil
	case 'u':
	default:
		return 0, d.syntax(j, "in string escape code")
	}
	r, ok := hex4(b[j+1:])
	if !ok {
		return 0, d.syntax(j, "in \\u hexadecimal character escape")
	}
	j += 5
	if !utf16.IsSurrogate(r) {
		return j, nil
	}
	if r < 0xdc00 && j+6 <= len(b) && b[j] == '\\' && b[j+1] == 'u' {
		if lo, ok := hex4(b[j+2:]); ok && lo >= 0xdc00 && lo < 0xe000 {
			return j + 6, nil
		}
	}
	return 0, badMessage(`a string holds \u%04x, half of a surrogate pair without its other half: not Unicode (byte %d)`, r, j-6)
}

// hex4 reads the 4 hexadecimal digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape returns the bytes of a string's content s, whose escapes
// stringEnd checked.
func unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := hex4(s[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				lo, _ := hex4(s[i+3:])
				r = utf16.DecodeRune(r, lo)
				i += 6
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, c)
		}
	}
	return out
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) expect(c byte, context string) error {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return nil
	}
	return d.syntax(d.i, context)
}

// last checks that nothing but white space follows the object.
func (d *decoder) last() error {
	if d.space(); d.i < len(d.b) {
		return d.syntax(d.i, "after top-level value")
	}
	return nil
}

// syntax says what is wrong at b[j]: the frame ends there, or holds a
// character that JSON does not allow there.
func (d *decoder) syntax(j int, context string) *Error {
	if j >= len(d.b) {
		return badMessage("not JSON: unexpected end of JSON input")
	}
	r, _ := utf8.DecodeRune(d.b[j:])
	return badMessage("not JSON: invalid character %q %s (byte %d)", r, context, j)
}

// wrongType says that key k's value, at d.i, is not of the JSON type want.
func (d *decoder) wrongType(k key, want string) *Error {
	if d.i >= len(d.b) {
		return d.syntax(d.i, "")
	}
	kind := kindOf(d.b[d.i])
	if kind == "" {
		return d.syntax(d.i, "looking for beginning of value")
	}
	return badMessage("%q is a JSON %s, not a %s", k, kind, want)
}

// kindOf returns the JSON type of the value that starts with c, or "".
func kindOf(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "bool"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "number"
	}
	return ""
}

// invalidUTF8 returns the index of the first byte of b that is not part of
// valid UTF-8.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

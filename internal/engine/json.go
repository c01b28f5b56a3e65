package engine

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the full encoding of t, for a client that holds
// nothing: {"s":{id:[statics...],...},"f":[root fragment]}. The format is
// documented in docs/protocol.md.
func (t *Tree) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"s":`...)
	dst = t.appendStatics(dst, nil)
	dst = append(dst, `,"f":`...)
	dst, _ = t.appendVal(dst, 0)
	return append(dst, '}')
}

// appendStatics appends the statics t uses and old does not (all when old is
// nil) as a JSON object keyed by statics id.
func (t *Tree) appendStatics(dst []byte, old *Tree) []byte {
	dst = append(dst, '{')
	first := true
	for sid := range int32(len(t.prog.statics)) {
		if !t.uses(sid) || (old != nil && old.uses(sid)) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, int64(sid), 10)
		dst = append(dst, '"', ':')
		dst = append(dst, t.prog.statics[sid].json...)
	}
	return append(dst, '}')
}

// appendVal appends the full encoding of the value at i: a string for text,
// [sid, slots...] for a fragment, {"r":[rows...]} for a comprehension. It
// returns the position after the value.
func (t *Tree) appendVal(dst []byte, i int) ([]byte, int) {
	kind, arg, j := t.head(i)
	switch kind {
	case kindText:
		return appendString(dst, t.enc[j:j+arg]), j + arg
	case kindFrag:
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, int64(arg), 10)
		for range t.slots(arg) {
			dst = append(dst, ',')
			dst, j = t.appendVal(dst, j)
		}
		return append(dst, ']'), j
	default:
		dst = append(dst, `{"r":[`...)
		n := u32(t.enc, j)
		j += 4
		for r := range n {
			if r > 0 {
				dst = append(dst, ',')
			}
			dst, _ = t.appendVal(dst, j+4)
			j += 4 + u32(t.enc, j)
		}
		return append(dst, ']', '}'), j
	}
}

// appendStrings appends parts as a JSON array of strings.
func appendStrings(dst []byte, parts []string) []byte {
	dst = append(dst, '[')
	for i, s := range parts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, []byte(s))
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, one
// per invalid byte, as encoding/json does: a JSON text carries only Unicode.
func appendString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

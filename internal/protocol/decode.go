package protocol

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message is a message from a client, decoded and checked by [Decode]. Only
// the fields of its Type are set. Its encoding by encoding/json is a frame
// that Decode decodes to an equal message (Data equal as a JSON value).
type Message struct {
	Type  string          `json:"type"`
	Page  string          `json:"page,omitempty"`
	Token string          `json:"token,omitempty"`
	V     uint64          `json:"v,omitempty"`
	ID    string          `json:"id,omitempty"`
	Seq   uint64          `json:"seq,omitempty"`
	Name  string          `json:"name,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Ref   string          `json:"ref,omitempty"`
	// Files are the files of an upload message.
	Files []File `json:"files,omitempty"`
}

// Decode decodes one client frame. It fails with an [Error] of code
// [CodeBadMessage] that says what is wrong when the frame is not valid
// UTF-8, not one JSON object, holds a string that is not Unicode (an escaped
// half of a surrogate pair), has a key that is not one of its type's (keys
// are exact and lower case: "TYPE" is not "type") or has one twice, has an
// unknown type, lacks a field its type needs, or has a field of the wrong
// type or past its limit.
//
// Only data, which Decode passes on as it is, may hold a lone surrogate
// escape. Decode is strict because a lenient decoder changes what it cannot
// read: encoding/json turns invalid UTF-8 into U+FFFD, so that two different
// event ids would become one, and matches keys without regard to case.
func Decode(frame []byte) (Message, error) {
	if !utf8.Valid(frame) {
		return Message{}, badMessage("the frame is not valid UTF-8 (byte %d)", invalidUTF8(frame))
	}
	d := decoder{b: frame}
	m, err := d.message()
	if err != nil {
		return Message{}, err
	}
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// A key is a bit for each key of a client message.
type key uint16

const (
	keyType key = 1 << iota
	keyPage
	keyToken
	keyV
	keyID
	keyName
	keyData
	keyRef
	keySeq
	keyFiles
)

// keyNames are the keys' names, by bit.
var keyNames = [...]string{"type", "page", "token", "v", "id", "name", "data", "ref", "seq", "files"}

func keyOf(name []byte) key {
	for i, n := range keyNames {
		if string(name) == n {
			return 1 << i
		}
	}
	return 0
}

func (k key) String() string {
	for i, n := range keyNames {
		if k == 1<<i {
			return n
		}
	}
	return "?"
}

// keysOf returns the keys a message of type typ may have, or 0 for a type
// that is not a client's.
func keysOf(typ string) key {
	switch typ {
	case TypeJoin:
		return keyType | keyPage | keyToken | keyV | keyRef
	case TypeLeave:
		return keyType | keyPage
	case TypeEvent:
		return keyType | keyPage | keyID | keyName | keyData | keySeq
	case TypePing:
		return keyType | keyPage | keyRef
	case TypeUpload:
		return keyType | keyPage | keyRef | keyName | keyFiles
	}
	return 0
}

// decoder reads one frame, which Decode has checked is UTF-8: JSON's own
// rules remain, and that every escape in the protocol's strings and keys
// stands for Unicode.
type decoder struct {
	b []byte
	i int // the next byte to read
}

// message reads the frame's object: every key once, each value of its
// key's JSON type.
func (d *decoder) message() (Message, error) {
	var m Message
	d.space()
	if d.i < len(d.b) && d.b[d.i] != '{' {
		if kind := kindOf(d.b[d.i]); kind != "" {
			return m, badMessage("not a JSON object but a JSON %s", kind)
		}
	}
	if err := d.expect('{', "looking for beginning of value"); err != nil {
		return m, err
	}
	var seen key
	if d.space(); d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, d.last()
	}
	for {
		k, err := d.key()
		if err != nil {
			return m, err
		}
		if seen&k != 0 {
			return m, badMessage("the key %q appears twice", k)
		}
		seen |= k
		if err := d.value(&m, k); err != nil {
			return m, err
		}
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ',' {
			d.i++
			continue
		}
		if err := d.expect('}', "after object key:value pair"); err != nil {
			return m, err
		}
		break
	}
	if err := d.last(); err != nil {
		return m, err
	}
	if extra := seen &^ keysOf(m.Type); keysOf(m.Type) != 0 && extra != 0 {
		return m, badMessage("%q is not a key of %s messages", extra&-extra, m.Type) // the first of them
	}
	return m, nil
}

// key reads a key and the colon after it.
func (d *decoder) key() (key, error) {
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return 0, d.syntax(d.i, "looking for beginning of object key string")
	}
	name, err := d.string()
	if err != nil {
		return 0, err
	}
	k := keyOf(name)
	if k == 0 {
		return 0, unknownKey(string(name))
	}
	d.space()
	return k, d.expect(':', "after object key")
}

func unknownKey(name string) *Error {
	for _, n := range keyNames {
		if strings.EqualFold(name, n) {
			return badMessage("unknown key %q: keys are lower case (%q)", clip(name), n)
		}
	}
	return badMessage("unknown key %q", clip(name))
}

// value reads the value of key k into m.
func (d *decoder) value(m *Message, k key) error {
	d.space()
	var err error
	switch k {
	case keyV:
		m.V, err = d.uint(k)
		return err
	case keySeq:
		m.Seq, err = d.uint(k)
		return err
	case keyData:
		m.Data, err = d.raw()
		return err
	case keyFiles:
		m.Files, err = d.files()
		return err
	}
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return d.wrongType(k, "string")
	}
	b, err := d.string()
	if err != nil {
		return err
	}
	if k == keyType {
		m.Type = typeOf(b)
		return nil
	}
	s := string(b)
	switch k {
	case keyPage:
		m.Page = s
	case keyToken:
		m.Token = s
	case keyID:
		m.ID = s
	case keyName:
		m.Name = s
	case keyRef:
		m.Ref = s
	}
	return nil
}

// typeOf returns a message's type, without a copy for the types of the
// protocol.
func typeOf(b []byte) string {
	for _, t := range [...]string{TypeEvent, TypePing, TypeJoin, TypeLeave, TypeUpload} {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}

const wholeNumber = "whole number from 0 to 18446744073709551615"

// uint reads a whole number of 64 bits.
func (d *decoder) uint(k key) (uint64, error) {
	start := d.i
	if d.i >= len(d.b) || (d.b[d.i] != '-' && (d.b[d.i] < '0' || d.b[d.i] > '9')) {
		return 0, d.wrongType(k, wholeNumber)
	}
	end, err := d.number()
	if err != nil {
		return 0, err
	}
	d.i = end
	var n uint64
	for _, c := range d.b[start:end] {
		if c < '0' || c > '9' || n > (1<<64-1-uint64(c-'0'))/10 {
			return 0, badMessage("%q is a JSON %s, not a %s", k, clip("number "+string(d.b[start:end])), wholeNumber)
		}
		n = n*10 + uint64(c-'0')
	}
	return n, nil
}

func (m *Message) check() error {
	if err := checkString("page", m.Page, MaxPageName, false); err != nil {
		return err
	}
	if err := checkString("ref", m.Ref, MaxRef, false); err != nil {
		return err
	}
	switch m.Type {
	case TypeJoin:
		return checkString("token", m.Token, MaxToken, true)
	case TypeEvent:
		if err := checkString("id", m.ID, MaxEventID, true); err != nil {
			return err
		}
		if err := checkSeq(m.ID, m.Seq); err != nil {
			return err
		}
		return checkString("name", m.Name, MaxEventName, true)
	case TypeUpload:
		return checkUpload(m)
	case TypeLeave, TypePing:
		return nil
	case "":
		return badMessage(`no "type"`)
	default:
		return badMessage("unknown type %q", clip(m.Type))
	}
}

// checkSeq checks that the id of an event with a sequence number seq (not
// 0) is its tab's id, a dash and seq in decimal, so that the server can tell
// the tab without trusting a second field to agree with the id.
func checkSeq(id string, seq uint64) error {
	if seq == 0 || Tab(id, seq) != "" {
		return nil
	}
	return badMessage("the id %q of an event with \"seq\" %d is not a tab's id, a dash and %d", clip(id), seq, seq)
}

// Tab returns the tab of the event of that id and sequence number: the id
// without its last dash and seq in decimal, or "" when the id does not end
// so or seq is 0.
func Tab(id string, seq uint64) string {
	if seq == 0 {
		return ""
	}
	tab, ok := strings.CutSuffix(id, "-"+strconv.FormatUint(seq, 10))
	if !ok {
		return ""
	}
	return tab
}

func checkString(key, s string, limit int, required bool) error {
	switch {
	case required && s == "":
		return badMessage("%q is missing or empty", key)
	case len(s) > limit:
		return badMessage("%q is %d bytes, more than %d", key, len(s), limit)
	case !utf8.ValidString(s):
		return badMessage("%q is not valid UTF-8", key)
	}
	return nil
}

func badMessage(format string, args ...any) *Error {
	return &Error{Code: CodeBadMessage, Message: fmt.Sprintf(format, args...)}
}

// clip shortens a client's string for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

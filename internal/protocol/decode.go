package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"
)

// Message is a message from a client, decoded and checked by [Decode]. Only
// the fields of its Type are set.
type Message struct {
	Type  string          `json:"type"`
	Page  string          `json:"page"`
	Token string          `json:"token"`
	V     uint64          `json:"v"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Data  json.RawMessage `json:"data"`
}

// Decode decodes one client frame. It fails with an [Error] of code
// [CodeBadMessage] that says what is wrong when the frame is not one JSON
// object, has an unknown type, lacks a field its type needs, or has a field
// of the wrong type or past its limit. Keys it does not know are ignored, so
// that a newer client can talk to an older server.
func Decode(frame []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(frame, &m); err != nil {
		return Message{}, jsonError(err)
	}
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// jsonError says why encoding/json rejected a frame. Its own message for a
// value of the wrong type would quote the whole value when it is a number,
// which a client can make as long as the frame, and name Go types.
func jsonError(err error) *Error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return badMessage("not a JSON object of this protocol: %v", err)
	}
	if te.Field == "" {
		return badMessage("not a JSON object but a JSON %s", clip(te.Value))
	}
	want := "string"
	if te.Type.Kind() == reflect.Uint64 {
		want = "whole number from 0 to 18446744073709551615"
	}
	return badMessage("%q is a JSON %s, not a %s", te.Field, clip(te.Value), want)
}

func (m *Message) check() error {
	if err := checkString("page", m.Page, MaxPageName, false); err != nil {
		return err
	}
	switch m.Type {
	case TypeJoin:
		m.ID, m.Name, m.Data = "", "", nil
		return checkString("token", m.Token, MaxToken, true)
	case TypeEvent:
		m.Token, m.V = "", 0
		if err := checkString("id", m.ID, MaxEventID, true); err != nil {
			return err
		}
		if err := checkString("name", m.Name, MaxEventName, true); err != nil {
			return err
		}
		if bytes.Equal(m.Data, []byte("null")) {
			m.Data = nil
		}
		return nil
	case TypeLeave, TypePing:
		*m = Message{Type: m.Type, Page: m.Page}
		return nil
	case "":
		return badMessage(`no "type"`)
	default:
		return badMessage("unknown type %q", clip(m.Type))
	}
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

package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
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
		return Message{}, badMessage("not a JSON object of this protocol: %v", err)
	}
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
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

package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxErrorMessage bounds the message of a decoding error. The server sends it
// back to the client, so no frame may make it long: a client's strings
// appear in it only clipped.
const maxErrorMessage = 200

// decodeSeeds are real frames of every type and malformed ones; the fuzzer
// mutates them into the rest.
var decodeSeeds = []string{
	`{"type":"join","token":"` + strings.Repeat("A", 52) + `","v":3}`,
	`{"type":"join","page":"p1","token":"t","v":0}`,
	`{"type":"leave","page":"p1"}`,
	`{"type":"leave"}`,
	`{"type":"event","page":"p1","id":"t1-7","name":"save","data":{"title":"milk","n":[1,2.5e3,true,null,"\u00e9"]}}`,
	`{"type":"event","id":"1","name":"x","data":null}`,
	`{"type":"event","id":"1","name":"x","data": { "a" : "<b>&" } }`,
	`{"type":"event","id":"1","name":"x","data":"s"}`,
	`{"type":"ping"}`,
	` {"type" : "ping" , "page" : "\u0070" } `,
	`{"type":"ping","extra":{"a":[1,{"b":null}]},"v":"ignored"}`,
	`{"TYPE":"ping","Page":"p"}`,
	// Malformed.
	``,
	`{`,
	`{"type":"join","token":"t"`,
	`{"type":"event","id":"1","name":"x","data":{"a":[1,2}}`,
	`null`,
	`[]`,
	`[{"type":"ping"}]`,
	`3`,
	`"ping"`,
	`{}`,
	`{"type":null}`,
	`{"type":7}`,
	`{"type":"pong"}`,
	`{"type":"ping"}{}`,
	`{"type":"ping"} x`,
	`{"type":"join","token":"t","v":-1}`,
	`{"type":"join","token":"t","v":"3"}`,
	`{"type":"join","token":"t","v":1.5}`,
	`{"type":"join","token":"t","v":18446744073709551616}`,
	`{"type":"join","token":"t","v":` + strings.Repeat("9", 1000) + `}`,
	`{"type":"join","token":5}`,
	`{"type":"join","token":["t"]}`,
	`{"type":"join","token":""}`,
	`{"type":"join"}`,
	`{"type":"event","id":1,"name":"x"}`,
	`{"type":"event","id":"1"}`,
	`{"type":"event","id":"1","name":{"x":1}}`,
	`{"type":"ping","type":"join","token":"t"}`,
	`{"type":"event","id":"a","name":"b","data":{"x":1},"data":null}`,
	"{\"type\":\"join\",\"token\":\"\xff\xfe\",\"page\":\"a\xc3\"}",
	`{"type":"join","token":"\ud800\udc00\ud800"}`,
	`{"type":"event","id":"1","name":"x","data":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	`{"type":"join","token":` + strings.Repeat("[", 20000) + `}`,
	`{"type":"join","token":"` + strings.Repeat("t", MaxToken+1) + `"}`,
	`{"type":"leave","page":"` + strings.Repeat("p", MaxPageName+1) + `"}`,
	`{"type":"event","id":"` + strings.Repeat("i", MaxEventID+1) + `","name":"x"}`,
	`{"type":"event","id":"1","name":"` + strings.Repeat("é", MaxEventName) + `"}`,
	`{"type":"` + strings.Repeat("é", 100) + `"}`,
}

// FuzzDecode checks that any frame either fails with a bad_message error or
// decodes to a message that holds what its type needs, within the limits,
// and that survives a round trip through encoding/json.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := Decode(frame)
		if err != nil {
			checkBadMessage(t, m, err)
			return
		}
		checkMessage(t, m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal %+v: %v", m, err)
		}
		again, err := Decode(b)
		if err != nil {
			t.Fatalf("%s decoded to %+v, whose encoding %s fails: %v", frame, m, b, err)
		}
		checkSame(t, again, m)
	})
}

// checkBadMessage checks a decoding error: the connection answers it with an
// error message, for which it needs an *Error.
func checkBadMessage(t *testing.T, m Message, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != CodeBadMessage || e.Message == "" {
		t.Fatalf("error %+v: want code %q and a message", e, CodeBadMessage)
	}
	if len(e.Message) > maxErrorMessage || !utf8.ValidString(e.Message) {
		t.Fatalf("message %q: want valid UTF-8 of at most %d bytes, has %d", e.Message, maxErrorMessage, len(e.Message))
	}
	if !reflect.DeepEqual(m, Message{}) {
		t.Fatalf("failed decoding returned %+v", m)
	}
}

// checkMessage checks a decoded message against the rules of its type.
func checkMessage(t *testing.T, m Message) {
	t.Helper()
	for _, f := range []struct {
		key, s string
		limit  int
	}{{"page", m.Page, MaxPageName}, {"token", m.Token, MaxToken}, {"id", m.ID, MaxEventID}, {"name", m.Name, MaxEventName}} {
		if len(f.s) > f.limit || !utf8.ValidString(f.s) {
			t.Fatalf("%+v: %q is %q, over %d bytes or not UTF-8", m, f.key, f.s, f.limit)
		}
	}
	switch m.Type {
	case TypeJoin:
		if m.Token == "" || m.ID != "" || m.Name != "" || m.Data != nil {
			t.Fatalf("join %+v: want a token and no event fields", m)
		}
	case TypeEvent:
		if m.ID == "" || m.Name == "" || m.Token != "" || m.V != 0 {
			t.Fatalf("event %+v: want an id and a name and no join fields", m)
		}
		if m.Data != nil && (!json.Valid(m.Data) || string(m.Data) == "null") {
			t.Fatalf("event %+v: data %q is not JSON or is null", m, m.Data)
		}
	case TypeLeave, TypePing:
		if !reflect.DeepEqual(m, Message{Type: m.Type, Page: m.Page}) {
			t.Fatalf("%s %+v: want only a page", m.Type, m)
		}
	default:
		t.Fatalf("%+v: type %q is not a client's", m, m.Type)
	}
}

// checkSame checks that got is want; data is compared as JSON values, since
// encoding/json re-encodes it compact and HTML-escaped.
func checkSame(t *testing.T, got, want Message) {
	t.Helper()
	gotData, wantData := got.Data, want.Data
	got.Data, want.Data = nil, nil
	if !reflect.DeepEqual(got, want) || (gotData == nil) != (wantData == nil) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if gotData != nil && !reflect.DeepEqual(jsonValue(t, gotData), jsonValue(t, wantData)) {
		t.Fatalf("data: got %s, want %s", gotData, wantData)
	}
}

// jsonValue decodes b keeping numbers as written: a float64 would lose
// digits, or fail on 1e400.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not JSON: %q", b)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// TestDecodeKeeps checks which fields Decode keeps of each type.
func TestDecodeKeeps(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	all := `"page":"p","token":"tok","v":9,"id":"e1","name":"save","data":{"a":[1, 2]}`
	for _, c := range []struct {
		frame string
		want  Message
	}{
		{`{"type":"join",` + all + `}`, Message{Type: "join", Page: "p", Token: "tok", V: 9}},
		{`{"type":"event",` + all + `}`, Message{Type: "event", Page: "p", ID: "e1", Name: "save", Data: json.RawMessage(`{"a":[1, 2]}`)}},
		{`{"type":"leave",` + all + `}`, Message{Type: "leave", Page: "p"}},
		{`{"type":"ping",` + all + `}`, Message{Type: "ping", Page: "p"}},
		// No data and null data are both nil: a handler need not tell them apart.
		{`{"type":"event","id":"e","name":"n"}`, Message{Type: "event", ID: "e", Name: "n"}},
		{`{"type":"event","id":"e","name":"n","data":null}`, Message{Type: "event", ID: "e", Name: "n"}},
		{`{"type":"event","id":"e","name":"n","data":"null"}`, Message{Type: "event", ID: "e", Name: "n", Data: json.RawMessage(`"null"`)}},
		// Unknown keys are ignored, so that a newer client can talk to an older server.
		{`{"type":"ping","later":{"x":[1]},"flag":true}`, Message{Type: "ping"}},
		// The page is optional: without one, the message is about the default page.
		{`{"type":"join","token":"t"}`, Message{Type: "join", Token: "t"}},
		// Limits are inclusive and count bytes.
		{`{"type":"join","page":"` + long("p", MaxPageName) + `","token":"` + long("t", MaxToken) + `","v":18446744073709551615}`,
			Message{Type: "join", Page: long("p", MaxPageName), Token: long("t", MaxToken), V: 1<<64 - 1}},
		{`{"type":"event","id":"` + long("i", MaxEventID) + `","name":"` + long("é", MaxEventName/2) + `"}`,
			Message{Type: "event", ID: long("i", MaxEventID), Name: long("é", MaxEventName/2)}},
		// encoding/json turns invalid UTF-8 and lone surrogates into U+FFFD.
		{"{\"type\":\"join\",\"token\":\"a\xffb\\ud800\"}", Message{Type: "join", Token: "a\uFFFDb\uFFFD"}},
	} {
		m, err := Decode([]byte(c.frame))
		if err != nil || !reflect.DeepEqual(m, c.want) {
			t.Errorf("Decode(%.80s) = %+v, %v; want %+v", c.frame, m, err, c.want)
		}
	}
}

// TestDecodeRejects checks that each rejected frame's error names what is
// wrong: the client author reads it.
func TestDecodeRejects(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	for _, c := range []struct{ frame, says string }{
		{`{"page":"p"}`, `no "type"`},
		{`{"type":""}`, `no "type"`},
		{`null`, `no "type"`},
		{`{"type":"pong"}`, `unknown type "pong"`},
		{`{"type":"Join","token":"t"}`, `unknown type "Join"`},
		{`{"type":"` + long("x", 40) + `"}`, `unknown type "` + long("x", 32) + `..."`},
		{`{"type":"join"}`, `"token" is missing or empty`},
		{`{"type":"join","token":""}`, `"token" is missing or empty`},
		{`{"type":"join","token":"` + long("t", MaxToken+1) + `"}`, `"token" is 129 bytes, more than 128`},
		{`{"type":"event","name":"n"}`, `"id" is missing or empty`},
		{`{"type":"event","id":"` + long("i", MaxEventID+1) + `","name":"n"}`, `"id" is 65 bytes, more than 64`},
		{`{"type":"event","id":"e"}`, `"name" is missing or empty`},
		{`{"type":"event","id":"e","name":"` + long("é", MaxEventName/2+1) + `"}`, `"name" is 130 bytes, more than 128`},
		// The page is checked whatever the type.
		{`{"type":"ping","page":"` + long("p", MaxPageName+1) + `"}`, `"page" is 65 bytes, more than 64`},
		{`{"type":"join","page":"` + long("p", MaxPageName+1) + `","token":"t"}`, `"page" is 65 bytes, more than 64`},
		// A value of the wrong type is named by its key, and a long one is clipped.
		{`{"type":7}`, `"type" is a JSON number, not a string`},
		{`{"type":"ping","page":true}`, `"page" is a JSON bool, not a string`},
		{`{"type":"join","token":["t"]}`, `"token" is a JSON array, not a string`},
		{`{"type":"event","id":"e","name":{"a":1}}`, `"name" is a JSON object, not a string`},
		{`{"type":"join","token":"t","v":-1}`, `"v" is a JSON number -1, not a whole number`},
		{`{"type":"join","token":"t","v":"3"}`, `"v" is a JSON string, not a whole number`},
		{`{"type":"join","token":"t","v":1e3}`, `"v" is a JSON number 1e3, not a whole number`},
		{`{"type":"join","token":"t","v":` + long("9", 1000) + `}`, `"v" is a JSON number ` + long("9", 25) + `..., not`},
		{`[{"type":"ping"}]`, `not a JSON object but a JSON array`},
		{`"ping"`, `not a JSON object but a JSON string`},
		{`{"type":"ping"`, `unexpected end of JSON input`},
		{`{"type":"ping"} {}`, `invalid character '{' after top-level value`},
	} {
		_, err := Decode([]byte(c.frame))
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeBadMessage || !strings.Contains(e.Message, c.says) {
			t.Errorf("Decode(%.80s): error %v; want %s saying %s", c.frame, err, CodeBadMessage, c.says)
		}
	}
}

// TestCheckUTF8 checks the UTF-8 rule of check directly: through Decode,
// encoding/json has already replaced invalid bytes.
func TestCheckUTF8(t *testing.T) {
	for _, m := range []Message{
		{Type: TypePing, Page: "p\xff"},
		{Type: TypeJoin, Token: "\xc3"},
		{Type: TypeEvent, ID: "\xed\xa0\x80", Name: "n"},
		{Type: TypeEvent, ID: "e", Name: "n\x80"},
	} {
		var e *Error
		if err := m.check(); !errors.As(err, &e) || !strings.Contains(e.Message, "is not valid UTF-8") {
			t.Errorf("check(%+v) = %v; want a UTF-8 error", m, err)
		}
	}
}

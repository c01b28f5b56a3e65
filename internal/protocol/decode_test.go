package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
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
	`{"type":"ping","ref":"p1"}`,
	`{"type":"join","token":"t","v":2,"ref":"j\u00e9"}`,
	`{"\u0074ype":"ping","p\u0061ge":"\ud83d\ude00"}`,
	`{"type":"ping","type":"ping"}`,
	`{"type":"event","id":"1","name":"x","ref":"r"}`,
	`{"type":"join","token":"t","data":{}}`,
	"{\"type\":\"event\",\"id\":\"\xff\",\"name\":\"add\"}",
	"{\"type\":\"event\",\"id\":\"\xfe\",\"name\":\"add\"}",
	"{\"type\":\"event\",\"id\":\"1\",\"name\":\"x\",\"data\":[\"\xc3\"]}",
	`{"type":"event","id":"1","name":"x","data":{"k":"\udc00"}}`,
	`{"type":"event","id":"\ud800\u0041","name":"x"}`,
	`{"type":"event","id":"a\/b\"\\\b\f\n\r\t","name":"x","data":[-0.5e+3,true,false,null,{}]}`,
	`{"type":"upload","page":"p1","ref":"u1","name":"photos","files":[{"name":"cat.png","size":1234,"type":"image/png"}]}`,
	`{"type":"upload","ref":"u1","name":"docs","files":[ {"type":"","size":0,"name":"a\u00e9.txt"} , {"name":"b","size":18446744073709551615,"type":"x/y"}]}`,
	// Malformed.
	`{"type":"upload","ref":"u1","name":"photos","files":[]}`,
	`{"type":"upload","name":"photos","files":[{"name":"a","size":1,"type":""}]}`,
	`{"type":"upload","ref":"u1","files":[{"name":"a","size":1,"type":""}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"a","size":1}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"a","size":1,"type":"","name":"b"}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"a","size":-1,"type":""}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"","size":1,"type":""}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"a","size":1,"type":"","extra":1}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"a","size":1,"type":7}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":{"name":"a","size":1,"type":""}}`,
	`{"type":"upload","ref":"u1","name":"photos","files":["a"]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"a","size":1,"type":""},]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"\ud800","size":1,"type":""}]}`,
	`{"type":"upload","ref":"u1","name":"photos","id":"x","files":[{"name":"a","size":1,"type":""}]}`,
	`{"type":"ping","files":[{"name":"a","size":1,"type":""}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[` + strings.Repeat(`{"name":"a","size":1,"type":""},`, MaxUploadFiles) + `{"name":"a","size":1,"type":""}]}`,
	`{"type":"upload","ref":"u1","name":"photos","files":[{"name":"` + strings.Repeat("n", MaxFileName+1) + `","size":1,"type":""}]}`,
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
// decodes to a message that holds what its type needs, within the limits;
// that Decode accepts a frame only if it is UTF-8 JSON whose keys are each a
// key of the message's type, spelled exactly and once, and whose strings
// (but data's) are Unicode; and that the message's encoding by encoding/json is a frame equal
// to the one decoded (leaving out keys whose value is empty) that decodes to
// the same message.
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
		checkStrict(t, frame, m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal %+v: %v", m, err)
		}
		if got, want := object(t, b), withoutEmpty(object(t, frame)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s decoded to %+v, whose encoding %s differs", frame, m, b)
		}
		again, err := Decode(b)
		if err != nil {
			t.Fatalf("%s decoded to %+v, whose encoding %s fails: %v", frame, m, b, err)
		}
		checkSame(t, again, m)
	})
}

// clientKeys are the keys of each type of client message.
var clientKeys = map[string][]string{
	TypeJoin:   {"type", "page", "token", "v", "ref"},
	TypeLeave:  {"type", "page"},
	TypeEvent:  {"type", "page", "id", "name", "data"},
	TypePing:   {"type", "page", "ref"},
	TypeUpload: {"type", "page", "ref", "name", "files"},
}

// checkStrict checks an accepted frame with encoding/json: it is UTF-8 and
// JSON, each of its keys is one of its type's and appears once, and no
// string of it but data's holds U+FFFD unless the frame wrote one:
// encoding/json would have made it of bytes or escapes that are not
// Unicode.
func checkStrict(t *testing.T, frame []byte, m Message) {
	t.Helper()
	if !utf8.Valid(frame) || !json.Valid(frame) {
		t.Fatalf("accepted %q, which is not UTF-8 JSON", frame)
	}
	d := json.NewDecoder(bytes.NewReader(frame))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("accepted %q, which is not an object", frame)
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		k, _ := tok.(string)
		if err != nil || !slices.Contains(clientKeys[m.Type], k) || seen[k] {
			t.Fatalf("accepted %q, whose key %q is not a %s's or repeats (%v)", frame, k, m.Type, err)
		}
		seen[k] = true
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%q: %v", frame, err)
		}
	}
	wrote := bytes.Contains(bytes.ToLower(frame), []byte(`\ufffd`)) || bytes.ContainsRune(frame, utf8.RuneError)
	var v map[string]any
	if err := json.Unmarshal(frame, &v); err != nil {
		t.Fatalf("accepted %q: %v", frame, err)
	}
	delete(v, "data") // the application's: it may hold lone surrogates
	if !wrote && holdsReplacement(v) {
		t.Fatalf("accepted %q, a string of which is not Unicode", frame)
	}
}

// holdsReplacement reports whether a decoded JSON value holds U+FFFD in a
// key or string.
func holdsReplacement(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, utf8.RuneError)
	case []any:
		return slices.ContainsFunc(v, holdsReplacement)
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, utf8.RuneError) || holdsReplacement(e) {
				return true
			}
		}
	}
	return false
}

// withoutEmpty leaves out the keys of a frame whose value means none: the
// default page, version 0, no data, no ref.
func withoutEmpty(m map[string]any) map[string]any {
	for k, none := range map[string]any{"page": "", "v": json.Number("0"), "data": nil, "ref": ""} {
		if v, ok := m[k]; ok && v == none {
			delete(m, k)
		}
	}
	return m
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
	}{{"page", m.Page, MaxPageName}, {"token", m.Token, MaxToken}, {"id", m.ID, MaxEventID}, {"name", m.Name, MaxEventName}, {"ref", m.Ref, MaxRef}} {
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
		if m.ID == "" || m.Name == "" || m.Token != "" || m.V != 0 || m.Ref != "" {
			t.Fatalf("event %+v: want an id and a name and no join fields", m)
		}
		if m.Data != nil && (!json.Valid(m.Data) || string(m.Data) == "null") {
			t.Fatalf("event %+v: data %q is not JSON or is null", m, m.Data)
		}
	case TypeLeave:
		if !reflect.DeepEqual(m, Message{Type: m.Type, Page: m.Page}) {
			t.Fatalf("leave %+v: want only a page", m)
		}
	case TypePing:
		if !reflect.DeepEqual(m, Message{Type: m.Type, Page: m.Page, Ref: m.Ref}) {
			t.Fatalf("ping %+v: want only a page and a ref", m)
		}
	case TypeUpload:
		checkUploadMessage(t, m)
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

// TestDecodeKeeps checks what Decode keeps of each type.
func TestDecodeKeeps(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	for _, c := range []struct {
		frame string
		want  Message
	}{
		{`{"type":"join","page":"p","token":"tok","v":9,"ref":"j1"}`, Message{Type: "join", Page: "p", Token: "tok", V: 9, Ref: "j1"}},
		{`{"type":"event","page":"p","id":"e1","name":"save","data":{"a":[1, 2]}}`, Message{Type: "event", Page: "p", ID: "e1", Name: "save", Data: json.RawMessage(`{"a":[1, 2]}`)}},
		{`{"type":"leave","page":"p"}`, Message{Type: "leave", Page: "p"}},
		{`{"type":"ping","page":"p","ref":"r"}`, Message{Type: "ping", Page: "p", Ref: "r"}},
		// No data and null data are both nil: a handler need not tell them apart.
		{`{"type":"event","id":"e","name":"n"}`, Message{Type: "event", ID: "e", Name: "n"}},
		{`{"type":"event","id":"e","name":"n","data":null}`, Message{Type: "event", ID: "e", Name: "n"}},
		{`{"type":"event","id":"e","name":"n","data":"null"}`, Message{Type: "event", ID: "e", Name: "n", Data: json.RawMessage(`"null"`)}},
		{`{"type":"event","id":"e","name":"n","data" : 1.5e-3 }`, Message{Type: "event", ID: "e", Name: "n", Data: json.RawMessage(`1.5e-3`)}},
		// The page and the ref are optional.
		{`{"type":"join","token":"t"}`, Message{Type: "join", Token: "t"}},
		{`{"type":"ping","page":"","ref":""}`, Message{Type: "ping"}},
		// Keys come in any order, and strings may escape what they like.
		{` {"v":3, "token":"t","type":"join"} `, Message{Type: "join", Token: "t", V: 3}},
		{`{"\u0074ype":"ping","page":"\u00e9\ud83d\ude00\/\"\\\t"}`, Message{Type: "ping", Page: "é😀/\"\\\t"}},
		// Limits are inclusive and count bytes.
		{`{"type":"join","page":"` + long("p", MaxPageName) + `","token":"` + long("t", MaxToken) + `","v":18446744073709551615,"ref":"` + long("r", MaxRef) + `"}`,
			Message{Type: "join", Page: long("p", MaxPageName), Token: long("t", MaxToken), V: 1<<64 - 1, Ref: long("r", MaxRef)}},
		{`{"type":"event","id":"` + long("i", MaxEventID) + `","name":"` + long("é", MaxEventName/2) + `"}`,
			Message{Type: "event", ID: long("i", MaxEventID), Name: long("é", MaxEventName/2)}},
		// Data is the application's: it may hold lone surrogates, as
		// JavaScript strings may.
		{`{"type":"event","id":"e","name":"n","data":{"\udfff":"\ud800"}}`, Message{Type: "event", ID: "e", Name: "n", Data: json.RawMessage(`{"\udfff":"\ud800"}`)}},
		// An event of a tab's sequence: its id is the tab, a dash and seq.
		{`{"type":"event","id":"t1-7","seq":7,"name":"n"}`, Message{Type: "event", ID: "t1-7", Seq: 7, Name: "n"}},
		{`{"type":"event","id":"a-b-12","seq":12,"name":"n"}`, Message{Type: "event", ID: "a-b-12", Seq: 12, Name: "n"}},
		{`{"type":"event","id":"t1-7","seq":0,"name":"n"}`, Message{Type: "event", ID: "t1-7", Name: "n"}},
		// U+FFFD written by the client is a character like any other.
		{`{"type":"event","id":"\ufffd","name":"�"}`, Message{Type: "event", ID: "\uFFFD", Name: "\uFFFD"}},
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
		{`null`, `not a JSON object but a JSON null`},
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
		{`{"type":"ping",}`, `invalid character '}' looking for beginning of object key string`},
		{`{"type":"event","id":"e","name":"n","data":[1,}`, `"data" is not JSON`},
		{`{"type":"event","id":"e","name":"n","data":tru}`, `"data" is not JSON`},
		{`{"type":"event","id":"e","name":"n","data":"a\x"}`, `invalid character 'x' in string escape code`},
		{"{\"type\":\"ping\",\"page\":\"a\tb\"}", `invalid character '\t' in string literal`},
		// Strict frames: every byte UTF-8, every string Unicode (encoding/json
		// would make U+FFFD of both, and two event ids one), every key exact,
		// once, and one of its type's.
		{"{\"type\":\"event\",\"id\":\"\xff\",\"name\":\"add\"}", `the frame is not valid UTF-8 (byte 22)`},
		{"{\"type\":\"event\",\"id\":\"\xfe\",\"name\":\"add\"}", `the frame is not valid UTF-8 (byte 22)`},
		{"{\"type\":\"join\",\"token\":\"a\xc3\"}", `not valid UTF-8`},
		{"{\"type\":\"join\",\"token\":\"\xed\xa0\x80\"}", `not valid UTF-8`},
		{"{\"typ\xe9\":\"ping\"}", `not valid UTF-8`},
		{"{\"type\":\"event\",\"id\":\"e\",\"name\":\"n\",\"data\":\"\x80\"}", `not valid UTF-8`},
		{`{"type":"event","id":"\ud800","name":"add"}`, `a string holds \ud800, half of a surrogate pair`},
		{`{"type":"event","id":"\udc00\ud800","name":"add"}`, `\udc00, half of a surrogate pair`},
		{`{"type":"event","id":"\ud800\u0041","name":"add"}`, `\ud800, half of a surrogate pair`},
		{`{"TYPE":"ping"}`, `unknown key "TYPE": keys are lower case ("type")`},
		{`{"type":"ping","Page":"p"}`, `unknown key "Page": keys are lower case ("page")`},
		{`{"type":"ping","later":{"x":[1]}}`, `unknown key "later"`},
		{`{"type":"ping","` + long("k", 40) + `":1}`, `unknown key "` + long("k", 32) + `..."`},
		{`{"type":"ping","type":"ping"}`, `the key "type" appears twice`},
		{`{"type":"event","id":"a","name":"b","data":{"x":1},"data":null}`, `the key "data" appears twice`},
		{`{"type":"ping","\u0074ype":"join"}`, `the key "type" appears twice`},
		{`{"type":"join","token":"t","id":"e1"}`, `"id" is not a key of join messages`},
		{`{"type":"leave","v":3}`, `"v" is not a key of leave messages`},
		{`{"type":"event","id":"e","name":"n","ref":"r"}`, `"ref" is not a key of event messages`},
		{`{"type":"ping","data":null,"token":"t"}`, `"token" is not a key of ping messages`},
		{`{"type":"ping","ref":"` + long("r", MaxRef+1) + `"}`, `"ref" is 65 bytes, more than 64`},
		{`{"type":"ping","ref":7}`, `"ref" is a JSON number, not a string`},
		{`{"type":null}`, `"type" is a JSON null, not a string`},
		{`{"type":"event","id":"t1-8","seq":7,"name":"n"}`, `the id "t1-8" of an event with "seq" 7 is not a tab's id, a dash and 7`},
		{`{"type":"event","id":"t1-07","seq":7,"name":"n"}`, `is not a tab's id, a dash and 7`},
		{`{"type":"event","id":"-7","seq":7,"name":"n"}`, `is not a tab's id, a dash and 7`},
		{`{"type":"event","id":"7","seq":7,"name":"n"}`, `is not a tab's id, a dash and 7`},
		{`{"type":"event","id":"t-1","seq":-1,"name":"n"}`, `"seq" is a JSON number -1, not a whole number`},
		{`{"type":"join","token":"t","seq":1}`, `"seq" is not a key of join messages`},
	} {
		_, err := Decode([]byte(c.frame))
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeBadMessage || !strings.Contains(e.Message, c.says) {
			t.Errorf("Decode(%.80s): error %v; want %s saying %s", c.frame, err, CodeBadMessage, c.says)
		}
	}
}

// TestCheckUTF8 checks the UTF-8 rule of check directly, on messages that
// Decode would have refused before: a frame that is not UTF-8, or a string
// with a lone surrogate escape.
func TestCheckUTF8(t *testing.T) {
	for _, m := range []Message{
		{Type: TypePing, Page: "p\xff"},
		{Type: TypeJoin, Token: "\xc3"},
		{Type: TypeEvent, ID: "\xed\xa0\x80", Name: "n"},
		{Type: TypeEvent, ID: "e", Name: "n\x80"},
		{Type: TypePing, Ref: "r\xfe"},
	} {
		var e *Error
		if err := m.check(); !errors.As(err, &e) || !strings.Contains(e.Message, "is not valid UTF-8") {
			t.Errorf("check(%+v) = %v; want a UTF-8 error", m, err)
		}
	}
}

// BenchmarkDecode decodes the frames a connection reads most: events and
// pings.
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ name, frame string }{
		{"event", `{"type":"event","page":"t3","id":"k2vxq7mh3nde-1042","name":"increment","data":{"n":1}}`},
		{"event_bare", `{"type":"event","id":"7-1042","name":"increment"}`},
		{"ping", `{"type":"ping"}`},
		{"join", `{"type":"join","page":"t3","token":"` + strings.Repeat("a", 52) + `","v":17}`},
	} {
		frame := []byte(c.frame)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if _, err := Decode(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// checkUploadMessage checks a decoded upload message: a ref, a name, and
// 1 to MaxUploadFiles files, each with a name, within the limits.
func checkUploadMessage(t *testing.T, m Message) {
	t.Helper()
	if m.Ref == "" || m.Name == "" || len(m.Name) > MaxUploadName || m.ID != "" || m.Token != "" || m.Data != nil {
		t.Fatalf("upload %+v: want a ref and a name, and no event or join fields", m)
	}
	if len(m.Files) == 0 || len(m.Files) > MaxUploadFiles {
		t.Fatalf("upload %+v: %d files", m, len(m.Files))
	}
	for _, f := range m.Files {
		if f.Name == "" || len(f.Name) > MaxFileName || len(f.Type) > MaxFileType || !utf8.ValidString(f.Name) || !utf8.ValidString(f.Type) {
			t.Fatalf("upload %+v: file %+v past the limits", m, f)
		}
	}
}

package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// stringSeeds hold what an encoder must escape, or may not: quotes,
// backslashes, control characters, HTML's specials, the separators that end
// a line in JavaScript, invalid UTF-8 and the encoded surrogates that are not
// UTF-8 either.
var stringSeeds = []string{
	"",
	"plain",
	`"quoted" \back\slash\ /`,
	"\x00\x01\b\t\n\f\r\x1f\x7f",
	"</script><!-- & &amp; -->",
	"line\u2028para\u2029end",
	"é€𝄞\uFFFD\uFEFF",
	"\xff\xfe a\xc3 b\xe2\x82",
	"\xed\xa0\x80\xed\xbf\xbf",
	"\u2027\u202a\u0800",
}

// FuzzAppendString checks appendString against encoding/json: its output
// decodes to the string that encoding/json's own encoding decodes to (s
// itself when s is UTF-8; else each invalid byte becomes U+FFFD), and, like
// encoding/json's, it is safe to inline in a script element.
func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		checkSafe(t, b)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, b, err)
		}
		if want := viaJSON(t, s); got != want {
			t.Fatalf("appendString(%q) = %s decodes to %q; want %q", s, b, got, want)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("appendString(%q) = %s decodes to %q", s, b, got)
		}
	})
}

// FuzzMessages checks every encoder's message against the same fields
// encoded by encoding/json, with WithRef too, and AppendPage on each
// message.
func FuzzMessages(f *testing.F) {
	for i, s := range stringSeeds {
		f.Add(stringSeeds[(i+1)%len(stringSeeds)], s, "code_"+s, uint64(i)<<60)
	}
	f.Fuzz(func(t *testing.T, page, s, code string, v uint64) {
		// An answer with a ref has it as one more key; one without, none.
		ref := func(m map[string]any) map[string]any {
			if s != "" {
				m["ref"] = s
			}
			return m
		}
		id := func(m map[string]any) map[string]any {
			if s != "" {
				m["id"] = s
			}
			return m
		}
		for _, c := range []struct {
			msg  []byte
			want map[string]any
		}{
			{PageToken(s), map[string]any{"type": "page_token", "token": s}},
			{Joined(v), map[string]any{"type": "joined", "v": v}},
			{Ack(s), map[string]any{"type": "ack", "id": s, "ok": true}},
			{AckReply(s, nil), map[string]any{"type": "ack", "id": s, "ok": true}},
			{AckReply(s, jsonOf(t, s)), map[string]any{"type": "ack", "id": s, "ok": true, "reply": viaJSON(t, s)}},
			{Push(s, nil), map[string]any{"type": "push", "name": s}},
			{Push(code, jsonOf(t, map[string]any{"v": s})), map[string]any{"type": "push", "name": code, "data": map[string]any{"v": viaJSON(t, s)}}},
			{AckError(s, &Error{Code: code, Message: s + code}),
				map[string]any{"type": "ack", "id": s, "ok": false, "code": code, "message": s + code}},
			{ErrorMessage(&Error{Code: code, Message: s}), map[string]any{"type": "error", "code": code, "message": s}},
			{Pong(), map[string]any{"type": "pong"}},
			{WithRef(Joined(v), s), ref(map[string]any{"type": "joined", "v": v})},
			{WithRef(Pong(), s), ref(map[string]any{"type": "pong"})},
			{WithRef(ErrorMessage(&Error{Code: code, Message: s}), s), ref(map[string]any{"type": "error", "code": code, "message": s})},
			{WithRef([]byte(`{}`), s), ref(map[string]any{})},
			{ForEvent(Push(code, nil), s), id(map[string]any{"type": "push", "name": code})},
		} {
			got, want := object(t, c.msg), viaJSON(t, c.want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s decodes to %#v; want %#v", c.msg, got, want)
			}
			checkAppendPage(t, page, c.msg)
		}
		// Messages the server builds elsewhere, and the least object.
		checkAppendPage(t, page, []byte(`{"type":"render","v":3,"tree":{"s":{"0":["\u003cli\u003e"]},"f":[1,{"r":[]}]}}`))
		checkAppendPage(t, page, []byte(`{}`))
	})
}

// checkAppendPage checks that AppendPage(page, msg) is msg with page's key
// first, or msg itself for the default page, after what the buffer held.
func checkAppendPage(t *testing.T, page string, msg []byte) {
	t.Helper()
	const prefix = "held"
	b := AppendPage([]byte(prefix), page, msg)
	out, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok {
		t.Fatalf("AppendPage(%q, %q, %s) = %s: lost what the buffer held", prefix, page, msg, b)
	}
	if page == "" {
		if !bytes.Equal(out, msg) {
			t.Fatalf("AppendPage(%q, %s) = %s; want the message", page, msg, out)
		}
		return
	}
	checkSafe(t, out)
	want := object(t, msg)
	want["page"] = viaJSON(t, page)
	if got := object(t, out); !reflect.DeepEqual(got, want) || !bytes.HasPrefix(out, []byte(`{"page":`)) {
		t.Fatalf("AppendPage(%q, %s) = %s; want %v with the page first", page, msg, out, want)
	}
}

// checkSafe checks that b can go in a text frame, which must be UTF-8, and
// inline in a script element: nothing can end the element or the line.
func checkSafe(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		t.Fatalf("%q is not UTF-8", b)
	}
	if i := bytes.IndexAny(b, "<>&\u2028\u2029"); i >= 0 {
		r, _ := utf8.DecodeRune(b[i:])
		t.Fatalf("%s holds %q unescaped", b, r)
	}
}

// object decodes a message, which must be one JSON object. Numbers stay as
// written, so that a version of 64 bits keeps its digits.
func object(t *testing.T, b []byte) map[string]any {
	t.Helper()
	m, ok := jsonValue(t, b).(map[string]any)
	if !ok {
		t.Fatalf("%s is not a JSON object", b)
	}
	return m
}

// viaJSON is v encoded and decoded by encoding/json: the oracle.
func viaJSON[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	var out T
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}

// jsonOf is v as encoding/json encodes it: what callers pass AckReply and
// Push.
func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return b
}

package protocol

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeUpload(t *testing.T) {
	m, err := Decode([]byte(`{"type":"upload","page":"p1","ref":"u1","name":"photos","files":[{"name":"cat.png","size":1234,"type":"image/png"},{"type":"","size":0,"name":"b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Type: TypeUpload, Page: "p1", Ref: "u1", Name: "photos", Files: []File{{"cat.png", 1234, "image/png"}, {"b", 0, ""}}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v, want %+v", m, want)
	}
	for _, s := range decodeSeeds {
		if !strings.Contains(s, `"upload"`) && !strings.Contains(s, `"files"`) {
			continue
		}
		_, err := Decode([]byte(s))
		valid := strings.HasPrefix(s, `{"type":"upload","page":"p1"`) || strings.HasPrefix(s, `{"type":"upload","ref":"u1","name":"docs"`)
		if valid != (err == nil) {
			t.Errorf("Decode(%.120s) = %v; want it to succeed: %v", s, err, valid)
		}
	}
}

func TestEncodeUpload(t *testing.T) {
	got := string(Upload("/live/uploads/", []Grant{{ID: "up_1", Token: "t1"}, {ID: "up_2", Token: "t<2>"}}))
	want := `{"type":"upload","endpoint":"/live/uploads/","files":[{"id":"up_1","token":"t1"},{"id":"up_2","token":"t\u003c2\u003e"}]}`
	if got != want {
		t.Fatalf("Upload = %s, want %s", got, want)
	}
	got = string(Upload("/u/", []Grant{
		{ID: "up_1", Token: "t1", Put: "https://s3.test/b/k?X-Amz-Signature=1&a=<", Header: map[string]string{"x-b": "2", "Content-Type": "image/png"}},
		{ID: "up_2", Token: "t2", Put: "https://s3.test/b/k2"},
	}))
	want = `{"type":"upload","endpoint":"/u/","files":[` +
		`{"id":"up_1","token":"t1","put":"https://s3.test/b/k?X-Amz-Signature=1\u0026a=\u003c","headers":{"Content-Type":"image/png","x-b":"2"}},` +
		`{"id":"up_2","token":"t2","put":"https://s3.test/b/k2"}]}`
	if got != want {
		t.Fatalf("Upload with put = %s, want %s", got, want)
	}
	if got := string(JoinedUploads(3, nil)); got != `{"type":"joined","v":3}` {
		t.Fatalf("JoinedUploads without uploads = %s", got)
	}
	if got := string(JoinedUploads(3, []byte(`{"a":{}}`))); got != `{"type":"joined","v":3,"uploads":{"a":{}}}` {
		t.Fatalf("JoinedUploads = %s", got)
	}
}

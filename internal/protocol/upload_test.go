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
	got := string(Upload("/live/uploads/", []Grant{{"up_1", "t1"}, {"up_2", "t<2>"}}))
	want := `{"type":"upload","endpoint":"/live/uploads/","files":[{"id":"up_1","token":"t1"},{"id":"up_2","token":"t\u003c2\u003e"}]}`
	if got != want {
		t.Fatalf("Upload = %s, want %s", got, want)
	}
	if got := string(JoinedUploads(3, nil)); got != `{"type":"joined","v":3}` {
		t.Fatalf("JoinedUploads without uploads = %s", got)
	}
	if got := string(JoinedUploads(3, []byte(`{"a":{}}`))); got != `{"type":"joined","v":3,"uploads":{"a":{}}}` {
		t.Fatalf("JoinedUploads = %s", got)
	}
}

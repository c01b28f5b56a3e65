package token

import (
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	oldKey, newKey := RandomKey(), RandomKey()
	k := keyring(t, newKey, oldKey)
	text := k.Seal("upload", []byte(`{"i":"up_1"}`))
	if msg, err := k.Open("upload", text); err != nil || string(msg) != `{"i":"up_1"}` {
		t.Fatalf("Open = %q, %v", msg, err)
	}
	if msg, err := keyring(t, oldKey, newKey).Open("upload", text); err != nil || string(msg) != `{"i":"up_1"}` {
		t.Fatalf("Open with the signing key second = %q, %v", msg, err)
	}
	m, s, _ := strings.Cut(text, ".")
	forged := keyring(t, RandomKey()).Seal("upload", []byte(`{"i":"up_1"}`))
	_, forgedMAC, _ := strings.Cut(forged, ".")
	for name, bad := range map[string]string{
		"other domain": "",
		"other key":    forged,
		"swapped mac":  m + "." + forgedMAC,
		"no dot":       m + s,
		"bad base64":   m + ".!!",
		"changed msg":  "e30." + s,
		"empty":        "",
	} {
		domain := "upload"
		if name == "other domain" {
			bad, domain = text, "download"
		}
		if _, err := k.Open(domain, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Open = %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseID(t *testing.T) {
	k := keyring(t, RandomKey())
	id, _ := k.New()
	if got, err := ParseID(id.String()); err != nil || got != id {
		t.Fatalf("ParseID(%q) = %v, %v", id, got, err)
	}
	for _, bad := range []string{"", "abc", id.String() + "a", strings.ToUpper(id.String())} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
}

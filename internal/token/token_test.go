package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func keyring(t *testing.T, keys ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := keyring(t, RandomKey())
	seen := make(map[string]bool)
	for range 100 {
		id, tok := k.New()
		if len(tok) != Len || strings.Trim(tok, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("token %q: want %d characters of [a-z2-7]", tok, Len)
		}
		if seen[tok] {
			t.Fatalf("token %q issued twice", tok)
		}
		seen[tok] = true
		got, err := k.Verify(tok)
		if err != nil || got != id {
			t.Fatalf("Verify(%q) = %v, %v; want %v", tok, got, err, id)
		}
		if again, _ := k.Verify(tok); again != id {
			t.Fatalf("second Verify = %v: tokens must stay valid", again)
		}
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := RandomKey(), RandomKey()
	before := keyring(t, oldKey)
	id, oldTok := before.New()

	after := keyring(t, newKey, oldKey)
	if got, err := after.Verify(oldTok); err != nil || got != id {
		t.Fatalf("rotated keyring rejects a token of the old key: %v", err)
	}
	newTok := after.Sign(id)
	if newTok == oldTok {
		t.Fatal("rotated keyring still signs with the old key")
	}
	if _, err := before.Verify(newTok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("old keyring verified a token of the new key: %v", err)
	}
	retired := keyring(t, newKey)
	if _, err := retired.Verify(oldTok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("keyring without the old key verified its token: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	k := keyring(t, RandomKey())
	_, tok := k.New()
	other := keyring(t, RandomKey())
	_, foreign := other.New()
	flip := func(i int) string {
		b := []byte(tok)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":         "",
		"short":         tok[:Len-1],
		"long":          tok + "a",
		"uppercase":     strings.ToUpper(tok),
		"padding":       tok[:Len-1] + "=",
		"id changed":    flip(0),
		"mac changed":   flip(Len - 2),
		"other key":     foreign,
		"non-canonical": tok[:Len-1] + string("abcdefghijklmnopqrstuvwxyz234567"[strings.IndexByte("abcdefghijklmnopqrstuvwxyz234567", tok[Len-1])^1]),
	}
	for name, bad := range cases {
		if _, err := k.Verify(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify(%q) = %v, want ErrInvalid", name, bad, err)
		}
	}
}

func TestNewKeyringErrors(t *testing.T) {
	if _, err := NewKeyring(); err == nil {
		t.Error("NewKeyring() with no key: want an error")
	}
	if _, err := NewKeyring(RandomKey(), make([]byte, MinKeySize-1)); err == nil || !strings.Contains(err.Error(), "key 1") {
		t.Errorf("short key: got %v, want an error naming key 1", err)
	}
	key := RandomKey()
	k := keyring(t, key)
	_, tok := k.New()
	for i := range key {
		key[i] = 0
	}
	if _, err := k.Verify(tok); err != nil {
		t.Fatalf("keyring must copy its keys: %v", err)
	}
}

func TestIDString(t *testing.T) {
	k := keyring(t, RandomKey())
	id, tok := k.New()
	if s := id.String(); !strings.HasPrefix(tok, s[:len(s)-1]) || len(s) != 26 {
		t.Fatalf("id %q is not the start of its token %q", s, tok)
	}
	if bytes.Equal(id[:], make([]byte, IDSize)) {
		t.Fatal("zero id")
	}
}

// TestNamed: a name's id is the same in every keyring and never changes
// (stored shared pages are found by it: these ids were computed with
// Python's hashlib); other names, and random ids, differ.
func TestNamed(t *testing.T) {
	for name, want := range map[string]string{"dashboard": "xldjnrzpxqwuzdwkb2c2ese75e", "chat": "5kyqbyff4jdklimaev6t5jsvom"} {
		if got := Named(name).String(); got != want {
			t.Errorf("Named(%q) = %s, want %s", name, got, want)
		}
	}
	if Named("chat") == Named("chat ") || Named("") == Named("\x00") {
		t.Error("two names, one id")
	}
	a, b := keyring(t, RandomKey()), keyring(t, RandomKey())
	tokA, tokB := a.Sign(Named("chat")), b.Sign(Named("chat"))
	if tokA == tokB {
		t.Fatal("two keys sign a name's id alike")
	}
	if id, err := a.Verify(tokA); err != nil || id != Named("chat") {
		t.Fatalf("the token of a name's id: %v, %v", id, err)
	}
	if _, err := a.Verify(tokB); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a token of another key's: %v", err)
	}
}

// FuzzVerify: no input panics, and only the keyring's own tokens verify.
func FuzzVerify(f *testing.F) {
	k, _ := NewKeyring(bytes.Repeat([]byte{7}, MinKeySize))
	_, tok := k.New()
	f.Add(tok)
	f.Add("")
	f.Add(strings.Repeat("a", Len))
	f.Fuzz(func(t *testing.T, s string) {
		id, err := k.Verify(s)
		if err == nil && k.Sign(id) != s {
			t.Fatalf("Verify accepted %q, which is not the token of %v", s, id)
		}
	})
}

package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Seal returns msg and its HMAC-SHA256 under the newest key, for the
// purpose named by domain, as text: base64url(msg) "." base64url(mac). The
// domain keeps a sealed message of one purpose from passing for another's.
// msg is readable by anyone who holds the text: seal no secrets.
func (k *Keyring) Seal(domain string, msg []byte) string {
	return base64.RawURLEncoding.EncodeToString(msg) + "." +
		base64.RawURLEncoding.EncodeToString(seal(k.keys[0], domain, msg))
}

// Open returns the message of a text that Seal made for domain with one of
// the keyring's keys, or ErrInvalid.
func (k *Keyring) Open(domain, text string) ([]byte, error) {
	m, s, ok := strings.Cut(text, ".")
	if !ok {
		return nil, ErrInvalid
	}
	msg, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return nil, ErrInvalid
	}
	sum, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrInvalid
	}
	ok = false
	for _, key := range k.keys {
		if hmac.Equal(sum, seal(key, domain, msg)) {
			ok = true
		}
	}
	if !ok {
		return nil, ErrInvalid
	}
	return msg, nil
}

func seal(key []byte, domain string, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum(nil)
}

// ParseID returns the page id whose String is s.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := encoding.DecodeString(s)
	if err != nil || len(b) != IDSize || encoding.EncodeToString(b) != s {
		return id, errors.New("token: malformed page id")
	}
	copy(id[:], b)
	return id, nil
}

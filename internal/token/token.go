// Package token issues and verifies page tokens.
//
// A token names a page and proves that an application holding one of the
// keyring's keys issued it. It is the base32 text (lowercase, no padding) of
// 32 bytes: the page id, 16 random bytes from crypto/rand, then the first 16
// bytes of HMAC-SHA256(key, id). The newest key signs; every key verifies, so
// that keys can be rotated without invalidating the tokens of live pages.
//
// The alphabet is letters and digits only, so a token passes unchanged through
// every escaper of html/template (HTML, attribute, URL, JS string, CSS).
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
)

// IDSize and MACSize are the byte sizes of a token's two halves.
const (
	IDSize  = 16
	MACSize = 16
)

// Len is the length in characters of every token.
var Len = encoding.EncodedLen(IDSize + MACSize)

// MinKeySize is the shortest signing key a Keyring accepts, in bytes.
const MinKeySize = 32

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ErrInvalid is returned by Verify for a token that is malformed or that no
// key of the keyring signed.
var ErrInvalid = errors.New("invalid token")

// ID is a page id: the first half of its token.
type ID [IDSize]byte

// String returns the id in the token's alphabet. It is not secret on its own:
// without the MAC it opens nothing.
func (id ID) String() string { return encoding.EncodeToString(id[:]) }

// Keyring signs with its newest key and verifies with all of them.
// It is safe for concurrent use.
type Keyring struct {
	keys [][]byte // newest first
}

// NewKeyring returns a keyring of the given keys, newest first. It copies
// them. Each key must be at least MinKeySize bytes.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("token: no signing key")
	}
	k := &Keyring{keys: make([][]byte, len(keys))}
	for i, key := range keys {
		if len(key) < MinKeySize {
			return nil, fmt.Errorf("token: signing key %d is %d bytes, want at least %d", i, len(key), MinKeySize)
		}
		k.keys[i] = append([]byte(nil), key...)
	}
	return k, nil
}

// RandomKey returns a new MinKeySize-byte key from crypto/rand.
func RandomKey() []byte {
	key := make([]byte, MinKeySize)
	rand.Read(key) // never returns an error (crypto/rand, Go 1.24+)
	return key
}

// New returns a new random page id and its token, signed with the newest key.
func (k *Keyring) New() (ID, string) {
	var id ID
	rand.Read(id[:])
	return id, k.Sign(id)
}

// Named returns the page id of a shared page's name: the first IDSize bytes
// of the SHA-256 of the name after a prefix of its own. It is not keyed, so
// that the id of a name is the same in every application and after every
// rotation of the keys; the token of the id still needs a key.
func Named(name string) ID {
	sum := sha256.Sum256([]byte("livetemplate shared page\x00" + name))
	var id ID
	copy(id[:], sum[:])
	return id
}

// Sign returns the token of id, signed with the newest key.
func (k *Keyring) Sign(id ID) string {
	var raw [IDSize + MACSize]byte
	copy(raw[:], id[:])
	copy(raw[IDSize:], mac(k.keys[0], id))
	return encoding.EncodeToString(raw[:])
}

// Verify returns the page id of a token that one of the keys signed. The MAC
// comparison takes the same time wherever the first differing byte is.
func (k *Keyring) Verify(tok string) (ID, error) {
	var id ID
	if len(tok) != Len {
		return id, ErrInvalid
	}
	var raw [IDSize + MACSize]byte
	if n, err := encoding.Decode(raw[:], []byte(tok)); err != nil || n != len(raw) {
		return id, ErrInvalid
	}
	// The last character carries 4 unused bits; only the canonical spelling,
	// with those bits zero, is the token.
	if encoding.EncodeToString(raw[:]) != tok {
		return id, ErrInvalid
	}
	copy(id[:], raw[:IDSize])
	ok := 0
	for _, key := range k.keys {
		if hmac.Equal(raw[IDSize:], mac(key, id)) {
			ok = 1
		}
	}
	if ok == 0 {
		return ID{}, ErrInvalid
	}
	return id, nil
}

func mac(key []byte, id ID) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(id[:])
	return h.Sum(nil)[:MACSize]
}

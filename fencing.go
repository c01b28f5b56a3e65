package livetemplate

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The fencing credential. A browser's tabs share one connection, held by a
// leading tab; when the lead moves, the new leader's connection must close
// the old one's. The browser proves that a connection is its own with a
// secret key that it keeps in its storage and offers in the handshake's
// Sec-WebSocket-Protocol, which no URL, and so no access log, carries:
//
//	Sec-WebSocket-Protocol: livetemplate, livetemplate.fence.<browser>.<key>.<epoch>
//
// The server chooses the subprotocol "livetemplate". <browser> is the
// browser's public id (see [BrowserID]), <key> its secret for this
// endpoint, and <epoch> the leader's epoch, which grows with every
// handover. Connections fence each other by key alone: whoever does not
// know the key can close nothing. docs/protocol.md has the rules.

// subprotocol is the endpoint's WebSocket subprotocol, which a client offers
// with its credential.
const subprotocol = "livetemplate"

const (
	credentialPrefix = subprotocol + ".fence."
	maxBrowserID     = 64
	minFenceKey      = 16
	maxFenceKey      = 64
	// maxEpoch is the largest integer a browser's numbers hold exactly, so
	// that a refused leader can always name an epoch at least the open one's.
	maxEpoch = 1<<53 - 1
)

// credential is a handshake's fencing credential.
type credential struct {
	browser, key string
	epoch        uint64
}

// BrowserID returns the public id of the browser that a live endpoint's
// handshake request comes from, as the browser client sends it with its
// fencing credential, or "" when the request has none. All the tabs of a
// browser that share one connection send the same id
// (LiveTemplateClient.leader.browser in the browser), so it serves to count
// or log connections by browser. It is not a secret, and it proves nothing:
// fencing goes by the credential's key.
func BrowserID(r *http.Request) string {
	c, err := credentialOf(r)
	if err != nil {
		return ""
	}
	return c.browser
}

// credentialOf returns the fencing credential of a handshake request: none
// (the zero credential) when it offers none, an error when it is malformed.
func credentialOf(r *http.Request) (credential, error) {
	var c credential
	found := false
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			p = strings.TrimSpace(p)
			if !strings.HasPrefix(p, credentialPrefix) {
				continue
			}
			if found {
				return c, fmt.Errorf("livetemplate: more than one %s<browser>.<key>.<epoch> subprotocol", credentialPrefix)
			}
			found = true
			var err error
			if c, err = parseCredential(strings.TrimPrefix(p, credentialPrefix)); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func parseCredential(s string) (credential, error) {
	parts := strings.Split(s, ".")
	bad := func(what string) (credential, error) {
		return credential{}, fmt.Errorf("livetemplate: the subprotocol %s<browser>.<key>.<epoch> %s", credentialPrefix, what)
	}
	if len(parts) != 3 {
		return bad("has not three parts")
	}
	c := credential{browser: parts[0], key: parts[1]}
	if !idChars(c.browser, 1, maxBrowserID) {
		return bad(fmt.Sprintf("needs a browser of 1 to %d letters, digits, - or _", maxBrowserID))
	}
	if !idChars(c.key, minFenceKey, maxFenceKey) {
		return bad(fmt.Sprintf("needs a key of %d to %d letters, digits, - or _", minFenceKey, maxFenceKey))
	}
	e, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil || e > maxEpoch {
		return bad("needs an epoch from 0 to 2^53-1")
	}
	c.epoch = e
	return c, nil
}

// idChars reports whether s has min to max bytes, each a letter, a digit,
// '-' or '_'.
func idChars(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

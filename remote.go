package livetemplate

import (
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"sync"
)

// This file holds what the endpoint knows of who connects before it accepts
// a WebSocket: the client's address and scheme behind trusted proxies, how
// many connections each address holds, and whether the request's Host is
// allowed.

// remote is the client of a handshake request, as far as the server can
// tell: key names its address for the per-client limit, secure says whether
// it reached the server (or its trusted proxy) over TLS.
type remote struct {
	key    string
	secure bool
}

// remoteOf returns the client of r. Headers that proxies set are believed
// only from a peer among trusted.
func remoteOf(r *http.Request, trusted []netip.Prefix) remote {
	peer, ok := peerAddr(r.RemoteAddr)
	c := remote{key: r.RemoteAddr, secure: r.TLS != nil}
	if !ok {
		return c
	}
	c.key = addrKey(peer)
	if !isTrusted(peer, trusted) {
		return c
	}
	hops, proto := forwarded(r.Header)
	if proto != "" {
		c.secure = strings.EqualFold(proto, "https")
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := peerAddr(hops[i])
		if !ok {
			c.key = hops[i] // an obfuscated or unknown client: its token names it
			return c
		}
		c.key = addrKey(a)
		if !isTrusted(a, trusted) {
			return c
		}
	}
	return c
}

// forwarded returns the addresses that proxies recorded, client first, and
// the scheme that the nearest of them was reached with: from the standard
// Forwarded header if there is one, else from X-Forwarded-For and
// X-Forwarded-Proto.
func forwarded(h http.Header) (hops []string, proto string) {
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, elem := range strings.Split(strings.Join(fw, ","), ",") {
			for pair := range strings.SplitSeq(elem, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				v = strings.Trim(v, `"`)
				switch strings.ToLower(k) {
				case "for":
					hops = append(hops, v)
				case "proto":
					proto = v
				}
			}
		}
		return hops, proto
	}
	for _, v := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	if protos := strings.Split(strings.Join(h.Values("X-Forwarded-Proto"), ","), ","); len(protos) > 0 {
		proto = strings.TrimSpace(protos[len(protos)-1])
	}
	return hops, proto
}

// peerAddr parses an address with or without a port ("192.0.2.1:80",
// "[2001:db8::1]:80", "2001:db8::1", "192.0.2.1").
func peerAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil
}

// addrKey is the key of a client address: an IPv6 host usually holds a whole
// /64, so its addresses count as one.
func addrKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hostAllowed reports why a handshake's Host is not allowed: it matches
// none of the patterns, as a whole or by its name without the port. No
// patterns allow every host.
func hostAllowed(host string, patterns []string) error {
	if len(patterns) == 0 {
		return nil
	}
	host = strings.ToLower(host)
	name := host
	if a, err := netip.ParseAddrPort(host); err == nil {
		name = a.Addr().String()
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[:i], ":") {
		name = host[:i]
	}
	for _, pat := range patterns {
		pat = strings.ToLower(pat)
		if ok, _ := path.Match(pat, host); ok { // patterns were checked by NewApplication
			return nil
		}
		if ok, _ := path.Match(pat, name); ok {
			return nil
		}
	}
	return fmt.Errorf("the Host %q is not allowed (see WithAllowedHosts)", host)
}

// clientSet counts the open connections of each client address.
type clientSet struct {
	mu sync.Mutex // guards n
	n  map[string]int
}

// acquire counts one more connection of key, unless key holds limit already.
func (s *clientSet) acquire(key string, limit int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] >= limit {
		return false
	}
	if s.n == nil {
		s.n = make(map[string]int)
	}
	s.n[key]++
	return true
}

// release counts one connection of key less.
func (s *clientSet) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] <= 1 {
		delete(s.n, key)
		return
	}
	s.n[key]--
}

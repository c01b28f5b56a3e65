package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDemoAllowedHosts: the demo answers WebSocket handshakes only for the
// names it is reached by, so that a page of a rebound DNS name (whose Origin
// is its own host) cannot open one.
func TestDemoAllowedHosts(t *testing.T) {
	d := start(t)
	for host, want := range map[string]int{
		d.addr:                      http.StatusSwitchingProtocols,
		"localhost:" + port(d.addr): http.StatusSwitchingProtocols,
		"rebound.example":           http.StatusForbidden,
	} {
		req, err := http.NewRequestWithContext(t.Context(), "GET", "http://"+d.addr+"/counter/live", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Origin", "http://"+host)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("a handshake for Host %s: HTTP %d; want %d", host, resp.StatusCode, want)
		}
	}
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// TestHostsOf: the demo's allowed hosts are the loopback names and -addr's
// host, or, listening on every interface, the machine's names too.
func TestHostsOf(t *testing.T) {
	if got := hostsOf("example.test:8080"); !slices.Contains(got, "example.test") || !slices.Contains(got, "localhost") {
		t.Errorf("hostsOf(example.test:8080) = %v", got)
	}
	if got := hostsOf(":8080"); len(got) <= 3 || slices.Contains(got, "") {
		t.Errorf("hostsOf(:8080) = %v; want the loopback names and this machine's", got)
	}
}

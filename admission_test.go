package livetemplate_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// httpsServer serves app's endpoint at /live over TLS.
func httpsServer(t *testing.T, app *livetemplate.Application) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	return srv
}

// handshake sends a WebSocket handshake to url with the headers h (Host
// among them, as the request's host) and returns the response, its body
// read. An accepted handshake's connection is closed at once.
func handshake(t *testing.T, client *http.Client, url string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	if host := h.Get("Host"); host != "" {
		req.Host = host
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, ""
	}
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func handshakeStatus(t *testing.T, client *http.Client, url string, h http.Header) int {
	t.Helper()
	status, _ := handshake(t, client, url, h)
	return status
}

// TestAllowedHosts: with WithAllowedHosts, a handshake for another Host (a
// rebound DNS name: its Origin is that host too) is refused with 403 and
// forbidden_host; by default any host is allowed.
func TestAllowedHosts(t *testing.T) {
	strict := counterApp(t, livetemplate.WithAllowedHosts("app.example", "*.app.example", "127.0.0.1"))
	url := serve(t, strict) + "/live"
	for host, want := range map[string]int{
		"app.example":          http.StatusSwitchingProtocols,
		"App.Example:8443":     http.StatusSwitchingProtocols,
		"eu.app.example":       http.StatusSwitchingProtocols,
		"attacker.example":     http.StatusForbidden,
		"app.example.attacker": http.StatusForbidden,
	} {
		status, body := handshake(t, http.DefaultClient, url, http.Header{"Host": {host}, "Origin": {"http://" + host}})
		if status != want || (want == http.StatusForbidden && !strings.HasPrefix(body, "forbidden_host: ")) {
			t.Errorf("Host %s: HTTP %d %q; want %d", host, status, body, want)
		}
	}
	open := serve(t, counterApp(t)) + "/live"
	if status := handshakeStatus(t, http.DefaultClient, open, http.Header{"Host": {"attacker.example"}}); status != http.StatusSwitchingProtocols {
		t.Errorf("any host by default: HTTP %d", status)
	}
	if _, err := livetemplate.NewApplication(livetemplate.WithAllowedHosts("[")); err == nil {
		t.Error("an invalid host pattern: no error")
	}
}

// TestMaxClientConnections: past the limit, a client's handshake is refused
// with 429 and too_many_connections; a connection that ends makes room.
func TestMaxClientConnections(t *testing.T) {
	_, url, _ := liveCounter(t, livetemplate.WithMaxClientConnections(2))
	first := dial(t, url)
	dial(t, url)
	status, body := handshake(t, http.DefaultClient, url, nil)
	if status != http.StatusTooManyRequests || !strings.HasPrefix(body, "too_many_connections: ") {
		t.Fatalf("a third connection: HTTP %d %q; want 429 too_many_connections", status, body)
	}
	first.Close()
	<-first.Done()
	waitStatus(t, url, nil, http.StatusSwitchingProtocols)
}

// waitStatus waits until a handshake with h gets status: the server sees a
// connection end a moment after the client.
func waitStatus(t *testing.T, url string, h http.Header, status int) {
	t.Helper()
	for {
		got := handshakeStatus(t, http.DefaultClient, url, h)
		if got == status {
			return
		}
		select {
		case <-testContext(t).Done():
			t.Fatalf("handshake: HTTP %d; want %d", got, status)
		default:
		}
	}
}

// TestTrustedProxies: behind a trusted proxy, clients are told apart by
// X-Forwarded-For or Forwarded, and the scheme they used by
// X-Forwarded-Proto; from an untrusted peer, those headers are ignored.
func TestTrustedProxies(t *testing.T) {
	trusting := counterApp(t, livetemplate.WithMaxClientConnections(1), livetemplate.WithTrustedProxies("127.0.0.0/8", "10.0.0.1"))
	url := serve(t, trusting) + "/live"
	dial(t, url, livetemplatetest.WithHeader(http.Header{"X-Forwarded-For": {"203.0.113.7, 10.0.0.1"}}))
	if s := handshakeStatus(t, http.DefaultClient, url, http.Header{"X-Forwarded-For": {"203.0.113.8"}}); s != http.StatusSwitchingProtocols {
		t.Errorf("another client behind the proxy: HTTP %d", s)
	}
	for _, h := range []http.Header{
		{"X-Forwarded-For": {"203.0.113.7"}},
		{"Forwarded": {`for=203.0.113.7;proto=https, for="10.0.0.1"`}},
		{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7"}}, // the first address is the client's to write
	} {
		if s := handshakeStatus(t, http.DefaultClient, url, h); s != http.StatusTooManyRequests {
			t.Errorf("the same client again, %v: HTTP %d; want 429", h, s)
		}
	}
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/live")
	if s := handshakeStatus(t, http.DefaultClient, url, http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-For": {"203.0.113.9"}, "Origin": {"http://" + host}}); s != http.StatusForbidden {
		t.Errorf("an http Origin for an endpoint reached over https: HTTP %d; want 403", s)
	}

	untrusting := counterApp(t, livetemplate.WithMaxClientConnections(1))
	url = serve(t, untrusting) + "/live"
	dial(t, url, livetemplatetest.WithHeader(http.Header{"X-Forwarded-For": {"203.0.113.7"}}))
	if s := handshakeStatus(t, http.DefaultClient, url, http.Header{"X-Forwarded-For": {"203.0.113.8"}}); s != http.StatusTooManyRequests {
		t.Errorf("X-Forwarded-For from an untrusted peer: HTTP %d; want 429 (one client)", s)
	}
	if _, err := livetemplate.NewApplication(livetemplate.WithTrustedProxies("10.0.0.0/33")); err == nil {
		t.Error("an invalid proxy prefix: no error")
	}
}

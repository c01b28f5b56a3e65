package client_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate/client/browsertest"
)

// TestHTTPS: on an https page the script tag's relative data-live connects
// with wss: (the server speaks only TLS, so ws: could not connect), and the
// page is live.
func TestHTTPS(t *testing.T) {
	b := browsertest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	s := newSite(t, siteConfig{tls: true, version: true})
	tab := s.open(b, "/page")
	if !browsertest.MustEval[bool](tab, `location.protocol === "https:"`) {
		t.Fatal("the page is not on https")
	}
	p := s.page()
	if _, err := p.Update(counter{Count: 7}); err != nil {
		t.Fatal(err)
	}
	tab.WaitFor(`liveTemplate.version === 2`, 10*time.Second)
	s.waitHTML(tab, p)
	noConsole(t, tab)
}

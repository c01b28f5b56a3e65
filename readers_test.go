package livetemplate_test

import (
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// TestReadersDoNotWaitForTheStore: while a change is being written to the
// store, Version, Data, Render, Snapshot, GetPage and a connection's join
// answer at once, with the page as it was before the change; the joined
// connection then gets the change.
func TestReadersDoNotWaitForTheStore(t *testing.T) {
	store := newHeldStore()
	defer store.free()
	app := counterApp(t, livetemplate.WithStore(store), livetemplate.WithStoreTimeout(time.Minute))
	url := serve(t, app) + "/live"
	page := newPage(t, app, "counter", counter{Count: 1})
	tok := page.GetToken()
	before := counter{Count: 1}
	c := dial(t, url)
	store.hold()
	changed := make(chan error, 1)
	go func() {
		_, err := page.Update(counter{Count: 2})
		changed <- err
	}()
	<-store.putting
	read := make(chan *livetemplatetest.Page, 1)
	go func() {
		defer close(read)
		switch html, err := page.Render(); {
		case err != nil || html != execute(t, counterSrc, before, tok):
			t.Errorf("Render during the store write: %q, %v", html, err)
		case page.Version() != 1 || page.Data().(counter).Count != before.Count:
			t.Errorf("during the store write: version %d, data %v; want the page before the change", page.Version(), page.Data())
		}
		if snap, err := page.Snapshot(); err != nil || snap.Version != 1 {
			t.Errorf("Snapshot during the store write: version %d, %v", snap.Version, err)
		}
		if _, err := app.GetPage(tok); err != nil {
			t.Errorf("GetPage during the store write: %v", err)
		}
		p, err := c.Join(testContext(t), tok)
		if err != nil {
			t.Errorf("join during the store write: %v", err)
			return
		}
		read <- p
	}()
	var p *livetemplatetest.Page
	select {
	case p = <-read:
	case <-time.After(20 * time.Second): // the store holds the change for a minute
		t.Fatal("the page's readers waited for its change's store write")
	}
	if p == nil {
		t.FailNow()
	}
	waitHTML(t, p, counterSrc, before)
	store.free()
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	waitHTML(t, p, counterSrc, counter{Count: 2})
}

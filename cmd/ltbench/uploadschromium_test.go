package main

import (
	"context"
	"testing"
)

// TestUploadsChromiumInBrowser measures one round of a small file: both
// uploads complete from Chromium and have a throughput.
func TestUploadsChromiumInBrowser(t *testing.T) {
	r, err := chromiumUploads(context.Background(), 20<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.tus <= 0 || r.post <= 0 || r.ratio <= 0 {
		t.Errorf("the round: %+v", r)
	}
}

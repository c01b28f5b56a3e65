package livetemplate_test

import (
	"context"
	"testing"

	"github.com/livetemplate/livetemplate"
)

// TestUploadServerShutdown: Shutdown, like Close, closes the upload server,
// whose goroutines would otherwise outlive the application.
func TestUploadServerShutdown(t *testing.T) {
	up := new(fakeUploads)
	app, err := livetemplate.NewApplication(livetemplate.WithUploads(up))
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !up.closed.Load() {
		t.Fatal("Shutdown did not close the upload server")
	}
}

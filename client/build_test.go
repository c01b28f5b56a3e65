package client_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/livetemplate/livetemplate/client"
)

// TestBundleFresh fails when the committed bundle is not what the sources
// build: run `go generate` in the repository's root.
func TestBundleFresh(t *testing.T) {
	files, err := client.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("Build returned no files")
	}
	for _, f := range files {
		have, err := os.ReadFile(filepath.Join(client.OutDir(), f.Name))
		if err != nil {
			t.Fatalf("%v: run go generate in the repository's root", err)
		}
		if !bytes.Equal(have, f.Contents) {
			t.Errorf("internal/bundle/%s is stale: run go generate in the repository's root", f.Name)
		}
	}
}

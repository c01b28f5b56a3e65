package client_test

import (
	"bytes"
	"compress/gzip"
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

// TestBundleBudget fails when the classic script, the file most pages load,
// grows past 18,000 bytes gzipped (at -9), the client's budget with the
// JavaScript interop (hooks, ignored regions, commands) and navigation.
func TestBundleBudget(t *testing.T) {
	const budget = 18000
	files, err := client.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name != "livetemplate.js" {
			continue
		}
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w.Write(f.Contents)
		w.Close()
		t.Logf("livetemplate.js: %d bytes, %d gzipped (budget %d)", len(f.Contents), buf.Len(), budget)
		if buf.Len() > budget {
			t.Errorf("livetemplate.js is %d bytes gzipped, over its budget of %d", buf.Len(), budget)
		}
		return
	}
	t.Fatal("no livetemplate.js")
}

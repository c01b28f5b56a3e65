// Command bundle builds the browser client into internal/bundle. The
// repository's `go generate` runs it:
//
//	go -C client run ./cmd/bundle
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/livetemplate/livetemplate/client"
)

func main() {
	files, err := client.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range files {
		path := filepath.Join(client.OutDir(), f.Name)
		if err := os.WriteFile(path, f.Contents, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bundle:", err)
			os.Exit(1)
		}
	}
}

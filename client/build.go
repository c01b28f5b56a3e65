// Package client builds the browser client, LiveTemplate's TypeScript in
// src/, into the two files that the library embeds and serves: livetemplate.js
// (a classic script that connects the page it is on by itself) and
// livetemplate.mjs (an ES module for apps that import the client). It is a
// module of its own, with the browser tests, so that the library's users
// download neither esbuild nor chromedp.
//
// `go generate` in the repository's root runs cmd/bundle, which writes the
// files into internal/bundle; TestBundleFresh fails when they are stale.
package client

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// File is one output of [Build].
type File struct {
	Name     string // the file's name in internal/bundle
	Contents []byte
}

// entries are the bundles: the file each is built from, its name and format.
var entries = []struct {
	entry, name string
	format      api.Format
}{
	{"src/global.ts", "livetemplate.js", api.FormatIIFE},
	{"src/index.ts", "livetemplate.mjs", api.FormatESModule},
	{"src/devoverlay.ts", "livetemplate-dev.js", api.FormatIIFE},
	{"src/navchunk.ts", "livetemplate-nav.mjs", api.FormatESModule},       // the chunk that the others load on demand (docs/client.md)
	{"src/uploadchunk.ts", "livetemplate-upload.mjs", api.FormatESModule}, // the uploads' chunk, loaded by a page with an upload input
}

// Dir is the directory of this package's sources, for tools that run from
// elsewhere.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// OutDir is where the bundle goes: internal/bundle of the library's module.
func OutDir() string { return filepath.Join(Dir(), "..", "internal", "bundle") }

// BuildEntry bundles the TypeScript file entry (relative to [Dir]) as a
// classic script, unminified: tests and benchmarks use it to load parts of
// the client, such as the DOM view alone, into a page.
func BuildEntry(entry string) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir: Dir(),
		EntryPoints:   []string{entry},
		Bundle:        true,
		Write:         false,
		Outfile:       "entry.js",
		Format:        api.FormatIIFE,
		Target:        api.ES2020,
		Platform:      api.PlatformBrowser,
		Charset:       api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("client: bundle %s: %w", entry, buildError(res.Errors))
	}
	return res.OutputFiles[0].Contents, nil
}

// Build bundles and minifies the client. The output depends only on the
// sources, so that a build on any machine gives the committed bytes.
func Build() ([]File, error) {
	var files []File
	for _, e := range entries {
		res := api.Build(api.BuildOptions{
			AbsWorkingDir:     Dir(),
			EntryPoints:       []string{e.entry},
			Bundle:            true,
			Write:             false,
			Outfile:           e.name,
			Format:            e.format,
			Target:            api.ES2020,
			Platform:          api.PlatformBrowser,
			MinifyWhitespace:  true,
			MinifyIdentifiers: true,
			MinifySyntax:      true,
			MangleProps:       "[^_]_$", // private members end in _: no page script or other tab reads them
			Charset:           api.CharsetUTF8,
			LegalComments:     api.LegalCommentsNone,
			Sourcemap:         api.SourceMapNone,
		})
		if len(res.Errors) > 0 {
			return nil, fmt.Errorf("client: bundle %s: %w", e.name, buildError(res.Errors))
		}
		for _, out := range res.OutputFiles {
			files = append(files, File{Name: filepath.Base(out.Path), Contents: out.Contents})
		}
	}
	return files, nil
}

func buildError(msgs []api.Message) error {
	var lines []string
	for _, m := range msgs {
		where := ""
		if m.Location != nil {
			where = fmt.Sprintf("%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
		}
		lines = append(lines, where+m.Text)
	}
	return errors.New(strings.Join(lines, "\n"))
}

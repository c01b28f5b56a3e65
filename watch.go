package livetemplate

import (
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// devPollInterval is how often development mode looks at the files of the
// templates registered from files ([WithDevMode]).
const devPollInterval = 200 * time.Millisecond

// source is how a template registered from files is parsed again when they
// change: in development mode only. last is read and written by the
// watcher alone, once the template is registered.
type source struct {
	parse func() (*template.Template, error)
	stamp func() string // the names, sizes and times of the files
	last  string        // stamp when the template was last parsed
}

// stampFiles describes the state of files, as stat sees them: a file that
// changes size or modification time, appears or goes changes the result.
func stampFiles(stat func(string) (fs.FileInfo, error), files ...string) string {
	var b strings.Builder
	for _, f := range files {
		fi, err := stat(f)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", f, err)
			continue
		}
		fmt.Fprintf(&b, "%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String()
}

// stampFS is stampFiles for the files of fsys that patterns match.
// Files in an embed.FS have no modification time: their stamp changes only
// with the binary.
func stampFS(fsys fs.FS, patterns []string) string {
	var files []string
	for _, p := range patterns {
		m, err := fs.Glob(fsys, p)
		if err != nil {
			return err.Error()
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	return stampFiles(func(name string) (fs.FileInfo, error) { return fs.Stat(fsys, name) }, files...)
}

// watch reloads the templates whose files changed, every devPollInterval,
// until the application is closed.
func (a *Application) watch() {
	defer a.sweeper.Done()
	t := time.NewTicker(devPollInterval)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			for _, reg := range a.watched() {
				if s := reg.src.stamp(); s != reg.src.last {
					reg.src.last = s
					a.reload(reg)
				}
			}
		}
	}
}

// watched returns the templates registered from files, in development mode.
func (a *Application) watched() []*registered {
	a.tmu.RLock()
	defer a.tmu.RUnlock()
	var out []*registered
	for _, reg := range a.templates {
		if reg.src != nil {
			out = append(out, reg)
		}
	}
	return out
}

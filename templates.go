package livetemplate

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/livetemplate/livetemplate/internal/engine"
)

// The names of the template functions that write the page's token and
// version.
const (
	pageTokenFunc   = "PAGE_TOKEN"
	pageVersionFunc = "PAGE_VERSION"
)

// FuncMap returns the template functions that LiveTemplate gives every
// registered template, for templates that the application parses itself
// before [Application.RegisterTemplate]:
//
//	t := template.Must(template.New("dashboard").Funcs(livetemplate.FuncMap()).Parse(src))
//
// PAGE_TOKEN writes the token of the page being rendered, so that
// `const pageToken = "{{PAGE_TOKEN}}";` in a script holds it. Outside an
// application, as here, it writes nothing; a registered template gets the
// application's own PAGE_TOKEN in place of any function of that name.
// Write its result as it is: the application writes a placeholder that each
// page replaces with its token, so a pipeline that cuts or transforms the
// result (`{{PAGE_TOKEN | printf "%.8s"}}`) does not get the token.
//
// PAGE_VERSION writes the page's version when its HTML is rendered, the same
// way, so that the browser client's script tag can say which version the
// page's HTML shows (data-version="{{PAGE_VERSION}}"): the client then joins
// without being sent the page again. Live updates do not change what it
// wrote; it is for that tag only.
func FuncMap() template.FuncMap {
	return template.FuncMap{
		pageTokenFunc:   func() string { return "" },
		pageVersionFunc: func() string { return "" },
	}
}

// registered is a template registered with an application.
type registered struct {
	name string
	// cur is the template's program. Development mode replaces it when
	// the template's files change (devmode.go); otherwise it never changes.
	cur atomic.Pointer[program]
	// src parses the template again from its files, in development mode
	// only; nil otherwise.
	src *source
}

// program is a template compiled for an application.
type program struct {
	prog *engine.Program
	// Whether some action may call PAGE_TOKEN, PAGE_VERSION: a page
	// replaces only the placeholders its template may write.
	usesToken, usesVersion bool
}

// program returns the template's current program.
func (r *registered) program() *program { return r.cur.Load() }

// RegisterTemplate registers t under name for [Application.NewPage]. It
// compiles t at once and returns parse and escaping errors, and
// [ErrTemplateExists] if name is taken. t is not modified and must not have
// been executed yet (html/template forbids the clone that compiling needs);
// the application works on its own copy, so t's later changes do not affect
// it. It is safe to call concurrently with page creation.
func (a *Application) RegisterTemplate(name string, t *template.Template) error {
	return a.register(name, t, nil)
}

// register registers t under name; src, if not nil, parses it again from
// its files (development mode).
func (a *Application) register(name string, t *template.Template, src *source) error {
	if name == "" {
		return errors.New("livetemplate: register template: empty name")
	}
	if t == nil {
		return fmt.Errorf("livetemplate: register template %q: nil template", name)
	}
	if a.template(name) != nil {
		return fmt.Errorf("livetemplate: register template %q: %w", name, ErrTemplateExists)
	}
	prog, err := a.compile(t)
	if err != nil {
		return fmt.Errorf("livetemplate: register template %q: %w", name, err)
	}
	reg := &registered{name: name, src: src}
	reg.cur.Store(prog)
	a.tmu.Lock()
	defer a.tmu.Unlock()
	if _, ok := a.templates[name]; ok {
		return fmt.Errorf("livetemplate: register template %q: %w", name, ErrTemplateExists)
	}
	a.templates[name] = reg
	return nil
}

// RegisterTemplateFromFile parses the file with html/template, with
// [FuncMap] and the functions of [WithFuncs], and registers it under name.
// In development mode ([WithDevMode]) the file is watched.
func (a *Application) RegisterTemplateFromFile(name, file string) error {
	parse := func() (*template.Template, error) {
		return template.New(filepath.Base(file)).Funcs(a.parseFuncs()).ParseFiles(file)
	}
	return a.registerParsed(name, parse, func() string { return stampFiles(os.Stat, file) })
}

// RegisterTemplateFS parses the files of fsys that match patterns (as
// [template.ParseFS] does, so an [embed.FS] works) and registers them under
// name. The page renders the first file that the first pattern matches; the
// others define templates that it may call. In development mode
// ([WithDevMode]) the files are watched: those of an [os.DirFS] change when
// they are saved; those of an [embed.FS] never do.
func (a *Application) RegisterTemplateFS(name string, fsys fs.FS, patterns ...string) error {
	if len(patterns) == 0 {
		return fmt.Errorf("livetemplate: register template %q: no file pattern", name)
	}
	parse := func() (*template.Template, error) {
		files, err := fs.Glob(fsys, patterns[0])
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("pattern %q matches no file", patterns[0])
		}
		return template.New(path.Base(files[0])).Funcs(a.parseFuncs()).ParseFS(fsys, patterns...)
	}
	return a.registerParsed(name, parse, func() string { return stampFS(fsys, patterns) })
}

// registerParsed registers the template that parse parses, and in
// development mode watches its files, whose state stamp describes.
func (a *Application) registerParsed(name string, parse func() (*template.Template, error), stamp func() string) error {
	var src *source
	if a.cfg.dev {
		src = &source{parse: parse, stamp: stamp, last: stamp()}
	}
	t, err := parse()
	if err != nil {
		return fmt.Errorf("livetemplate: register template %q: %w", name, err)
	}
	return a.register(name, t, src)
}

func (a *Application) parseFuncs() template.FuncMap {
	funcs := FuncMap()
	for k, v := range a.cfg.funcs {
		funcs[k] = v
	}
	return funcs
}

// compile compiles a clone of t in which PAGE_TOKEN and PAGE_VERSION write
// the application's placeholders; Page replaces them with its token and
// version.
func (a *Application) compile(t *template.Template) (*program, error) {
	c, err := t.Clone()
	if err != nil {
		return nil, engine.ErrExecuted
	}
	tok, ver := a.tokenPlaceholder, a.versionPlaceholder
	c.Funcs(template.FuncMap{
		pageTokenFunc:   func() string { return tok },
		pageVersionFunc: func() string { return ver },
	})
	prog, err := engine.Compile(c)
	if err != nil {
		return nil, err
	}
	return &program{prog: prog, usesToken: mentions(c, pageTokenFunc), usesVersion: mentions(c, pageVersionFunc)}, nil
}

// mentions reports whether the source of any template of t's set may
// contain word. A false positive only costs a search of the output.
func mentions(t *template.Template, word string) bool {
	for _, x := range t.Templates() {
		if x.Tree != nil && x.Tree.Root != nil && strings.Contains(x.Tree.Root.String(), word) {
			return true
		}
	}
	return false
}

// template returns the registered template of that name, or nil.
func (a *Application) template(name string) *registered {
	a.tmu.RLock()
	defer a.tmu.RUnlock()
	return a.templates[name]
}

// legacyTemplate registers t for [Application.NewApplicationPage] the first
// time it is seen, under a name that RegisterTemplate's names cannot take.
func (a *Application) legacyTemplate(t *template.Template) (*registered, error) {
	if t == nil {
		return nil, errors.New("nil template")
	}
	a.tmu.RLock()
	reg := a.legacy[t]
	a.tmu.RUnlock()
	if reg != nil {
		return reg, nil
	}
	a.tmu.Lock()
	defer a.tmu.Unlock()
	if reg := a.legacy[t]; reg != nil {
		return reg, nil
	}
	prog, err := a.compile(t)
	if err != nil {
		return nil, err
	}
	reg = &registered{name: fmt.Sprintf("\x00legacy %d %s", len(a.legacy), t.Name())}
	reg.cur.Store(prog)
	a.legacy[t] = reg
	a.templates[reg.name] = reg
	return reg, nil
}

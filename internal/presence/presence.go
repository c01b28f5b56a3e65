// Package presence keeps what the other instances of a cluster say of the
// viewers of pages: for each page, each instance's latest list. An instance
// that dies takes its lists with it, once the application sees its lease
// lapse and drops it.
package presence

import (
	"slices"
	"sync"
)

// Table holds the lists of viewers V of pages, by page id and instance.
// Its zero value is empty and ready to use. mu guards pages.
type Table[V any] struct {
	mu    sync.Mutex
	pages map[string]map[string][]V
}

// Set records vs as the viewers of page on instance (none: forgets them).
func (t *Table[V]) Set(page, instance string, vs []V) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(vs) == 0 {
		delete(t.pages[page], instance)
		if len(t.pages[page]) == 0 {
			delete(t.pages, page)
		}
		return
	}
	if t.pages == nil {
		t.pages = make(map[string]map[string][]V)
	}
	if t.pages[page] == nil {
		t.pages[page] = make(map[string][]V)
	}
	t.pages[page][instance] = slices.Clone(vs)
}

// Viewers returns the viewers of page on every instance.
func (t *Table[V]) Viewers(page string) []V {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []V
	for _, vs := range t.pages[page] {
		out = append(out, vs...)
	}
	return out
}

// Instances returns the instances that have viewers of page.
func (t *Table[V]) Instances(page string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for i := range t.pages[page] {
		out = append(out, i)
	}
	return out
}

// All returns every instance that has viewers of some page.
func (t *Table[V]) All() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, is := range t.pages {
		for i := range is {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	return out
}

// Drop forgets instance, and returns the pages it had viewers of, with
// those viewers.
func (t *Table[V]) Drop(instance string) map[string][]V {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string][]V{}
	for page, is := range t.pages {
		if vs, ok := is[instance]; ok {
			out[page] = vs
			delete(is, instance)
			if len(is) == 0 {
				delete(t.pages, page)
			}
		}
	}
	return out
}

// Forget forgets every list of page.
func (t *Table[V]) Forget(page string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pages, page)
}

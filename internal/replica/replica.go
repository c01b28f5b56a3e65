// Package replica holds a page's tree as a client holds it: it applies the
// full trees and diffs that the engine encodes (docs/protocol.md) and turns
// the result into HTML. It is the reference applier that the engine's tests
// check against html/template, and the model the browser client follows.
package replica

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Tree is a client's copy of one page's tree. The zero value is empty and
// ready to Apply a full tree. A Tree is not safe for concurrent use.
type Tree struct {
	statics map[int][]string
	root    *frag
}

type frag struct {
	sid   int
	slots []any // string, *frag or *comp
}

type comp struct {
	rows []*frag
}

// message is the shape of a full tree and of a diff: new statics and the
// root, in full (an array) or as a patch (an object).
type message struct {
	Statics map[string][]string `json:"s"`
	Root    json.RawMessage     `json:"f"`
}

// Apply applies one full tree or diff, as encoded by the engine. On error the
// tree may be partly changed and should be replaced by a full tree.
func (t *Tree) Apply(data []byte) error {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if t.statics == nil {
		t.statics = make(map[int][]string)
	}
	for id, parts := range m.Statics {
		sid, err := strconv.Atoi(id)
		if err != nil {
			return fmt.Errorf("replica: statics id %q: %w", id, err)
		}
		t.statics[sid] = parts
	}
	var root any
	if err := json.Unmarshal(m.Root, &root); err != nil {
		return fmt.Errorf("replica: root: %w", err)
	}
	var cur any
	if t.root != nil {
		cur = t.root
	}
	v, err := t.patch(cur, root)
	if err != nil {
		return err
	}
	f, ok := v.(*frag)
	if !ok {
		return fmt.Errorf("replica: root is %T, want a fragment", v)
	}
	t.root = f
	return nil
}

// HTML returns the HTML the tree stands for.
func (t *Tree) HTML() (string, error) {
	if t.root == nil {
		return "", fmt.Errorf("replica: no tree applied yet")
	}
	var b strings.Builder
	if err := t.writeFrag(&b, t.root); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (t *Tree) writeFrag(b *strings.Builder, f *frag) error {
	parts, ok := t.statics[f.sid]
	if !ok {
		return fmt.Errorf("replica: unknown statics id %d", f.sid)
	}
	if len(parts) != len(f.slots)+1 {
		return fmt.Errorf("replica: statics %d has %d parts for %d slots", f.sid, len(parts), len(f.slots))
	}
	for i, s := range f.slots {
		b.WriteString(parts[i])
		if err := t.writeVal(b, s); err != nil {
			return err
		}
	}
	b.WriteString(parts[len(parts)-1])
	return nil
}

func (t *Tree) writeVal(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case string:
		b.WriteString(v)
	case *frag:
		return t.writeFrag(b, v)
	case *comp:
		for _, r := range v.rows {
			if err := t.writeFrag(b, r); err != nil {
				return err
			}
		}
	}
	return nil
}

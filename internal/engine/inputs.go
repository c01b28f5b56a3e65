package engine

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
)

// reader records the inputs of rows as bytes (see memo.go): what the deps
// of a range read, in the order of the deps. The bytes are a prefix-free
// encoding of the values, so that equal bytes mean equal inputs. A read
// that could call user code (a method by a name the templates use as a
// field, or one that printing calls, such as String) makes the row's inputs
// unrecordable: the row executes.
type reader struct {
	rules   *readRules
	steps   [][]stepCache // per memo id: one cache per path step of its deps
	pure    map[reflect.Type]bool
	env     []reflect.Value // rootElem, rootIndex (unused: see index), nested elements
	index   int
	inv     []reflect.Value
	work    int // values a key may still read
	spans   []span
	scratch []byte
}

// Bounds of one key: values read, nesting, and iterations of a range over
// an integer.
const (
	maxWork  = 1 << 16
	maxDepth = 64
)

// Tags of the encoding.
const (
	tagInvalid byte = iota + 1
	tagFalse
	tagTrue
	tagInt
	tagUint
	tagFloat
	tagComplex
	tagString
	tagNil
	tagPointer
	tagIface
	tagStruct
	tagSlice
	tagArray
	tagMap
	tagUnsafe
	tagTruth
	tagRange
	tagNoValue   // a path step on no value
	tagNilIface  // a path step on a nil interface
	tagNilPtr    // a path step on a nil pointer
	tagBadField  // a path step that text/template cannot take
	tagMissing   // a map without the key
	tagEmbedded  // a field behind a nil embedded pointer
	tagCantRange // a range over a value that cannot be ranged over
)

// stepCache remembers how a path step goes on the last type it met.
type stepCache struct {
	typ   reflect.Type
	how   stepHow
	index []int
	key   reflect.Value
}

type stepHow uint8

const (
	stepNone   stepHow = iota // text/template fails
	stepMethod                // a method: user code
	stepField
	stepMap
	stepNilPtr
)

type readState uint8

const (
	readOK      readState = iota
	readStopped           // the path ended in a state its tag records
	readImpure
)

func newReader(p *Program) reader {
	r := reader{rules: p.reads, pure: map[reflect.Type]bool{}}
	r.steps = make([][]stepCache, len(p.memo))
	for i, mr := range p.memo {
		r.steps[i] = make([]stepCache, mr.slots)
	}
	return r
}

// invariants appends the inputs of the reads rooted at $ and at outer
// variables, and the types of those roots and of the rows.
func (r *reader) invariants(dst []byte, mr *memoRange, elem reflect.Type, inv []reflect.Value) ([]byte, bool) {
	r.work = maxWork
	r.inv = inv
	dst = appendType(dst, elem)
	for _, v := range inv {
		if !v.IsValid() {
			dst = append(dst, tagInvalid)
			continue
		}
		dst = appendType(dst, v.Type())
	}
	return r.deps(dst, mr.invDeps, r.steps[mr.id])
}

// row appends the inputs of row i, whose element is elem.
func (r *reader) row(dst []byte, mr *memoRange, elem reflect.Value, i int) ([]byte, bool) {
	r.work = maxWork
	r.index = i
	r.env = append(r.env[:0], elem, reflect.Value{})
	return r.deps(dst, mr.rowDeps, r.steps[mr.id])
}

func (r *reader) root(d *dep) reflect.Value {
	switch {
	case d.root < 0:
		return r.inv[-1-d.root]
	case d.root == rootIndex:
		return reflect.ValueOf(r.index)
	}
	return r.env[d.root]
}

func (r *reader) deps(dst []byte, ds []dep, steps []stepCache) ([]byte, bool) {
	for i := range ds {
		d := &ds[i]
		v, state := r.resolve(&dst, r.root(d), d.path, steps[d.slot:])
		if state == readImpure {
			return dst, false
		}
		if state == readStopped {
			continue
		}
		ok := true
		switch d.op {
		case depDeep:
			dst, ok = r.deep(dst, v, 0)
		case depTruth:
			dst = appendTruth(dst, v)
		case depEach:
			dst, ok = r.each(dst, v, d, steps)
		}
		if !ok {
			return dst, false
		}
	}
	return dst, true
}

// resolve follows path from v as text/template's evalField does, appending
// the dynamic type at every interface it passes, and a tag where the path
// ends early.
func (r *reader) resolve(dst *[]byte, v reflect.Value, path []string, steps []stepCache) (reflect.Value, readState) {
	for k, name := range path {
		if !v.IsValid() {
			*dst = append(*dst, tagNoValue, byte(k))
			return v, readStopped
		}
		v = r.indirect(dst, v)
		if v.Kind() == reflect.Interface {
			*dst = append(*dst, tagNilIface, byte(k))
			return v, readStopped
		}
		c := &steps[k]
		if c.typ != v.Type() {
			r.fill(c, v.Type(), name)
		}
		switch c.how {
		case stepMethod:
			return v, readImpure
		case stepField:
			if len(c.index) == 1 {
				v = v.Field(c.index[0])
				break
			}
			f, err := v.FieldByIndexErr(c.index)
			if err != nil {
				*dst = append(*dst, tagEmbedded, byte(k))
				return v, readStopped
			}
			v = f
		case stepMap:
			e := v.MapIndex(c.key)
			if !e.IsValid() {
				*dst = append(*dst, tagMissing, byte(k))
				return v, readStopped
			}
			v = e
		case stepNilPtr:
			*dst = append(*dst, tagNilPtr, byte(k))
			return v, readStopped
		default:
			*dst = append(*dst, tagBadField, byte(k))
			return v, readStopped
		}
	}
	return v, readOK
}

// indirect follows pointers and interfaces as text/template's indirect
// does, appending the dynamic type of each interface.
func (r *reader) indirect(dst *[]byte, v reflect.Value) reflect.Value {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v
		}
		if v.Kind() == reflect.Interface {
			*dst = appendType(*dst, v.Elem().Type())
		}
	}
	return v
}

// fill finds how a step named name goes on type t, as evalField would.
func (r *reader) fill(c *stepCache, t reflect.Type, name string) {
	*c = stepCache{typ: t}
	if hasMethod(t, name) {
		c.how = stepMethod
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.how = stepNilPtr // indirect stops only at a nil pointer
	case reflect.Struct:
		if f, ok := t.FieldByName(name); ok && f.IsExported() {
			c.how, c.index = stepField, f.Index
		}
	case reflect.Map:
		if reflect.TypeFor[string]().AssignableTo(t.Key()) {
			c.how, c.key = stepMap, reflect.ValueOf(name)
		}
	}
}

// hasMethod reports whether a value of type t, or the pointer to it, has a
// method called name.
func hasMethod(t reflect.Type, name string) bool {
	if _, ok := t.MethodByName(name); ok {
		return true
	}
	if t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer {
		_, ok := reflect.PointerTo(t).MethodByName(name)
		return ok
	}
	return false
}

// appendTruth appends whether v is true, as if and with decide.
func appendTruth(dst []byte, v reflect.Value) []byte {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			v = reflect.Value{}
		} else {
			v = v.Elem()
		}
	}
	truth, ok := isTrue(v)
	b := byte(0)
	switch {
	case !ok:
		b = 2
	case truth:
		b = 1
	}
	return append(dst, tagTruth, b)
}

// isTrue is text/template's.
func isTrue(val reflect.Value) (truth, ok bool) {
	if !val.IsValid() {
		return false, true
	}
	switch val.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		truth = val.Len() > 0
	case reflect.Bool:
		truth = val.Bool()
	case reflect.Complex64, reflect.Complex128:
		truth = val.Complex() != 0
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		truth = !val.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		truth = val.Int() != 0
	case reflect.Float32, reflect.Float64:
		truth = val.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		truth = val.Uint() != 0
	case reflect.Struct:
		truth = true
	default:
		return
	}
	return truth, true
}

// appendType appends the identity of t.
func appendType(dst []byte, t reflect.Type) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(reflect.ValueOf(t).Pointer()))
}

// deep appends v and everything reachable from it. A pointer is recorded
// as its address and its target: printing can show an address.
func (r *reader) deep(dst []byte, v reflect.Value, depth int) ([]byte, bool) {
	if r.work--; r.work < 0 || depth > maxDepth {
		return dst, false
	}
	if !v.IsValid() {
		return append(dst, tagInvalid), true
	}
	if !r.pureType(v.Type()) {
		return dst, false
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(dst, tagTrue), true
		}
		return append(dst, tagFalse), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(append(dst, tagInt), v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(append(dst, tagUint), v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(append(dst, tagFloat), math.Float64bits(v.Float())), true
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		dst = binary.LittleEndian.AppendUint64(append(dst, tagComplex), math.Float64bits(real(c)))
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(imag(c))), true
	case reflect.String:
		s := v.String()
		return append(binary.AppendUvarint(append(dst, tagString), uint64(len(s))), s...), true
	case reflect.UnsafePointer:
		return binary.LittleEndian.AppendUint64(append(dst, tagUnsafe), uint64(uintptr(v.UnsafePointer()))), true
	case reflect.Pointer:
		if v.IsNil() {
			return append(dst, tagNil), true
		}
		dst = binary.LittleEndian.AppendUint64(append(dst, tagPointer), uint64(v.Pointer()))
		return r.deep(dst, v.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return append(dst, tagNil), true
		}
		return r.deep(appendType(append(dst, tagIface), v.Elem().Type()), v.Elem(), depth+1)
	case reflect.Map:
		return r.deepMap(dst, v, depth)
	}
	return r.deepComposite(dst, v, depth)
}

// deepComposite appends a struct, slice or array.
func (r *reader) deepComposite(dst []byte, v reflect.Value, depth int) ([]byte, bool) {
	ok := true
	switch v.Kind() {
	case reflect.Struct:
		dst = append(dst, tagStruct)
		for i := 0; ok && i < v.NumField(); i++ {
			dst, ok = r.deep(dst, v.Field(i), depth+1)
		}
		return dst, ok
	case reflect.Slice:
		if v.IsNil() {
			return append(dst, tagNil), true
		}
		dst = binary.AppendUvarint(append(dst, tagSlice), uint64(v.Len()))
	case reflect.Array:
		dst = binary.AppendUvarint(append(dst, tagArray), uint64(v.Len()))
	default:
		return dst, false // channels and functions
	}
	for i := 0; ok && i < v.Len(); i++ {
		dst, ok = r.deep(dst, v.Index(i), depth+1)
	}
	return dst, ok
}

// deepMap appends a map: its entries in the order of their encodings, so
// that the map's own order does not matter.
func (r *reader) deepMap(dst []byte, v reflect.Value, depth int) ([]byte, bool) {
	if v.IsNil() {
		return append(dst, tagNil), true
	}
	dst = binary.AppendUvarint(append(dst, tagMap), uint64(v.Len()))
	return r.entries(dst, v, func(dst []byte, k, e reflect.Value) ([]byte, bool) {
		dst, ok := r.deep(dst, k, depth+1)
		if !ok {
			return dst, false
		}
		return r.deep(dst, e, depth+1)
	})
}

// entries appends entry(k, e) for every entry of map v, sorted by their
// bytes. Each entry's encoding is prefix-free, so their sequence is too.
func (r *reader) entries(dst []byte, v reflect.Value, entry func([]byte, reflect.Value, reflect.Value) ([]byte, bool)) ([]byte, bool) {
	base := len(dst)
	mark := len(r.spans)
	it := v.MapRange()
	for it.Next() {
		start := len(dst)
		var ok bool
		if dst, ok = entry(dst, it.Key(), it.Value()); !ok {
			r.spans = r.spans[:mark]
			return dst, false
		}
		r.spans = append(r.spans, span{off: int32(start - base), n: int32(len(dst) - start)})
	}
	spans := r.spans[mark:]
	body := dst[base:]
	slices.SortFunc(spans, func(a, b span) int { return bytes.Compare(body[a.off:a.off+a.n], body[b.off:b.off+b.n]) })
	r.scratch = append(r.scratch[:0], body...)
	dst = dst[:base]
	for _, s := range spans {
		dst = append(dst, r.scratch[s.off:s.off+s.n]...)
	}
	r.spans = r.spans[:mark]
	return dst, true
}

// each appends a nested range's collection as text/template walks it, and
// for each element the reads of the body.
func (r *reader) each(dst []byte, v reflect.Value, d *dep, steps []stepCache) ([]byte, bool) {
	v = r.indirect(&dst, v)
	if !v.IsValid() {
		return append(dst, tagRange, 0), true
	}
	dst = appendType(append(dst, tagRange), v.Type())
	slot := int(d.elem)
	for len(r.env) <= slot {
		r.env = append(r.env, reflect.Value{})
	}
	inner := func(dst []byte, e reflect.Value) ([]byte, bool) {
		if r.work--; r.work < 0 {
			return dst, false
		}
		r.env[slot] = e
		return r.deps(dst, d.inner, steps)
	}
	ok := true
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := uint64(0)
		if v.CanInt() {
			n = uint64(max(v.Int(), 0))
		} else {
			n = v.Uint()
		}
		dst = binary.AppendUvarint(dst, n)
		for e := range v.Seq() {
			if dst, ok = inner(dst, e); !ok {
				return dst, false
			}
		}
		return dst, true
	case reflect.Slice, reflect.Array:
		dst = binary.AppendUvarint(dst, uint64(v.Len()))
		for i := 0; ok && i < v.Len(); i++ {
			dst, ok = inner(dst, v.Index(i))
		}
		return dst, ok
	case reflect.Map:
		dst = binary.AppendUvarint(dst, uint64(v.Len()))
		return r.entries(dst, v, func(dst []byte, k, e reflect.Value) ([]byte, bool) {
			dst, ok := r.deep(dst, k, 0)
			if !ok {
				return dst, false
			}
			return inner(dst, e)
		})
	case reflect.Chan, reflect.Func:
		return dst, false // consumed or user code
	}
	return append(dst, tagCantRange), true
}

// implicitMethods are the methods that printing and escaping may call on a
// value whatever the template names: fmt's, encoding/json's (the escapers
// of JavaScript contexts marshal values) and error's.
var implicitMethods = []string{"String", "Error", "Format", "GoString", "MarshalJSON", "MarshalText"}

// pureType reports whether no method of t (or *t) can be called by the
// output of a value of type t: none is named like a field the templates
// use, nor like one that printing calls.
func (r *reader) pureType(t reflect.Type) bool {
	if k := t.Kind(); k < reflect.Kind(len(predeclared)) && predeclared[k] == t {
		return true // no methods
	}
	if p, ok := r.pure[t]; ok {
		return p
	}
	// fmt prints what a reflect.Value holds, which its own fields only
	// point to.
	p := t != reflect.TypeFor[reflect.Value]()
	for _, tt := range []reflect.Type{t, ptrTo(t)} {
		for i := range tt.NumMethod() {
			name := tt.Method(i).Name
			if r.rules.names[name] || slices.Contains(implicitMethods, name) {
				p = false
			}
		}
	}
	r.pure[t] = p
	return p
}

// predeclared holds the predeclared type of each basic kind.
var predeclared = [...]reflect.Type{
	reflect.Bool: reflect.TypeFor[bool](), reflect.Int: reflect.TypeFor[int](), reflect.Int8: reflect.TypeFor[int8](),
	reflect.Int16: reflect.TypeFor[int16](), reflect.Int32: reflect.TypeFor[int32](), reflect.Int64: reflect.TypeFor[int64](),
	reflect.Uint: reflect.TypeFor[uint](), reflect.Uint8: reflect.TypeFor[uint8](), reflect.Uint16: reflect.TypeFor[uint16](),
	reflect.Uint32: reflect.TypeFor[uint32](), reflect.Uint64: reflect.TypeFor[uint64](), reflect.Uintptr: reflect.TypeFor[uintptr](),
	reflect.Float32: reflect.TypeFor[float32](), reflect.Float64: reflect.TypeFor[float64](),
	reflect.Complex64: reflect.TypeFor[complex64](), reflect.Complex128: reflect.TypeFor[complex128](),
	reflect.String: reflect.TypeFor[string](),
}

func ptrTo(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Interface || t.Kind() == reflect.Pointer {
		return t
	}
	return reflect.PointerTo(t)
}

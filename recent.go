package livetemplate

// recent remembers a value for each of the last keys added, up to a limit:
// adding past it forgets the oldest key. The zero value is empty and ready.
type recent[V any] struct {
	byKey map[string]V
	ring  []string // the keys, oldest at next once the ring is full
	next  int
}

// get returns the value of key, if key is among the remembered ones.
func (r *recent[V]) get(key string) (V, bool) {
	v, ok := r.byKey[key]
	return v, ok
}

// add remembers v for key, which is not remembered yet, and forgets the
// oldest key if limit keys are remembered already.
func (r *recent[V]) add(key string, v V, limit int) {
	if r.byKey == nil {
		r.byKey = make(map[string]V)
	}
	if len(r.ring) < limit {
		r.ring = append(r.ring, key)
	} else {
		delete(r.byKey, r.ring[r.next])
		r.ring[r.next] = key
		r.next = (r.next + 1) % limit
	}
	r.byKey[key] = v
}

// each calls fn with every remembered key and its value, oldest first.
func (r *recent[V]) each(fn func(key string, v V)) {
	for i := range r.ring {
		key := r.ring[(r.next+i)%len(r.ring)]
		fn(key, r.byKey[key])
	}
}

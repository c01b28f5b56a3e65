package livetemplate

import (
	"encoding/json"
	"strconv"
)

// Update is a change of a page's HTML, ready to send to the page's clients:
// the messages of docs/protocol.md. An application that owns its WebSocket
// (a page per connection, say) sends the [Page.Snapshot] first and then every
// Update that [Update.Changed], in order.
type Update struct {
	// Version is the page's version once the Update is applied.
	Version uint64
	// Base is the version the Update applies to; 0 for a snapshot, which
	// applies to nothing.
	Base uint64
	// Body is the engine's encoding (docs/protocol.md): the diff, or for a
	// snapshot the whole tree. It is nil when nothing changed.
	Body json.RawMessage
}

// Changed reports whether the Update carries a change to send.
func (u Update) Changed() bool { return u.Body != nil }

// MarshalJSON encodes the Update as its wire message: a snapshot as
// {"type":"render","v":1,"tree":{...}}, a change as
// {"type":"diff","v":2,"base":1,"d":{...}}. An unchanged Update has no
// message: it encodes as null.
func (u Update) MarshalJSON() ([]byte, error) {
	if !u.Changed() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(u.Body)+48)
	if u.Base == 0 {
		b = append(b, `{"type":"render","v":`...)
		b = strconv.AppendUint(b, u.Version, 10)
		b = append(b, `,"tree":`...)
	} else {
		b = append(b, `{"type":"diff","v":`...)
		b = strconv.AppendUint(b, u.Version, 10)
		b = append(b, `,"base":`...)
		b = strconv.AppendUint(b, u.Base, 10)
		b = append(b, `,"d":`...)
	}
	b = append(b, u.Body...)
	return append(b, '}'), nil
}

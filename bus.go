package livetemplate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// The messages that the instances of a [Cluster] send each other. A page's
// owner publishes changes (busDiff, busState) and its end (busEnd) to the
// page's followers; a follower sends the owner events (busEvent, answered
// with a busReply) and uses of the page (busTouch).
const (
	busDiff  byte = 'd' // a change: version, base, the data and the diff message
	busState byte = 's' // the page's whole state, for followers that may have missed changes
	busEnd   byte = 'e' // the page ended: the protocol's error code
	busEvent byte = 'E' // an event for the owner to run
	busTouch byte = 't' // a use of the page on a follower
	busReply byte = 'r' // the owner's answer to an event
	busClose byte = 'c' // a follower's Page.Close, for the owner to close the page
)

var errBadBusMessage = errors.New("livetemplate: cluster: malformed message")

// change is a busDiff or busState message: the page at version v, changed
// from base (0 for a state) by msg, the diff's wire message.
type change struct {
	kind    byte
	v, base uint64
	data    []byte // the page's data, encoded by the cluster's codec
	msg     []byte
}

func (c change) encode() []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(c.data)+len(c.msg))
	b = append(b, c.kind)
	b = binary.AppendUvarint(b, c.v)
	b = binary.AppendUvarint(b, c.base)
	b = binary.AppendUvarint(b, uint64(len(c.data)))
	b = append(b, c.data...)
	return append(b, c.msg...)
}

func decodeChange(b []byte) (change, error) {
	c := change{kind: b[0]}
	b = b[1:]
	var n uint64
	for _, dst := range []*uint64{&c.v, &c.base, &n} {
		x, k := binary.Uvarint(b)
		if k <= 0 {
			return change{}, errBadBusMessage
		}
		*dst, b = x, b[k:]
	}
	if n > uint64(len(b)) {
		return change{}, errBadBusMessage
	}
	c.data, c.msg = b[:n], b[n:]
	return c, nil
}

// control is every other message, in JSON after its kind byte.
type control struct {
	Token string          `json:"t,omitempty"`
	ID    string          `json:"id,omitempty"`   // busEvent
	Name  string          `json:"n,omitempty"`    // busEvent
	Data  json.RawMessage `json:"d,omitempty"`    // busEvent
	Use   use             `json:"u,omitempty"`    // busTouch: how the page was used; useTouch for "watched"
	Code  string          `json:"c,omitempty"`    // busEnd, busReply: the protocol's error code, "" for success
	Msg   string          `json:"m,omitempty"`    // busReply: the error's message
	V     uint64          `json:"v,omitempty"`    // busReply: the page's version after the event
	Moved bool            `json:"move,omitempty"` // busReply: the instance does not own the page
}

func (c control) encode(kind byte) []byte {
	b, _ := json.Marshal(c) // plain strings and numbers: cannot fail
	return append([]byte{kind}, b...)
}

func decodeControl(b []byte) (control, error) {
	var c control
	if err := json.Unmarshal(b[1:], &c); err != nil {
		return control{}, fmt.Errorf("%w: %w", errBadBusMessage, err)
	}
	return c, nil
}

// result is the event's result that a reply carries.
func (c control) result() *protocol.Error {
	if c.Code == "" {
		return nil
	}
	return &protocol.Error{Code: c.Code, Message: c.Msg}
}

func eventRequest(tok string, e Event) []byte {
	return control{Token: tok, ID: e.ID, Name: e.Name, Data: e.Data}.encode(busEvent)
}

func eventReply(res *protocol.Error, v uint64) []byte {
	c := control{V: v}
	if res != nil {
		c.Code, c.Msg = res.Code, res.Message
	}
	return c.encode(busReply)
}

package livetemplate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// The messages that the instances of a [Cluster] send each other. A page's
// owner publishes changes (busDiff, busState), pushes (busPush) and its end
// (busEnd) to the page's followers; a follower sends the owner events
// (busEvent), the data of its Page.Update and Page.Modify calls (busUpdate)
// and its pushes (busPush), each answered with a busReply, uses of the page
// (busTouch) and its Page.Close (busClose). An owner that shuts down tells
// the followers (busHandoff).
const (
	busDiff    byte = 'd' // a change: version, base, the data and the diff message
	busState   byte = 's' // the page's whole state, for followers that may have missed changes
	busEnd     byte = 'e' // the page ended: the protocol's error code
	busEvent   byte = 'E' // an event for the owner to run
	busTouch   byte = 't' // a use of the page on a follower
	busReply   byte = 'r' // the owner's answer to an event
	busClose   byte = 'c' // a follower's Page.Close, for the owner to close the page
	busUpdate  byte = 'U' // a follower's Page.Update, for the owner to apply
	busPush    byte = 'p' // a Page.Push: a follower's for the owner, the owner's for the followers
	busHandoff byte = 'h' // the owner shut down and gave the page up: take it over
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
	if len(b) == 0 || (b[0] != busDiff && b[0] != busState) {
		return change{}, errBadBusMessage
	}
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
	Name  string          `json:"n,omitempty"`    // busEvent, busPush
	Data  json.RawMessage `json:"d,omitempty"`    // busEvent, busPush
	Seq   uint64          `json:"q,omitempty"`    // busEvent: its number in its tab, 0 for none
	Who   json.RawMessage `json:"w,omitempty"`    // busEvent: the identity of the sender's connection (WithConnect)
	Use   use             `json:"u,omitempty"`    // busTouch: how the page was used; useTouch for "watched"
	Code  string          `json:"c,omitempty"`    // busEnd, busReply: the protocol's error code, "" for success
	Msg   string          `json:"m,omitempty"`    // busReply: the error's message
	V     uint64          `json:"v,omitempty"`    // busReply: the page's version after the event or update
	Moved bool            `json:"move,omitempty"` // busReply: the instance does not own the page
	Reply json.RawMessage `json:"r,omitempty"`    // busReply: the reply of the event's handler
	// Pushes, of a busReply to a busEvent: the handler's pushes to the
	// event's sender, each a push message.
	Pushes []json.RawMessage `json:"p,omitempty"`

	// A busReply to a busUpdate: the Update that the owner's change made
	// (Base 0 and Body the whole page when the owner had applied this
	// update already), or Conflict when the record was not at the
	// revision that the update was conditioned on.
	Base     uint64          `json:"b,omitempty"`
	Body     json.RawMessage `json:"body,omitempty"`
	Conflict bool            `json:"x,omitempty"`
}

func (c control) encode(kind byte) []byte {
	// Strings, numbers and a Body that the engine encoded: cannot fail.
	b, _ := json.Marshal(c)
	return append([]byte{kind}, b...)
}

func decodeControl(b []byte) (control, error) {
	if len(b) == 0 {
		return control{}, errBadBusMessage
	}
	var c control
	if err := json.Unmarshal(b[1:], &c); err != nil {
		return control{}, fmt.Errorf("%w: %w", errBadBusMessage, err)
	}
	return c, nil
}

// result is the event's result that a reply carries.
func (c control) result() result {
	if c.Code == "" {
		return result{reply: c.Reply, pushes: c.Pushes}
	}
	return result{err: &protocol.Error{Code: c.Code, Message: c.Msg}, pushes: c.Pushes}
}

func eventRequest(tok string, e Event, who json.RawMessage) []byte {
	return control{Token: tok, ID: e.ID, Name: e.Name, Data: e.Data, Seq: e.seq, Who: who}.encode(busEvent)
}

func eventReply(res result, v uint64) []byte {
	c := control{V: v, Reply: res.reply, Pushes: res.pushes}
	if res.err != nil {
		c.Code, c.Msg = res.err.Code, res.err.Message
	}
	return c.encode(busReply)
}

// updateRequest is a busUpdate: new data for the page of token, encoded by
// the cluster's codec, under an id that the owner remembers as it
// remembers events' (so that a resent request is applied once). cond
// applies it only if the page's record is still at revision rev: the
// revision that a follower's Page.Modify read.
type updateRequest struct {
	token, id string
	cond      bool
	rev       uint64
	data      []byte
}

// at is the revision of the page's record that the update is conditioned
// on, or anyRevision.
func (u updateRequest) at() uint64 {
	if u.cond {
		return u.rev
	}
	return anyRevision
}

// encode encodes u: the kind, rev+1 when cond (else 0), the token and the
// id each after its length, then the data.
func (u updateRequest) encode() []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(u.token)+len(u.id)+len(u.data))
	b = append(b, busUpdate)
	var cond uint64
	if u.cond {
		cond = u.rev + 1
	}
	b = binary.AppendUvarint(b, cond)
	b = binary.AppendUvarint(b, uint64(len(u.token)))
	b = append(b, u.token...)
	b = binary.AppendUvarint(b, uint64(len(u.id)))
	b = append(b, u.id...)
	return append(b, u.data...)
}

func decodeUpdate(b []byte) (updateRequest, error) {
	if len(b) == 0 || b[0] != busUpdate {
		return updateRequest{}, errBadBusMessage
	}
	b = b[1:]
	cond, k := binary.Uvarint(b)
	if k <= 0 {
		return updateRequest{}, errBadBusMessage
	}
	b = b[k:]
	var u updateRequest
	if cond > 0 {
		u.cond, u.rev = true, cond-1
	}
	for _, dst := range []*string{&u.token, &u.id} {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return updateRequest{}, errBadBusMessage
		}
		*dst, b = string(b[k:k+int(n)]), b[k+int(n):]
	}
	if u.token == "" || u.id == "" {
		return updateRequest{}, errBadBusMessage
	}
	u.data = b
	return u, nil
}

// updateReply is the owner's answer to a busUpdate: the Update its change
// made, or the error that refused it.
func updateReply(u Update, res *protocol.Error) []byte {
	if res != nil {
		return eventReply(failed(res), 0)
	}
	return control{V: u.Version, Base: u.Base, Body: u.Body}.encode(busReply)
}

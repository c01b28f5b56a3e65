package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livetemplate/livetemplate"
)

// store is the livetemplate.Store of a cluster: one key per page
// ("page.<id>") in the bucket, written with compare-and-swap on the key's
// revision and a per-key time to live.
type store struct {
	cfg    *config
	bucket atomic.Pointer[bucket] // set by Start
}

// bucket is the opened key-value bucket.
type bucket struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
}

var errNotStarted = errors.New("cluster: the store is used before NewApplication started the cluster")

func (s *store) open() (*bucket, error) {
	b := s.bucket.Load()
	if b == nil {
		return nil, errNotStarted
	}
	return b, nil
}

func pageKey(id string) string { return "page." + id }

// Get implements livetemplate.Store.
func (s *store) Get(ctx context.Context, id string) (livetemplate.PageRecord, error) {
	b, err := s.open()
	if err != nil {
		return livetemplate.PageRecord{}, err
	}
	e, err := b.kv.Get(ctx, pageKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return livetemplate.PageRecord{}, livetemplate.ErrPageNotFound
	}
	if err != nil {
		return livetemplate.PageRecord{}, fmt.Errorf("cluster: get page %s: %w", id, err)
	}
	rec, err := s.decodeRecord(e.Value())
	if err != nil {
		return livetemplate.PageRecord{}, fmt.Errorf("cluster: get page %s: %w", id, err)
	}
	rec.Revision = e.Revision()
	return rec, nil
}

// Put implements livetemplate.Store.
func (s *store) Put(ctx context.Context, id string, rec livetemplate.PageRecord, ttl time.Duration) (uint64, error) {
	b, err := s.open()
	if err != nil {
		return 0, err
	}
	value, err := s.encodeRecord(rec)
	if err != nil {
		return 0, fmt.Errorf("cluster: put page %s: %w", id, err)
	}
	ttl = wholeSeconds(ttl)
	if rec.Revision == 0 {
		rev, err := b.kv.Create(ctx, pageKey(id), value, jetstream.KeyTTL(ttl))
		if errors.Is(err, jetstream.ErrKeyExists) {
			return 0, livetemplate.ErrVersionConflict
		}
		if err != nil {
			return 0, fmt.Errorf("cluster: create page %s: %w", id, err)
		}
		return rev, nil
	}
	rev, err := s.swap(ctx, b, pageKey(id), value, rec.Revision, ttl)
	if isWrongRevision(err) {
		return 0, s.whyRefused(ctx, b, id)
	}
	if err != nil {
		return 0, fmt.Errorf("cluster: put page %s: %w", id, err)
	}
	return rev, nil
}

// swap writes value under key if the key's revision is rev, with a time to
// live: the key-value API's Update cannot set one, so this publishes to the
// bucket's stream as Update does.
func (s *store) swap(ctx context.Context, b *bucket, key string, value []byte, rev uint64, ttl time.Duration) (uint64, error) {
	m := &nats.Msg{Subject: "$KV." + s.cfg.bucket + "." + key, Data: value, Header: nats.Header{}}
	ack, err := b.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(ttl))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// whyRefused is the error of a refused compare-and-swap: the record is gone,
// or another revision of it is there.
func (s *store) whyRefused(ctx context.Context, b *bucket, id string) error {
	_, err := b.kv.Get(ctx, pageKey(id))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return livetemplate.ErrPageNotFound
	case err != nil:
		return fmt.Errorf("cluster: put page %s: %w", id, err)
	}
	return livetemplate.ErrVersionConflict
}

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Delete implements livetemplate.Store. It purges the key, leaving a marker
// that expires after a minute, so that deleted pages leave nothing behind.
func (s *store) Delete(ctx context.Context, id string) error {
	b, err := s.open()
	if err != nil {
		return err
	}
	if err := b.kv.Purge(ctx, pageKey(id), jetstream.PurgeTTL(time.Minute)); err != nil {
		return fmt.Errorf("cluster: delete page %s: %w", id, err)
	}
	return nil
}

// wholeSeconds rounds d up to whole seconds, at least one: JetStream's
// times to live are whole seconds.
func wholeSeconds(d time.Duration) time.Duration {
	return max(time.Second, (d + time.Second - 1).Truncate(time.Second))
}

// recordHeader is a record's value before its data: one line of JSON.
type recordHeader struct {
	Template string        `json:"t"`
	Version  uint64        `json:"v"`
	Owner    string        `json:"o,omitempty"`
	Events   []eventResult `json:"e,omitempty"`
	Marks    []eventMark   `json:"m,omitempty"`
	Topic    uint64        `json:"q,omitempty"` // the record's TopicMark
}

// eventMark is a tab's high-water mark in a record.
type eventMark struct {
	Tab string `json:"t"`
	Seq uint64 `json:"s"`
}

// eventResult is an event's result in a record: a JSON string, the event's
// id, for an event whose handler succeeded without a reply (most of them),
// else an object with the id, and the error's code and its message or the
// handler's reply.
type eventResult struct {
	ID, Code, Message, Reply string
}

// eventError is the encoding of an event's error or reply.
type eventError struct {
	ID      string          `json:"i"`
	Code    string          `json:"c,omitempty"`
	Message string          `json:"m,omitempty"`
	Reply   json.RawMessage `json:"r,omitempty"`
}

func (e eventResult) MarshalJSON() ([]byte, error) {
	if e.Code == "" && e.Message == "" && e.Reply == "" {
		return json.Marshal(e.ID)
	}
	return json.Marshal(eventError{ID: e.ID, Code: e.Code, Message: e.Message, Reply: json.RawMessage(e.Reply)})
}

func (e *eventResult) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*e = eventResult{}
		return json.Unmarshal(b, &e.ID)
	}
	var x eventError
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	// Compact, as the encoding is: a record reads back as it was written.
	var reply bytes.Buffer
	if len(x.Reply) > 0 {
		if err := json.Compact(&reply, x.Reply); err != nil {
			return err
		}
	}
	*e = eventResult{ID: x.ID, Code: x.Code, Message: x.Message, Reply: reply.String()}
	return nil
}

// encodeRecord encodes rec as its header, a newline and its encoded data. The
// header carries the last results of rec.Events and the last marks of
// rec.Marks, as many of each as WithEventWindow.
func (s *store) encodeRecord(rec livetemplate.PageRecord) ([]byte, error) {
	data, err := s.cfg.encode(rec.Template, rec.Data)
	if err != nil {
		return nil, err
	}
	h := recordHeader{Template: rec.Template, Version: rec.Version, Owner: rec.Owner, Topic: rec.TopicMark}
	for _, e := range rec.Events[max(0, len(rec.Events)-s.cfg.events):] {
		h.Events = append(h.Events, eventResult(e))
	}
	for _, k := range rec.Marks[max(0, len(rec.Marks)-s.cfg.events):] {
		h.Marks = append(h.Marks, eventMark(k))
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	return append(b, data...), nil
}

func (s *store) decodeRecord(value []byte) (livetemplate.PageRecord, error) {
	line, data, ok := bytes.Cut(value, []byte{'\n'})
	if !ok {
		return livetemplate.PageRecord{}, errors.New("malformed record")
	}
	var h recordHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return livetemplate.PageRecord{}, fmt.Errorf("malformed record: %w", err)
	}
	d, err := s.cfg.decode(h.Template, data)
	if err != nil {
		return livetemplate.PageRecord{}, err
	}
	rec := livetemplate.PageRecord{Template: h.Template, Data: d, Version: h.Version, Owner: h.Owner, TopicMark: h.Topic}
	for _, e := range h.Events {
		rec.Events = append(rec.Events, livetemplate.EventResult(e))
	}
	for _, k := range h.Marks {
		rec.Marks = append(rec.Marks, livetemplate.EventMark(k))
	}
	return rec, nil
}

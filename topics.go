package livetemplate

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/livetemplate/livetemplate/internal/protocol"
	"github.com/livetemplate/livetemplate/internal/topic"
)

// DefaultTopicQueue is how many messages of topics may wait for one page's
// handlers (see [WithTopicQueue]).
const DefaultTopicQueue = 256

// MaxTopicLen is the longest topic name, in bytes.
const MaxTopicLen = 64

// ErrUnknownTopic: no template of the application handles the topic (see
// [Application.HandleTopic]).
var ErrUnknownTopic = errors.New("unknown topic")

// A Message is what [Application.Publish] sent to a topic.
type Message struct {
	// Topic is the topic's name.
	Topic string
	// ID is the message's id: each page handles each id once.
	ID string
	// Data is the message's data, as JSON.
	Data json.RawMessage

	seq uint64 // its number in the cluster's TopicLog; 0 for none
}

// Decode decodes the message's data into v, as [json.Unmarshal] does.
func (m Message) Decode(v any) error {
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("livetemplate: message of topic %q: data: %w", m.Topic, err)
	}
	return nil
}

// A TopicHandler handles a message of a topic on one page: typically it
// decides whether the message concerns the page (its user, its filters)
// and changes the page with [Page.Modify]. It runs as an event handler
// does: in the page's turn, one at a time with the page's events and other
// messages, once per message id, with a context bounded by
// [WithEventTimeout] that carries no identity (no connection sent it). Its
// error or panic is logged.
type TopicHandler func(ctx context.Context, p *Page, m Message) error

// WithTopicQueue sets how many messages of topics may wait for one page's
// handlers: past it, a page drops the messages that come (and the
// application logs it) until its handlers catch up, so that a publisher
// faster than a page costs bounded memory. Default: [DefaultTopicQueue].
func WithTopicQueue(n int) Option {
	return func(c *config) { c.topicQueue = n }
}

// HandleTopic registers h to handle the messages of topic on every live
// page of the template registered as templateName. A topic's name has 1 to
// [MaxTopicLen] bytes of letters, digits, '-' and '_'. It fails with
// [ErrUnknownTemplate] if there is no such template, and if the template
// has a handler of the topic already.
func (a *Application) HandleTopic(templateName, topicName string, h TopicHandler) error {
	if err := validTopic(topicName); err != nil {
		return fmt.Errorf("livetemplate: handle topic: %w", err)
	}
	if h == nil {
		return fmt.Errorf("livetemplate: handle topic %q: nil handler", topicName)
	}
	a.tmu.Lock()
	defer a.tmu.Unlock()
	if a.templates[templateName] == nil {
		return fmt.Errorf("livetemplate: handle topic %q: template %q: %w", topicName, templateName, ErrUnknownTemplate)
	}
	key := handlerKey{templateName, topicName}
	if a.topicHandlers[key] != nil {
		return fmt.Errorf("livetemplate: handle topic %q: template %q already has a handler for it", topicName, templateName)
	}
	if a.topicHandlers == nil {
		a.topicHandlers = make(map[handlerKey]TopicHandler)
	}
	a.topicHandlers[key] = h
	return a.topics.subscribe(a, topicName)
}

// Publish sends data, encoded as JSON, to topic: every live page of a
// template that handles the topic runs its handler with it, once, in its
// own turn, on the instance that owns the page (in a cluster, every
// instance gets the message through the cluster and runs it on the pages
// it owns). It returns the message's id once the message is on its way,
// before the pages have handled it. It fails with [ErrUnknownTopic] when
// no template handles the topic, and with [ErrLimitReached] for data
// larger than [WithMaxMessageSize].
//
// A page that is not live anywhere (ended, or in the store only) does not
// get the message. In a cluster whose [Cluster] is a [TopicLog] (as
// cluster.WithNATS's is), Publish returns once the log keeps the message,
// and a page whose owner dies before it ran the message runs it on the
// instance that takes it over; with another Cluster, such a page does not
// get the message.
func (a *Application) Publish(ctx context.Context, topicName string, data any) (string, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("livetemplate: publish to %q: %w", topicName, err)
	}
	id := rand.Text()
	m := Message{Topic: topicName, ID: id, Data: b}
	switch {
	case !a.handlesTopic(topicName):
		return "", fmt.Errorf("livetemplate: publish to %q: %w", topicName, ErrUnknownTopic)
	case len(b) > a.cfg.maxMessageSize:
		return "", fmt.Errorf("livetemplate: publish to %q: %d bytes, past WithMaxMessageSize: %w", topicName, len(b), ErrLimitReached)
	case ctx.Err() != nil:
		return "", fmt.Errorf("livetemplate: publish to %q: %w", topicName, ctx.Err())
	}
	if c := a.cfg.cluster; c != nil {
		enc, _ := json.Marshal(m) // strings and JSON: cannot fail
		send := func() error { return c.Publish(topicSubject(topicName), enc) }
		if log, ok := a.topicLog(); ok {
			send = func() error { return log.AppendTopic(ctx, topicName, enc) }
		}
		if err := callErr(a, "Cluster.Publish", send); err != nil {
			return "", fmt.Errorf("livetemplate: publish to %q: %w", topicName, err)
		}
		return id, nil // this instance gets it from the cluster too
	}
	a.deliver(m)
	return id, nil
}

// handlesTopic reports whether some template handles the topic.
func (a *Application) handlesTopic(name string) bool {
	a.tmu.RLock()
	defer a.tmu.RUnlock()
	for k := range a.topicHandlers {
		if k.event == name {
			return true
		}
	}
	return false
}

// topicHandler returns the handler of the topic for a template, or nil.
func (a *Application) topicHandler(templateName, topicName string) TopicHandler {
	a.tmu.RLock()
	defer a.tmu.RUnlock()
	return a.topicHandlers[handlerKey{templateName, topicName}]
}

// deliver queues m for every live page that this instance owns and whose
// template handles its topic.
func (a *Application) deliver(m Message) {
	for _, p := range a.pages.owned() {
		if a.topicHandler(p.tmpl.name, m.Topic) != nil {
			a.queue(p, m)
		}
	}
}

// queue queues m for p, or logs that p's queue is full.
func (a *Application) queue(p *Page, m Message) {
	if !a.topics.lanes.Push(p, m) && a.events.Err() == nil {
		a.logError("livetemplate: a page's topic queue is full: the message is dropped for it (see WithTopicQueue)",
			slog.Any("page", p), slog.String("topic", m.Topic), slog.String("id", m.ID))
	}
}

// runMessage runs the handler of m on p, once per message, if this
// instance owns p. A run that could not happen now (the page busy, the
// instance without its lease for a moment, its record's write refused) is
// tried again until WithEventTimeout has passed: a page that another
// instance took over meanwhile gets the message from that instance.
func (a *Application) runMessage(p *Page, m Message) {
	h := a.topicHandler(p.tmpl.name, m.Topic)
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(a.events, a.cfg.eventTimeout)
	defer cancel()
	asEvent := func(ctx context.Context, p *Page, _ Event) error { return h(ctx, p, m) }
	var retry backoff
	for {
		res, owned := p.runChange(ctx, asEvent, Event{Name: m.Topic, ID: topicPrefix + m.ID}, messageChange(m))
		if !owned || res.err == nil {
			return
		}
		if res.err.Code != protocol.CodeUnavailable || retry.wait(ctx) != nil {
			if a.events.Err() != nil {
				return // the application closes: another instance takes the page over
			}
			a.logError("livetemplate: topic handler failed", slog.Any("page", p), slog.String("topic", m.Topic), slog.String("code", res.err.Code), slog.String("error", res.err.Message))
			return
		}
	}
}

// topicPrefix sets the ids of messages apart from those of events among a
// page's results.
const topicPrefix = "topic:"

// topics is an application's part of the topics: the lanes of its pages'
// messages, and its subscriptions to the cluster's subjects of the topics
// it handles, or its following of the cluster's TopicLog. mu guards subs
// and unfollow. feed orders the messages of the log on this instance:
// deliverLogged holds it while it queues a message for the pages that the
// instance owns, takeOver while it makes the instance a page's owner and
// queues the messages that the page's former owner had not run, so that
// those come before any later one; it guards cursor. Lock order: a page's
// change lock, feed, the lanes' lock.
type topics struct {
	lanes    *topic.Lanes[*Page, Message]
	mu       sync.Mutex
	subs     map[string]func() // unsubscribe, by topic
	unfollow func()            // ends the following of the log; nil before it
	feed     sync.Mutex
	cursor   uint64 // the number of the log's latest message that this instance queued or saw
}

func (t *topics) init(a *Application) {
	t.lanes = topic.New(a.cfg.topicQueue, a.runMessage)
}

// subscribe subscribes the application to the cluster's subject of the
// topic, once.
func (t *topics) subscribe(a *Application, name string) error {
	c := a.cfg.cluster
	if c == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if log, ok := a.topicLog(); ok {
		return t.followLocked(a, log)
	}
	if t.subs[name] != nil {
		return nil
	}
	unsub, err := call(a, "Cluster.Subscribe", func() (func(), error) {
		return c.Subscribe(topicSubject(name), func(b []byte) {
			if m, ok := decodeMessage(name, b); ok {
				a.deliver(m)
			}
		})
	})
	if err != nil {
		return fmt.Errorf("livetemplate: handle topic %q: subscribe: %w", name, err)
	}
	if t.subs == nil {
		t.subs = make(map[string]func())
	}
	t.subs[name] = unsub
	return nil
}

// close ends the subscriptions, then the lanes.
func (t *topics) close() {
	t.mu.Lock()
	for _, unsub := range t.subs {
		unsub()
	}
	t.subs = nil
	unfollow := t.unfollow
	t.mu.Unlock()
	if unfollow != nil {
		unfollow()
	}
	t.lanes.Close()
}

// topicSubject is the name under which the cluster carries a topic's
// messages: apart from every page's, whose ids have no dot.
func topicSubject(name string) string { return "topic." + name }

func validTopic(name string) error {
	if name == "" || len(name) > MaxTopicLen {
		return fmt.Errorf("topic %q: the name must have 1 to %d bytes", name, MaxTopicLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("topic %q: the name may have letters, digits, '-' and '_' only", name)
		}
	}
	return nil
}

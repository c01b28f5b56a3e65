package livetemplate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
)

// A TopicLog is a [Cluster] that keeps the messages of topics for a while,
// numbered in the order they came: with it, each message of a topic reaches
// the owner of every live page that handles the topic at least once, and
// runs on the page once, even when the page's owner dies before it ran the
// message (the instance that takes the page over runs it). The cluster of
// package github.com/livetemplate/livetemplate/cluster (cluster.WithNATS)
// is one. A Cluster that is no TopicLog carries the messages with Publish
// and Subscribe: a page whose owner dies first does not get them.
type TopicLog interface {
	// AppendTopic adds msg, a message of the topic, to the log, and
	// returns once the log keeps it.
	AppendTopic(ctx context.Context, topic string, msg []byte) error
	// FollowTopics calls deliver, one call at a time, with each message
	// added to the log from now on, in the order of their numbers, with
	// its number and topic, until stop returns. last is the number of the
	// log's latest message before (0 for none). Numbers grow across all
	// topics, from 1.
	FollowTopics(deliver func(seq uint64, topic string, msg []byte)) (last uint64, stop func(), err error)
	// ReplayTopics calls fn, in the order of their numbers, with each
	// message of the topics whose number is above after and at most upTo,
	// among those that the log still keeps.
	ReplayTopics(ctx context.Context, topics []string, after, upTo uint64, fn func(seq uint64, topic string, msg []byte)) error
}

// topicLog returns the application's cluster as a TopicLog, if it is one.
// Calls of it go through call, as those of a guardedCluster do.
func (a *Application) topicLog() (TopicLog, bool) {
	c := a.cfg.cluster
	if g, ok := c.(*guardedCluster); ok {
		c = g.c
	}
	log, ok := c.(TopicLog)
	return log, ok
}

// followLocked follows the cluster's log, once. t.mu is held.
func (t *topics) followLocked(a *Application, log TopicLog) error {
	if t.unfollow != nil {
		return nil
	}
	var last uint64
	stop, err := call(a, "TopicLog.FollowTopics", func() (func(), error) {
		var (
			stop func()
			err  error
		)
		last, stop, err = log.FollowTopics(func(seq uint64, topic string, b []byte) {
			if m, ok := decodeMessage(topic, b); ok {
				m.seq = seq
				t.deliverLogged(a, m)
			}
		})
		return stop, err
	})
	if err != nil {
		return fmt.Errorf("livetemplate: handle topic: follow the cluster's topics: %w", err)
	}
	t.unfollow = func() { callErr(a, "TopicLog.FollowTopics's stop", func() error { stop(); return nil }) }
	t.feed.Lock()
	t.cursor = max(t.cursor, last)
	t.feed.Unlock()
	return nil
}

// decodeMessage decodes a message of the topic that the cluster carried.
func decodeMessage(topic string, b []byte) (Message, bool) {
	var m Message
	if json.Unmarshal(b, &m) != nil || m.Topic != topic || m.ID == "" {
		return Message{}, false
	}
	return m, true
}

// deliverLogged queues m, a message of the log, for the pages that this
// instance owns.
func (t *topics) deliverLogged(a *Application, m Message) {
	t.feed.Lock()
	defer t.feed.Unlock()
	t.cursor = max(t.cursor, m.seq)
	a.deliver(m)
}

// position is the number of the log's latest message that this instance
// saw: the topic mark of a page made now.
func (t *topics) position() uint64 {
	t.feed.Lock()
	defer t.feed.Unlock()
	return t.cursor
}

// takeOver makes this instance the owner of p with own, and queues for p
// the messages of the log that came after its topic mark and before those
// that the instance will queue from now on: those that p's former owner
// had not run. The change lock of p is held.
func (t *topics) takeOver(p *Page, own func()) {
	t.feed.Lock()
	defer t.feed.Unlock()
	own()
	a := p.app
	log, ok := a.topicLog()
	after, upTo := p.turns.topicMarkNow(), t.cursor
	names := a.topicsOf(p.tmpl.name)
	if !ok || after >= upTo || len(names) == 0 {
		return
	}
	ctx, cancel := a.storeContext(a.ctx)
	defer cancel()
	err := callErr(a, "TopicLog.ReplayTopics", func() error {
		return log.ReplayTopics(ctx, names, after, upTo, func(seq uint64, topic string, b []byte) {
			if m, ok := decodeMessage(topic, b); ok && slices.Contains(names, topic) {
				m.seq = seq
				a.queue(p, m)
			}
		})
	})
	if err != nil {
		a.logError("livetemplate: a page taken over may miss messages of topics that its former owner had not run",
			slog.Any("page", p), slog.Any("error", err))
	}
}

// topicsOf returns the topics that the template handles.
func (a *Application) topicsOf(templateName string) []string {
	a.tmu.RLock()
	defer a.tmu.RUnlock()
	var names []string
	for k := range maps.Keys(a.topicHandlers) {
		if k.template == templateName {
			names = append(names, k.event)
		}
	}
	return names
}

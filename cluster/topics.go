package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livetemplate/livetemplate"
)

// The messages of topics (livetemplate's Application.Publish) go to a
// JetStream stream, so that the instance that takes a page over can run
// those its former owner had not: see livetemplate.TopicLog.

const (
	// TopicRetention is how long the cluster keeps a message of a topic:
	// an instance that takes a page over runs the messages its former owner
	// had not run, among those it keeps.
	TopicRetention = 10 * time.Minute
	// TopicLogBytes bounds the bytes of the messages of topics that the
	// cluster keeps: past it, the oldest go first.
	TopicLogBytes = 64 << 20
)

var _ livetemplate.TopicLog = (*node)(nil)

// topicLog is a node's stream of the messages of topics, opened on first
// use. mu guards stream.
type topicLog struct {
	mu     sync.Mutex
	stream jetstream.Stream
}

// topicStream opens the stream of the messages of topics: the bucket's
// name and "_topics", on the subjects prefix.topic.<topic>.
func (n *node) topicStream(ctx context.Context) (jetstream.Stream, error) {
	n.topics.mu.Lock()
	defer n.topics.mu.Unlock()
	if n.topics.stream != nil {
		return n.topics.stream, nil
	}
	b, err := n.store.open()
	if err != nil {
		return nil, err
	}
	s, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.cfg.bucket + "_topics",
		Description: "LiveTemplate messages of topics",
		Subjects:    []string{n.topicSubject("*")},
		MaxAge:      TopicRetention,
		MaxBytes:    TopicLogBytes,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    n.cfg.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: stream of the topics: %w", err)
	}
	n.topics.stream = s
	return s, nil
}

func (n *node) topicSubject(topic string) string { return n.cfg.subjects + ".topic." + topic }

func (n *node) AppendTopic(ctx context.Context, topic string, msg []byte) error {
	if _, err := n.topicStream(ctx); err != nil {
		return err
	}
	b, err := n.store.open()
	if err != nil {
		return err
	}
	if _, err := b.js.Publish(ctx, n.topicSubject(topic), msg); err != nil {
		return fmt.Errorf("cluster: append to topic %q: %w", topic, err)
	}
	return nil
}

// followStop bounds the wait for the end of the following of the topics.
const followStop = 5 * time.Second

func (n *node) FollowTopics(deliver func(seq uint64, topic string, msg []byte)) (uint64, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := n.topicStream(ctx)
	if err != nil {
		return 0, nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: stream of the topics: %w", err)
	}
	last := info.State.LastSeq
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   last + 1,
	})
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: follow the topics: %w", err)
	}
	prefix := n.topicSubject("")
	cc, err := c.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil || !n.enter() {
			return
		}
		defer n.running.Done()
		deliver(md.Sequence.Stream, strings.TrimPrefix(m.Subject(), prefix), m.Data())
	})
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: follow the topics: %w", err)
	}
	stop := func() {
		cc.Stop()
		t := time.NewTimer(followStop)
		defer t.Stop()
		select {
		case <-cc.Closed():
		case <-t.C:
		}
	}
	return last, stop, nil
}

func (n *node) ReplayTopics(ctx context.Context, topics []string, after, upTo uint64, fn func(seq uint64, topic string, msg []byte)) error {
	s, err := n.topicStream(ctx)
	if err != nil {
		return err
	}
	prefix := n.topicSubject("")
	for seq := after + 1; seq <= upTo; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(n.topicSubject("*")))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("cluster: replay the topics from %d: %w", seq, err)
		case m.Sequence > upTo:
			return nil
		}
		if topic := strings.TrimPrefix(m.Subject, prefix); slices.Contains(topics, topic) {
			fn(m.Sequence, topic, m.Data)
		}
		seq = m.Sequence + 1
	}
	return nil
}

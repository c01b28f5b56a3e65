package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// lease is an instance's lease: the key "instance.<id>" in the bucket, with a
// time to live of the lease's length, renewed every third of it. The
// instance holds the lease until the length after the start of its last
// successful renewal: the key expires no sooner, so no other instance takes
// its pages over while it holds it.
type lease struct {
	b       *bucket
	subject string
	key     string
	length  time.Duration
	renewed atomic.Int64 // Unix nanoseconds: start of the last successful renewal
	// regained is called when a renewal succeeds after the lease lapsed.
	regained func()

	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func leaseKey(instance string) string { return "instance." + instance }

// takeLease creates the instance's lease key and starts renewing it.
func takeLease(ctx context.Context, b *bucket, self string, length time.Duration, regained func()) (*lease, error) {
	l := &lease{b: b, key: leaseKey(self), length: wholeSeconds(length), regained: regained, done: make(chan struct{})}
	l.subject = "$KV." + b.kv.Bucket() + "." + l.key
	start := time.Now()
	if _, err := b.kv.Create(ctx, l.key, []byte(start.UTC().Format(time.RFC3339Nano)), jetstream.KeyTTL(l.length)); err != nil {
		return nil, fmt.Errorf("take the instance's lease: %w", err)
	}
	l.renewed.Store(start.UnixNano())
	l.wg.Add(1)
	go l.keep()
	return l, nil
}

func (l *lease) keep() {
	defer l.wg.Done()
	t := time.NewTicker(l.length / 3)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			l.renew()
		}
	}
}

// renew writes the lease key again, with a new time to live.
func (l *lease) renew() {
	start := time.Now()
	lapsed := !l.held()
	ctx, cancel := context.WithTimeout(context.Background(), l.length/3)
	defer cancel()
	m := &nats.Msg{Subject: l.subject, Data: []byte(start.UTC().Format(time.RFC3339Nano)), Header: nats.Header{}}
	if _, err := l.b.js.PublishMsg(ctx, m, jetstream.WithMsgTTL(l.length)); err != nil {
		return
	}
	l.renewed.Store(start.UnixNano())
	if lapsed {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.regained()
		}()
	}
}

// held reports whether the instance holds its lease now.
func (l *lease) held() bool {
	return time.Now().UnixNano() < l.renewed.Load()+int64(l.length)
}

func (l *lease) stop() {
	l.once.Do(func() { close(l.done) })
	l.wg.Wait()
}

// release deletes the lease key, so that other instances may take the
// instance's pages over at once.
func (l *lease) release() {
	l.renewed.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.b.kv.Purge(ctx, l.key, jetstream.PurgeTTL(time.Minute))
}

package livetemplate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// inbox is the data of a per-user page of the topics tests: the messages
// of the topic "notes" addressed to its user, or to everyone.
type inbox struct {
	User  string
	Notes []string
}

const inboxSrc = `<h1>{{.User}}</h1><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>`

type note struct{ To, Text string }

// runs counts the runs of the topic handler by page and message id.
type runs struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *runs) add(p *livetemplate.Page, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[p.ID()+"/"+id]++
}

// inboxApp returns an application with the template "inbox", whose pages
// take the notes of the topic "notes" meant for them.
func inboxApp(t *testing.T, r *runs, opts ...livetemplate.Option) *livetemplate.Application {
	t.Helper()
	quiet := livetemplate.WithLogger(slog.New(slog.DiscardHandler))
	app := newApp(t, append([]livetemplate.Option{quiet}, opts...)...)
	register(t, app, "inbox", inboxSrc)
	err := app.HandleTopic("inbox", "notes", func(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
		var n note
		if err := m.Decode(&n); err != nil {
			return err
		}
		r.add(p, m.ID)
		_, err := p.Modify(ctx, func(data any) (any, error) {
			in := data.(inbox)
			if n.To != "" && n.To != in.User {
				return in, nil
			}
			in.Notes = append(slices.Clip(in.Notes), n.Text)
			return in, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// TestTopics: a publish reaches every page of the template that handles
// the topic, each once, and the clients of those pages see the change.
func TestTopics(t *testing.T) {
	var r runs
	app := inboxApp(t, &r)
	url := serve(t, app) + "/live"
	var pages []*livetemplate.Page
	for i := range 20 {
		pages = append(pages, newPage(t, app, "inbox", inbox{User: []string{"alice", "bob"}[i%2]}))
	}
	alice := join(t, dial(t, url), pages[0].GetToken())
	bob := join(t, dial(t, url), pages[1].GetToken())
	ctx := testContext(t)
	var ids []string
	for _, n := range []note{{"", "hello all"}, {"alice", "for alice"}, {"bob", "for bob"}, {"", "bye"}} {
		id, err := app.Publish(ctx, "notes", n)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	waitHTML(t, alice, inboxSrc, inbox{User: "alice", Notes: []string{"hello all", "for alice", "bye"}})
	waitHTML(t, bob, inboxSrc, inbox{User: "bob", Notes: []string{"hello all", "for bob", "bye"}})
	deadline := time.Now().Add(10 * time.Second)
	for r.total() < len(pages)*len(ids) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range pages {
		for _, id := range ids {
			if n := r.n[p.ID()+"/"+id]; n != 1 {
				t.Errorf("page %s ran message %s %d times, want 1", p.ID(), id, n)
			}
		}
	}
}

func (r *runs) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.n {
		n += c
	}
	return n
}

// TestTopicsBadInput: topics no template handles, names that are not
// names, messages past WithMaxMessageSize and data that is not JSON are
// refused.
func TestTopicsBadInput(t *testing.T) {
	var r runs
	app := inboxApp(t, &r, livetemplate.WithMaxMessageSize(1024))
	ctx := testContext(t)
	if _, err := app.Publish(ctx, "nobody-listens", note{}); !errors.Is(err, livetemplate.ErrUnknownTopic) {
		t.Errorf("an unknown topic: %v, want ErrUnknownTopic", err)
	}
	if _, err := app.Publish(ctx, "notes", note{Text: strings.Repeat("x", 2000)}); !errors.Is(err, livetemplate.ErrLimitReached) {
		t.Errorf("a huge message: %v, want ErrLimitReached", err)
	}
	if _, err := app.Publish(ctx, "notes", func() {}); err == nil {
		t.Error("data that is not JSON: no error")
	}
	h := func(context.Context, *livetemplate.Page, livetemplate.Message) error { return nil }
	for _, name := range []string{"", "a.b", "a b", strings.Repeat("x", livetemplate.MaxTopicLen+1), "é"} {
		if err := app.HandleTopic("inbox", name, h); err == nil {
			t.Errorf("topic %q: no error", name)
		}
	}
	if err := app.HandleTopic("nosuch", "notes", h); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Errorf("an unknown template: %v", err)
	}
	if err := app.HandleTopic("inbox", "notes", h); err == nil {
		t.Error("a second handler of a topic: no error")
	}
	if _, err := livetemplate.NewApplication(livetemplate.WithTopicQueue(0)); err == nil {
		t.Error("WithTopicQueue(0): no error")
	}
}

// TestTopicsSlowPage: a publisher faster than a page's handler fills the
// page's queue, past which the page drops messages; other pages go on, and
// the slow page handles what it queued once its handler is free.
func TestTopicsSlowPage(t *testing.T) {
	app := newApp(t, livetemplate.WithLogger(slog.New(slog.DiscardHandler)), livetemplate.WithTopicQueue(3))
	register(t, app, "inbox", inboxSrc)
	release := make(chan struct{})
	var mu sync.Mutex
	handled := map[string]int{}
	err := app.HandleTopic("inbox", "notes", func(ctx context.Context, p *livetemplate.Page, m livetemplate.Message) error {
		if p.Data().(inbox).User == "slow" {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		mu.Lock()
		handled[p.Data().(inbox).User]++
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	newPage(t, app, "inbox", inbox{User: "slow"})
	newPage(t, app, "inbox", inbox{User: "fast"})
	ctx := testContext(t)
	count := func(user string) int {
		mu.Lock()
		defer mu.Unlock()
		return handled[user]
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := range 20 {
		if _, err := app.Publish(ctx, "notes", note{Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		for count("fast") <= i && time.Now().Before(deadline) { // as fast as the fast page
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	for count("slow") < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if f, s := count("fast"), count("slow"); f != 20 || s != 4 {
		t.Errorf("the fast page handled %d messages, the slow one %d; want 20, and 4: one running and 3 queued", f, s)
	}
}

// TestTopicsKeepEventIDs: messages of topics do not take the places of
// events among the ids a page remembers, so that a burst of messages
// cannot make a resent event run twice.
func TestTopicsKeepEventIDs(t *testing.T) {
	var r runs
	app := inboxApp(t, &r, livetemplate.WithDedupeWindow(4))
	var mu sync.Mutex
	adds := 0
	err := app.HandleEvent("inbox", "add", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		mu.Lock()
		adds++
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := newPage(t, app, "inbox", inbox{User: "alice"})
	ctx := testContext(t)
	client := join(t, dial(t, serve(t, app)+"/live"), page.GetToken())
	if err := client.EventID(ctx, "e1", "add", nil); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for i := range 10 {
		text := fmt.Sprint("n", i)
		if _, err := app.Publish(ctx, "notes", note{Text: text}); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, text)
	}
	waitHTML(t, client, inboxSrc, inbox{User: "alice", Notes: notes})
	if err := client.EventID(ctx, "e1", "add", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if adds != 1 {
		t.Errorf("the event ran %d times, want once: messages pushed its id out of the page's memory", adds)
	}
}

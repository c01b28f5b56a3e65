package notify_test

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/examples/chat"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
	"github.com/livetemplate/livetemplate/examples/notify"
	"github.com/livetemplate/livetemplate/examples/signin"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNotify: every chat message reaches every notifications page through
// the topic; a member's page keeps those that mention them, a guest's all.
func TestNotify(t *testing.T) {
	s := pagetest.Start(t, livetemplate.WithConnect(signin.Identify))
	if err := chat.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	if err := notify.Mount(s.App, s.Mux); err != nil {
		t.Fatal(err)
	}
	ctx := pagetest.Context(t)
	inbox := func(name string) *livetemplatetest.Page {
		var opts []livetemplatetest.Option
		if name != "" {
			opts = append(opts, livetemplatetest.WithHeader(http.Header{"Cookie": {signin.Cookie + "=" + name}}))
		}
		c, err := livetemplatetest.Dial(ctx, s.URL+"/notify/live", opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		p, err := c.Default(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	alice, guest := inbox("alice"), inbox("")
	room := s.Open(t, ctx, "/chat/")
	for _, text := range []string{"hello all", "hi @alice"} {
		if err := room.Event(ctx, "send", map[string]string{"name": "bob", "text": text}); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(p *livetemplatetest.Page, want, not string) {
		t.Helper()
		err := p.Wait(ctx, func(html string) bool { return strings.Contains(html, want) })
		if err != nil || (not != "" && strings.Contains(p.HTML(), not)) {
			t.Errorf("%v: %s; want %q, not %q", err, p.HTML(), want, not)
		}
	}
	wait(guest, "<b>bob</b> hello all</li>", "")
	wait(guest, "<b>bob</b> hi @alice</li>", "")
	wait(alice, "<b>bob</b> hi @alice</li>", "hello all")
	if !strings.Contains(alice.HTML(), "mention <b>@alice</b>") {
		t.Errorf("alice's page is not made for her: %s", alice.HTML())
	}
}

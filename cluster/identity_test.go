package cluster_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// member is the identity of the test's connections: a typed value with a
// nested one, as an application's session is.
type member struct {
	Name  string
	Roles []string
}

// TestIdentityForwarded: an event sent to an instance that does not own
// its page runs on the owner with the identity of the sender's connection,
// typed as WithConnect's function returned it.
func TestIdentityForwarded(t *testing.T) {
	connect := livetemplate.WithConnect(func(r *http.Request) (member, error) {
		return member{Name: r.Header.Get("X-User"), Roles: []string{"editor"}}, nil
	})
	ctx, _, ins, page := startCluster(t, 2, connect)
	for _, in := range ins {
		err := in.app.HandleEvent("counter", "whoami", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
			m, ok := livetemplate.Identity[member](ctx)
			if !ok || len(m.Roles) != 1 {
				m.Name = "nobody"
			}
			_, err := p.Modify(ctx, func(data any) (any, error) {
				c := data.(counter)
				c.Count++
				c.Log = append(c.Log, m.Name+"@"+in.name)
				return c, nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := livetemplatetest.Dial(ctx, ins[1].srv.URL, livetemplatetest.WithHeader(http.Header{"X-User": {"alice"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Join(ctx, page.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Event(ctx, "whoami", nil); err != nil {
		t.Fatal(err)
	}
	converge(t, ctx, counterHTML([]string{"alice@a"}), p)
}

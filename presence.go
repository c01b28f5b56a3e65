package livetemplate

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/livetemplate/livetemplate/internal/presence"
	"github.com/livetemplate/livetemplate/internal/roster"
)

// This file shares the viewers of pages between the instances of a
// cluster, so that Page.Presence is every instance's: each instance that
// has viewers of a page publishes its list of them at each change (on the
// cluster's subject of the page's presence), and keeps the lists the
// others publish. An instance whose lease lapses takes its lists with it.

// sharedPresence is an application's part of the cluster's presence. mu
// guards subs.
type sharedPresence struct {
	table presence.Table[Viewer]
	mu    sync.Mutex
	subs  map[*Page]func() // unsubscribe, by page with viewers here
	stop  chan struct{}    // closed by close: the sweep ends
	wg    sync.WaitGroup   // the sweep
	// telling is held while a WithJoinLeave function runs, so that they
	// run one at a time.
	telling sync.Mutex
}

// presenceMsg is an instance's list of the viewers of a page. Hello asks
// the others for theirs: the sender has just started to follow the page's
// presence.
type presenceMsg struct {
	Instance string           `json:"i"`
	Hello    bool             `json:"h,omitempty"`
	Viewers  []presenceViewer `json:"v,omitempty"`
}

type presenceViewer struct {
	Browser string          `json:"b,omitempty"`
	Name    string          `json:"n"`
	Who     json.RawMessage `json:"w,omitempty"`
}

// presenceSweep is how often an instance checks that the instances whose
// viewers it knows still hold their leases.
const presenceSweep = time.Second

// startPresence starts the sweep of a cluster's application.
func (a *Application) startPresence() {
	a.presence.stop = make(chan struct{})
	a.presence.wg.Add(1)
	go a.sweepPresence()
}

// viewerChanged shares a change of this instance's viewers with the
// cluster, then tells the application's functions of it.
func (a *Application) viewerChanged(ch roster.Change[*Page, Viewer]) {
	if a.cfg.cluster != nil {
		a.sharePresence(ch.Page)
	}
	a.tell(ch)
}

// sharePresence publishes this instance's viewers of p, following the
// page's presence while it has some.
func (a *Application) sharePresence(p *Page) {
	local := a.viewers.Viewers(p)
	ps := &a.presence
	ps.mu.Lock()
	unsub, following := ps.subs[p]
	if len(local) > 0 && !following {
		if u, err := a.followPresence(p); err == nil {
			if ps.subs == nil {
				ps.subs = make(map[*Page]func())
			}
			ps.subs[p] = u
			a.publishPresence(p, nil, true)
		}
	}
	if len(local) == 0 && following {
		delete(ps.subs, p)
		unsub()
		ps.table.Forget(p.id)
	}
	ps.mu.Unlock()
	a.publishPresence(p, local, false)
}

// followPresence subscribes to the presence of p.
func (a *Application) followPresence(p *Page) (func(), error) {
	c := a.cfg.cluster
	return call(a, "Cluster.Subscribe", func() (func(), error) {
		return c.Subscribe(presenceSubject(p.id), func(b []byte) {
			var m presenceMsg
			if json.Unmarshal(b, &m) != nil || m.Instance == "" || m.Instance == c.Self() {
				return
			}
			if m.Hello { // its list follows
				a.publishPresence(p, a.viewers.Viewers(p), false)
				return
			}
			a.presence.table.Set(p.id, m.Instance, a.viewersOf(m.Viewers))
		})
	})
}

// publishPresence publishes this instance's viewers of p, or a hello.
func (a *Application) publishPresence(p *Page, vs []Viewer, hello bool) {
	c := a.cfg.cluster
	m := presenceMsg{Instance: c.Self(), Hello: hello}
	for _, v := range vs {
		m.Viewers = append(m.Viewers, presenceViewer{Browser: v.Browser, Name: v.Name, Who: rawWho(withWho(context.Background(), v.who))})
	}
	b, _ := json.Marshal(m) // strings and JSON: cannot fail
	callErr(a, "Cluster.Publish", func() error { return c.Publish(presenceSubject(p.id), b) })
}

// viewersOf decodes another instance's viewers; one whose identity does not
// decode is kept without it.
func (a *Application) viewersOf(pvs []presenceViewer) []Viewer {
	out := make([]Viewer, 0, len(pvs))
	for _, pv := range pvs {
		w, _ := a.whoOf(pv.Who)
		out = append(out, Viewer{Browser: pv.Browser, Name: pv.Name, who: w})
	}
	return out
}

// sweepPresence drops, every presenceSweep, the viewers of instances that
// no longer hold their leases, and tells their leaves: on one instance of
// those that show each page, the first by id.
func (a *Application) sweepPresence() {
	defer a.presence.wg.Done()
	t := time.NewTicker(presenceSweep)
	defer t.Stop()
	for {
		select {
		case <-a.presence.stop:
			return
		case <-t.C:
		}
		for _, inst := range a.presence.table.All() {
			if a.instanceDead(inst) {
				a.dropInstance(inst)
			}
		}
	}
}

// instanceDead reports whether the cluster says that inst holds no lease.
func (a *Application) instanceDead(inst string) bool {
	ctx, cancel := context.WithTimeout(a.ctx, a.cfg.storeTimeout)
	defer cancel()
	alive, err := call(a, "Cluster.Alive", func() (bool, error) { return a.cfg.cluster.Alive(ctx, inst) })
	return err == nil && !alive
}

// dropInstance forgets the viewers of a dead instance, and tells their
// leaves.
func (a *Application) dropInstance(inst string) {
	self := a.cfg.cluster.Self()
	for id, vs := range a.presence.table.Drop(inst) {
		p, err := a.pages.lookup(id)
		if err != nil || slices.Min(append(a.presence.table.Instances(id), self)) != self {
			continue
		}
		for _, v := range vs {
			a.tell(roster.Change[*Page, Viewer]{Kind: roster.Left, Page: p, Viewer: v})
		}
	}
}

// closePresence ends the sweep and the subscriptions.
func (a *Application) closePresence() {
	ps := &a.presence
	if ps.stop == nil {
		return
	}
	close(ps.stop)
	ps.wg.Wait()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, unsub := range ps.subs {
		unsub()
	}
	ps.subs = nil
}

// presenceSubject is the name under which the cluster carries the presence
// of a page: apart from the page's own, whose ids have no dot.
func presenceSubject(page string) string { return "presence." + page }

package livetemplate_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/livetemplate/livetemplate"
)

// model is what a page's life should be, kept by FuzzPageLifecycle beside
// the real page.
type model struct {
	page     *livetemplate.Page
	value    string
	version  uint64
	used     time.Time
	seq      int  // order of last use, to break ties in time
	joined   bool // fetched by token
	unjoined bool // in the unjoined list: rendered and not joined
	ended    error
}

const (
	lifeMax      = 4
	lifeIdle     = 60 * time.Second
	lifeUnjoined = 20 * time.Second
	lifeStep     = 5 * time.Second // the sweep interval: a quarter of the shorter TTL
)

func (m *model) ttl() time.Duration {
	if m.unjoined {
		return lifeUnjoined
	}
	return lifeIdle
}

// lifecycle runs one sequence of operations against an application and the
// model. Each operation is two bytes: what to do, and to which page or for
// how long.
type lifecycle struct {
	t     *testing.T
	app   *livetemplate.Application
	pages []*model
	seq   int
}

func (l *lifecycle) use(m *model) {
	l.seq++
	m.used, m.seq = time.Now(), l.seq
}

// expire ends the pages whose deadline has passed, as the application must
// have done by now.
func (l *lifecycle) expire() {
	for _, m := range l.pages {
		if m.ended == nil && !time.Now().Before(m.used.Add(m.ttl())) {
			m.ended = livetemplate.ErrPageExpired
		}
	}
}

// evict ends the page that the application evicts for the new page added,
// never the new page itself: the least recently used page never fetched by
// token, of the fresh list's tail (neither rendered nor fetched) and the
// unjoined list's (rendered), the fresh one's on a tie in time; if there is
// none, the least recently used page fetched by token.
func (l *lifecycle) evict(added *model) {
	var joined, fresh, unjoined *model
	live := 1
	for _, m := range l.pages {
		if m.ended != nil || m == added {
			continue
		}
		live++
		tail := &fresh
		switch {
		case m.joined:
			tail = &joined
		case m.unjoined:
			tail = &unjoined
		}
		if *tail == nil || m.seq < (*tail).seq {
			*tail = m
		}
	}
	if live <= lifeMax {
		return
	}
	victim := fresh
	if fresh == nil || (unjoined != nil && unjoined.used.Before(fresh.used)) {
		victim = unjoined
	}
	if victim == nil {
		victim = joined
	}
	victim.ended = livetemplate.ErrPageEvicted
}

// check compares an operation's error with the model's expectation.
func (l *lifecycle) check(op string, m *model, err error) bool {
	l.t.Helper()
	if m.ended != nil {
		if !errors.Is(err, m.ended) {
			l.t.Fatalf("%s of a page that ended (%v): got %v", op, m.ended, err)
		}
		return false
	}
	if err != nil {
		l.t.Fatalf("%s of a live page: %v", op, err)
	}
	return true
}

func (l *lifecycle) step(op, arg byte) {
	l.expire()
	if op%6 == 0 || len(l.pages) == 0 {
		l.newPage()
		return
	}
	m := l.pages[int(arg)%len(l.pages)]
	switch op % 6 {
	case 1:
		p, err := l.app.GetPage(m.page.GetToken())
		if l.check("GetPage", m, err) {
			if p != m.page {
				l.t.Fatal("GetPage returned another page")
			}
			m.joined, m.unjoined = true, false
			l.use(m)
		}
	case 2:
		html, err := m.page.Render()
		if l.check("Render", m, err) {
			if want := "<p>" + m.value + "</p>"; html != want {
				l.t.Fatalf("Render = %q, want %q", html, want)
			}
			m.unjoined = !m.joined
			l.use(m)
		}
	case 3:
		value := fmt.Sprint(arg % 3)
		u, err := m.page.Update(value)
		if l.check("Update", m, err) {
			if value != m.value {
				m.version++
			}
			if u.Version != m.version || m.page.Version() != m.version {
				l.t.Fatalf("Update to %q: version %d, want %d", value, u.Version, m.version)
			}
			m.value = value
			l.use(m)
		}
	case 4:
		if err := m.page.Close(); err != nil {
			l.t.Fatalf("Close: %v", err)
		}
		if m.ended == nil {
			m.ended = livetemplate.ErrPageClosed
		}
	case 5:
		time.Sleep(time.Duration(arg%8) * lifeStep)
		synctest.Wait() // the sweeper has released what expired
	}
}

func (l *lifecycle) newPage() {
	p, err := l.app.NewPage("p", "start")
	if err != nil {
		l.t.Fatal(err)
	}
	m := &model{page: p, value: "start", version: 1}
	l.use(m)
	l.pages = append(l.pages, m)
	l.evict(m)
}

// FuzzPageLifecycle: random sequences of page creation, fetches by token,
// renders, changes, closes and waits, against a model of expiry (idle and
// unjoined TTLs) and least-recently-used eviction.
func FuzzPageLifecycle(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 2, 0, 1, 1, 5, 5, 1, 0, 1, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 2, 1, 3, 1, 4})
	f.Add([]byte{0, 0, 2, 0, 5, 4, 1, 0, 3, 1, 5, 7, 5, 7, 3, 1, 1, 0})
	f.Add([]byte{0, 0, 0, 0, 3, 1, 3, 2, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 400 {
			ops = ops[:400]
		}
		synctest.Test(t, func(t *testing.T) {
			app := newApp(t,
				livetemplate.WithMaxPages(lifeMax),
				livetemplate.WithIdleTTL(lifeIdle),
				livetemplate.WithUnjoinedTTL(lifeUnjoined))
			register(t, app, "p", `<p>{{.}}</p>`)
			l := &lifecycle{t: t, app: app}
			for i := 0; i+1 < len(ops); i += 2 {
				l.step(ops[i], ops[i+1])
			}
			l.expire()
			for _, m := range l.pages {
				_, err := app.GetPage(m.page.GetToken())
				l.check("final GetPage", m, err)
			}
		})
	})
}

// TestConcurrentLifecycle: many goroutines create, fetch, render, change and
// close pages of one small application at once, so that eviction and
// closing race with every method. Every error must be one that says the page
// ended; -race checks the locking, and a lock-order bug would hang here.
func TestConcurrentLifecycle(t *testing.T) {
	app := newApp(t, livetemplate.WithMaxPages(8))
	register(t, app, "p", `<p>{{.}}</p>`)
	tokens := make(chan string, 64)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range 300 {
				if rng.IntN(4) == 0 || len(tokens) == 0 {
					p, err := app.NewPage("p", i)
					if err != nil {
						t.Error(err)
						return
					}
					select {
					case tokens <- p.GetToken():
					default:
					}
					continue
				}
				tok := <-tokens
				p, err := app.GetPage(tok)
				if err == nil {
					err = randomUse(rng, p, i)
				}
				if err != nil && !ended(err) {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				select {
				case tokens <- tok:
				default:
				}
			}
		})
	}
	wg.Wait()
}

func randomUse(rng *rand.Rand, p *livetemplate.Page, i int) error {
	switch rng.IntN(4) {
	case 0:
		_, err := p.Render()
		return err
	case 1:
		_, err := p.Update(i)
		return err
	case 2:
		_, err := p.Snapshot()
		return err
	default:
		return p.Close()
	}
}

func ended(err error) bool {
	return errors.Is(err, livetemplate.ErrPageEvicted) || errors.Is(err, livetemplate.ErrPageClosed) ||
		errors.Is(err, livetemplate.ErrPageExpired)
}

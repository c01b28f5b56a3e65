package livetemplate_test

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// counting returns an init that makes a counter of count n and counts its
// calls.
func counting(calls *atomic.Int32, n int) func() (any, error) {
	return func() (any, error) {
		calls.Add(1)
		return counter{Count: n}, nil
	}
}

// countOf is the count of a counter page.
func countOf(p *livetemplate.Page) int { return p.Data().(counter).Count }

// shared is SharedPage, which must succeed.
func shared(t testing.TB, app *livetemplate.Application, name string, init func() (any, error)) *livetemplate.Page {
	t.Helper()
	p, err := app.SharedPage(name, "counter", init)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSharedPage: a name is one page, made once, whose token GetPage takes;
// another name is another page.
func TestSharedPage(t *testing.T) {
	app := counterApp(t)
	var calls atomic.Int32
	room := shared(t, app, "room", counting(&calls, 3))
	if again := shared(t, app, "room", counting(&calls, 4)); again != room || calls.Load() != 1 {
		t.Fatalf("a second SharedPage: %v (was %v), init ran %d times", again, room, calls.Load())
	}
	if got, err := app.GetPage(room.GetToken()); err != nil || got != room {
		t.Fatalf("GetPage of the shared page's token: %v, %v", got, err)
	}
	if html, _ := room.Render(); html != execute(t, counterSrc, counter{Count: 3}, room.GetToken()) {
		t.Errorf("the shared page renders %s", html)
	}
	lobby := shared(t, app, "lobby", counting(&calls, 0))
	if lobby == room || lobby.GetToken() == room.GetToken() || lobby.ID() == room.ID() {
		t.Error("two names, one page")
	}
	if page := newPage(t, app, "counter", counter{}); page.Version() != 1 || room.Version() < 1e15 {
		t.Errorf("versions: NewPage's starts at %d, SharedPage's at %d", page.Version(), room.Version())
	}
}

// TestSharedPageConcurrent: calls of one name at once make one page, with
// one init.
func TestSharedPageConcurrent(t *testing.T) {
	app := counterApp(t)
	var calls atomic.Int32
	slow := func() (any, error) {
		time.Sleep(20 * time.Millisecond) // the other calls arrive meanwhile
		return counting(&calls, 1)()
	}
	pages := make([]*livetemplate.Page, 20)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() { pages[i] = shared(t, app, "room", slow) })
	}
	wg.Wait()
	for _, p := range pages {
		if p != pages[0] {
			t.Fatalf("two pages: %v and %v", p, pages[0])
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("init ran %d times", calls.Load())
	}
}

// TestSharedPageErrors: a bad name, an unknown template, a name taken by
// another template's page, and an init that fails or panics; a page is made
// by the next call after a failed init.
func TestSharedPageErrors(t *testing.T) {
	app := counterApp(t, livetemplate.WithLogger(slog.New(slog.DiscardHandler)))
	register(t, app, "other", `<p>{{.}}</p>`)
	var calls atomic.Int32
	for _, name := range []string{"", strings.Repeat("n", livetemplate.MaxSharedNameLen+1), "\xff"} {
		if _, err := app.SharedPage(name, "counter", counting(&calls, 0)); !errors.Is(err, livetemplate.ErrInvalidName) {
			t.Errorf("name %.10q: %v", name, err)
		}
	}
	shared(t, app, strings.Repeat("n", livetemplate.MaxSharedNameLen), counting(&calls, 0))
	if _, err := app.SharedPage("room", "nosuch", counting(&calls, 0)); !errors.Is(err, livetemplate.ErrUnknownTemplate) {
		t.Errorf("an unknown template: %v", err)
	}
	shared(t, app, "room", counting(&calls, 0))
	if _, err := app.SharedPage("room", "other", counting(&calls, 0)); !errors.Is(err, livetemplate.ErrNameTaken) {
		t.Errorf("a name taken by another template: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("init ran %d times, want 2", calls.Load())
	}
	refused := errors.New("no room today")
	if _, err := app.SharedPage("lobby", "counter", func() (any, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Errorf("init's error: %v", err)
	}
	if _, err := app.SharedPage("lobby", "counter", func() (any, error) { panic("boom") }); !errors.Is(err, livetemplate.ErrPanicked) {
		t.Errorf("init's panic: %v", err)
	}
	if p := shared(t, app, "lobby", counting(&calls, 5)); countOf(p) != 5 {
		t.Errorf("after init failed: %v", p.Data())
	}
}

// TestSharedPageAnew: the page of a name that was closed, or expired, is
// made anew by the next SharedPage, with the same token; a client that held
// a version of the closed page and joins the new one gets it whole, whatever
// version it held.
func TestSharedPageAnew(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	var calls atomic.Int32
	first := shared(t, app, "room", counting(&calls, 1))
	old := join(t, dial(t, url), first.GetToken())
	for n := range 2 {
		if _, err := first.Update(counter{Count: 2 + n}); err != nil {
			t.Fatal(err)
		}
	}
	waitHTML(t, old, counterSrc, counter{Count: 3})
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := shared(t, app, "room", counting(&calls, 10))
	if again == first || again.GetToken() != first.GetToken() || calls.Load() != 2 {
		t.Fatalf("after Close: %v (was %v), same token %v, init ran %d times", again, first, again.GetToken() == first.GetToken(), calls.Load())
	}
	// As many changes as the closed page had: the same version, had both
	// started at 1.
	for n := range 2 {
		if _, err := again.Update(counter{Count: 11 + n}); err != nil {
			t.Fatal(err)
		}
	}
	resumed, err := dial(t, url).Resume(testContext(t), old)
	if err != nil {
		t.Fatal(err)
	}
	waitHTML(t, resumed, counterSrc, counter{Count: 12})
}

// TestSharedPageExpires: a shared page that nobody used for its time to
// live is made anew.
func TestSharedPageExpires(t *testing.T) {
	ttl := 50 * time.Millisecond
	app := counterApp(t, livetemplate.WithIdleTTL(ttl), livetemplate.WithUnjoinedTTL(ttl))
	var calls atomic.Int32
	first := shared(t, app, "room", counting(&calls, 1))
	time.Sleep(3 * ttl)
	again := shared(t, app, "room", counting(&calls, 2))
	if again == first || calls.Load() != 2 || countOf(again) != 2 {
		t.Fatalf("after its TTL: %v (was %v), init ran %d times, data %v", again, first, calls.Load(), again.Data())
	}
}

// TestSharedPageRestart: an application with the same store finds the page
// of a name that a closed one made, with its data; with the same key, its
// token is the same too.
func TestSharedPageRestart(t *testing.T) {
	store := &livetemplate.MemoryStore{}
	keyA, keyB := []byte(strings.Repeat("a", 32)), []byte(strings.Repeat("b", 32))
	start := func(key []byte) *livetemplate.Application {
		return counterApp(t, livetemplate.WithStore(store), livetemplate.WithSigningKeys(key))
	}
	var calls atomic.Int32
	app := start(keyA)
	first := shared(t, app, "room", counting(&calls, 1))
	if _, err := first.Update(counter{Count: 6}); err != nil {
		t.Fatal(err)
	}
	app.Close()
	app = start(keyA)
	again := shared(t, app, "room", counting(&calls, 2))
	if again.GetToken() != first.GetToken() || countOf(again) != 6 || calls.Load() != 1 {
		t.Fatalf("after a restart: same token %v, data %v, init ran %d times", again.GetToken() == first.GetToken(), again.Data(), calls.Load())
	}
	app.Close()
	app = start(keyB)
	other := shared(t, app, "room", counting(&calls, 3))
	if other.ID() != first.ID() || other.GetToken() == first.GetToken() || countOf(other) != 6 {
		t.Fatalf("with another key: id %s (was %s), data %v", other.ID(), first.ID(), other.Data())
	}
	if _, err := app.GetPage(first.GetToken()); !errors.Is(err, livetemplate.ErrInvalidToken) {
		t.Fatalf("the other key's token: %v", err)
	}
}

// One page per name: the first SharedPage makes the lobby with init's data,
// every later one (on any instance sharing the store) returns it.
func ExampleApplication_SharedPage() {
	app, err := livetemplate.NewApplication()
	if err != nil {
		panic(err)
	}
	defer app.Close()
	lobby := template.Must(template.New("lobby").Parse(`<p>{{len .}} here</p>`))
	if err := app.RegisterTemplate("lobby", lobby); err != nil {
		panic(err)
	}
	newLobby := func() (any, error) { return []string{"ann"}, nil }
	first, err := app.SharedPage("lobby", "lobby", newLobby)
	if err != nil {
		panic(err)
	}
	again, _ := app.SharedPage("lobby", "lobby", newLobby) // init does not run again
	html, _ := again.Render()
	fmt.Println(first == again, html)
	// Output: true <p>1 here</p>
}

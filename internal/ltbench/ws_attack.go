package ltbench

import (
	"context"
	"fmt"
	"html/template"
	"runtime"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/livetemplate/livetemplate"
)

// The attack set of the ws suite: what one connection can make the server
// hold, by the defaults, when it means harm. Each attack is one connection
// of a client process (see [RunClientProcess]), so that the attacker's own
// memory is not counted, against a server in the suite's process with one
// page of about 1 MiB of HTML and an event handler that takes 50 ms. The
// attacks never read what the server sends, and send as much as the rate
// limits let them without being closed for it (see attackPacer), except
// frames_flood, which sends as fast as it can.

// attackNames are the attacks, in the order they run (see runAttack).
var attackNames = []string{"joins", "events", "frames", "frames_flood", "pings", "combined"}

const (
	// attackRows and attackRowBytes make the attacked page: 1,024 rows of
	// 1 KiB, 1 MiB of HTML.
	attackRows     = 1024
	attackRowBytes = 1 << 10
	// attackHandlerTime is how long the attacked page's event handler
	// takes.
	attackHandlerTime = 50 * time.Millisecond
	// attackWarmups and attackSamples are how many Options.Duration an
	// attack runs before the server's memory is sampled, 1 s by default,
	// and how many samples are taken, one every 5 Options.Duration (200 ms).
	attackWarmups = 25
	attackSamples = 8
)

// attackPage is the attacked page's data: a count that each event adds
// one to, and the rows.
type attackPage struct {
	N    int
	Rows []string
}

const attackTemplate = `<h1>{{.N}}</h1><ul>{{range .Rows}}<li>{{.}}</li>{{end}}</ul>`

// attackMemory runs every attack and returns the most heap and stack that
// the server held above its baseline during each, by name.
func attackMemory(ctx context.Context, opts Options) (map[string]int64, error) {
	pinned := make(map[string]int64, len(attackNames))
	for _, name := range attackNames {
		n, err := attackOnce(ctx, name, opts)
		if err != nil {
			return nil, fmt.Errorf("attack %s: %w", name, err)
		}
		pinned[name] = n
	}
	return pinned, nil
}

// attackOnce serves the attacked page with the default options, measures
// the server's memory, runs one attack on it and returns the most it held
// above that while the attack went on.
func attackOnce(ctx context.Context, name string, opts Options) (int64, error) {
	rows := make([]string, attackRows)
	for i := range rows {
		rows[i] = strings.Repeat(string(rune('a'+i%26)), attackRowBytes)
	}
	s, err := startServer(template.Must(template.New("attacked").Parse(attackTemplate)), &attackPage{Rows: rows})
	if err != nil {
		return 0, err
	}
	defer s.close()
	if err := s.app.HandleEvent("page", "slow", slowEvent); err != nil {
		return 0, err
	}
	if _, err := s.page.Render(); err != nil { // the page's HTML, as a site serves it
		return 0, err
	}
	base := pinned()
	var most int64
	err = withAttacker(ctx, s.url, name, func() error {
		time.Sleep(attackWarmups * opts.Duration)
		for range attackSamples {
			most = max(most, pinned()-base)
			time.Sleep(5 * opts.Duration)
		}
		return nil
	})
	return max(most, 0), err
}

// slowEvent is the attacked page's event handler: it takes
// attackHandlerTime, then adds one to the count.
func slowEvent(ctx context.Context, p *livetemplate.Page, _ livetemplate.Event) error {
	time.Sleep(attackHandlerTime)
	_, err := p.Modify(ctx, func(data any) (any, error) {
		d := *data.(*attackPage)
		d.N++
		return &d, nil
	})
	return err
}

// pinned is the memory the process holds for what is reachable: the heap's
// live objects as the collection that it runs marked them (not what was
// allocated since, nor the free room in the spans), and the goroutines'
// stacks.
func pinned() int64 {
	runtime.GC()
	runtime.GC() // and what sync.Pool kept for one more cycle
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(live[0].Value.Uint64() + m.StackInuse)
}

// withAttacker runs f while a client process attacks the endpoint of url
// (with the page's token) with the attack of that name, once it has begun.
func withAttacker(ctx context.Context, url, name string, f func() error) error {
	return withChild(ctx, []string{clientURLEnv + "=" + url, attackEnv + "=" + name}, f)
}

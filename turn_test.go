package livetemplate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livetemplate/livetemplate"
)

// TestModifyAfterItsHandler: a goroutine that an event handler starts with
// the handler's context (as it is, or without its cancellation, to keep its
// values), and that calls Modify once the handler has returned, waits for
// the page's turn like any other Modify: its function never runs while the
// next event's handler runs. (Before, the handler's context let Modify skip
// the turn for ever.)
func TestModifyAfterItsHandler(t *testing.T) {
	for name, keep := range map[string]func(context.Context) context.Context{
		"handler's context": func(ctx context.Context) context.Context { return ctx },
		"without cancel":    context.WithoutCancel,
	} {
		t.Run(name, func(t *testing.T) {
			app := counterApp(t)
			url := serve(t, app) + "/live"
			page := newPage(t, app, "counter", counter{})
			var (
				holding atomic.Bool // the "hold" handler runs
				held    = make(chan struct{})
				ran     = make(chan bool, 1) // whether Modify's function ran while "hold" ran
				late    sync.WaitGroup
			)
			t.Cleanup(late.Wait)
			handle(t, app, "counter", "later", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
				ctx = keep(ctx)
				late.Go(func() {
					<-held
					_, err := p.Modify(ctx, func(data any) (any, error) {
						ran <- holding.Load()
						return data, nil
					})
					if err != nil && !errors.Is(err, context.Canceled) {
						t.Errorf("Modify after its handler: %v", err)
					}
				})
				return nil
			})
			handle(t, app, "counter", "hold", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
				holding.Store(true)
				defer holding.Store(false)
				close(held)
				// Room for a Modify that does not wait for the turn.
				select {
				case during := <-ran:
					ran <- during
				case <-time.After(300 * time.Millisecond):
				}
				return nil
			})
			p := join(t, dial(t, url), page.GetToken())
			ctx := testContext(t)
			if err := p.Event(ctx, "later", nil); err != nil {
				t.Fatal(err)
			}
			if err := p.Event(ctx, "hold", nil); err != nil {
				t.Fatal(err)
			}
			late.Wait()
			select {
			case during := <-ran:
				if during {
					t.Fatal("Modify from a goroutine of a handler that had returned ran while the next handler ran")
				}
			default: // the handler's context had ended: Modify failed with its error
			}
		})
	}
}

// TestModifyKeepsItsHandlersTurn: a Modify that a goroutine of an event
// handler started in the handler's turn, and that still runs when the
// handler returns, keeps the turn until it returns: the next event's handler
// waits for it.
func TestModifyKeepsItsHandlersTurn(t *testing.T) {
	app := counterApp(t)
	url := serve(t, app) + "/live"
	page := newPage(t, app, "counter", counter{})
	var (
		modifying atomic.Bool
		started   = make(chan struct{})
		overlap   = make(chan bool, 1)
		late      sync.WaitGroup
	)
	t.Cleanup(late.Wait)
	handle(t, app, "counter", "slow", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		late.Go(func() {
			_, err := p.Modify(ctx, func(data any) (any, error) {
				modifying.Store(true)
				defer modifying.Store(false)
				close(started)
				time.Sleep(200 * time.Millisecond) // the handler returns meanwhile
				return data, nil
			})
			if err != nil {
				t.Errorf("Modify in the handler's turn: %v", err)
			}
		})
		<-started
		return nil
	})
	handle(t, app, "counter", "next", func(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
		overlap <- modifying.Load()
		return nil
	})
	p := join(t, dial(t, url), page.GetToken())
	ctx := testContext(t)
	for _, name := range []string{"slow", "next"} {
		if err := p.Event(ctx, name, nil); err != nil {
			t.Fatal(err)
		}
	}
	if <-overlap {
		t.Fatal("the next event's handler ran while a Modify in the former handler's turn ran")
	}
}

// TestModifyErrorsNameModify: Modify's errors say that Modify failed, with
// the package's prefix once.
func TestModifyErrorsNameModify(t *testing.T) {
	app := newApp(t)
	register(t, app, "p", `<p>{{.}}</p>`)
	p := newPage(t, app, "p", 1)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := p.Modify(t.Context(), func(data any) (any, error) { return 2, nil })
	if !errors.Is(err, livetemplate.ErrPageClosed) || !strings.HasPrefix(err.Error(), "livetemplate: modify page: ") || strings.Count(err.Error(), "livetemplate:") != 1 {
		t.Fatalf("Modify of a closed page: %v; want ErrPageClosed, named once as an error of Modify", err)
	}
}

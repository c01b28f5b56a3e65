package clustertest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// Roamer is a client of one page that behaves as a browser does while the
// instances restart: it resends each event with its id until it is
// acknowledged, and when its instance closes its connection it connects to
// another one and resumes the page from the version it holds.
type Roamer struct {
	instances func() []string // the URLs of the instances running now
	next      int
	c         *livetemplatetest.Client
	p         *livetemplatetest.Page
}

// NewRoamer connects to the first of instances() and joins the page of tok.
func NewRoamer(ctx context.Context, instances func() []string, tok string) (*Roamer, error) {
	r := &Roamer{instances: instances}
	for {
		urls := r.instances()
		if len(urls) == 0 {
			return nil, errors.New("clustertest: no instance runs")
		}
		c, err := livetemplatetest.Dial(ctx, urls[r.next%len(urls)])
		r.next++
		if err != nil {
			if err := pause(ctx); err != nil {
				return nil, fmt.Errorf("clustertest: connect: %w", err)
			}
			continue
		}
		if r.p, err = c.Join(ctx, tok); err != nil {
			c.Close()
			return nil, fmt.Errorf("clustertest: join: %w", err)
		}
		r.c = c
		return r, nil
	}
}

// Page returns the page as the roamer holds it now.
func (r *Roamer) Page() *livetemplatetest.Page { return r.p }

// Settle moves the roamer to a running instance if its own went away, as a
// browser reconnects even when it has nothing to send.
func (r *Roamer) Settle(ctx context.Context) error {
	select {
	case <-r.c.Done():
		return r.move(ctx)
	default:
		return nil
	}
}

// Close closes the roamer's connection.
func (r *Roamer) Close() { r.c.Close() }

// Send sends the event name of id (of a handler such as [Add]) until it is
// acknowledged, moving to another instance whenever its own goes away,
// until ctx is done. Any error in an acknowledgement other than
// unavailable and rate_limited (which a browser resends after a pause)
// fails it, as it fails a browser's event.
func (r *Roamer) Send(ctx context.Context, name, id string) error {
	for {
		err := r.p.EventID(ctx, id, name, nil)
		var e *livetemplatetest.Error
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case r.gone(err):
			if err := r.move(ctx); err != nil {
				return err
			}
		case errors.As(err, &e) && (e.Code == "unavailable" || e.Code == "rate_limited"):
			if err := pause(ctx); err != nil {
				return err
			}
		default:
			return fmt.Errorf("clustertest: event %s: %w", id, err)
		}
	}
}

// gone reports whether err says that the roamer's connection failed (it
// ended, or a write on it failed), rather than the server answering.
func (r *Roamer) gone(err error) bool {
	var e *livetemplatetest.Error
	return !errors.As(err, &e)
}

// move connects to the next running instance and resumes the page there;
// an instance that goes away meanwhile is left for the next.
func (r *Roamer) move(ctx context.Context) error {
	r.c.Close()
	for {
		if urls := r.instances(); len(urls) > 0 {
			c, err := livetemplatetest.Dial(ctx, urls[r.next%len(urls)])
			r.next++
			if err == nil {
				// The page holds the version and HTML from now on, even if
				// the join fails.
				r.p, err = c.Resume(ctx, r.p)
				r.c = c
				if err == nil {
					return nil
				}
				if !r.gone(err) && !unavailable(err) {
					return fmt.Errorf("clustertest: resume: %w", err)
				}
				c.Close()
			}
		}
		if err := pause(ctx); err != nil {
			return fmt.Errorf("clustertest: reconnect: %w", err)
		}
	}
}

// unavailable reports whether the server answered err's request with
// unavailable: it could not serve it now, and a browser tries again.
func unavailable(err error) bool {
	var e *livetemplatetest.Error
	return errors.As(err, &e) && e.Code == "unavailable"
}

// pause waits 20 ms, as a client waits before it tries again.
func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(20 * time.Millisecond):
		return nil
	}
}

package livetemplate_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// FuzzConnection drives one connection through a random sequence of the
// protocol's messages (joins, leaves, events with reused ids, pings,
// malformed frames, server pushes, a lost socket and a resume) against a
// real endpoint, and checks what every step answers and that every page the
// client holds at the end is html/template's output for the page's data.
// Each operation is two bytes: what to do, and with what.
func FuzzConnection(f *testing.F) {
	app, url, first := liveCounter(f)
	pages := []*livetemplate.Page{first, newPage(f, app, "counter", counter{}), newPage(f, app, "counter", counter{})}
	f.Add([]byte{0, 0, 2, 1, 2, 1, 3, 0})
	f.Add([]byte{0, 0, 0, 1, 5, 0, 2, 0, 1, 0, 2, 0})
	f.Add([]byte{0, 2, 0, 2, 4, 7, 2, 3, 6, 0, 2, 3, 5, 2})
	f.Add([]byte{0, 1, 2, 9, 7, 0, 2, 9, 1, 0, 2, 1, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 128 { // 64 operations: inside the default rate limit's burst
			ops = ops[:128]
		}
		s := &fuzzSession{t: t, url: url, pages: pages, c: dial(t, url)}
		for i := 0; i+1 < len(ops); i += 2 {
			s.step(ops[i], ops[i+1])
		}
		s.converged()
	})
}

// fuzzSession is one connection of FuzzConnection and what it has joined.
type fuzzSession struct {
	t      *testing.T
	url    string
	pages  []*livetemplate.Page
	c      *livetemplatetest.Client
	joined []fuzzJoin
}

type fuzzJoin struct {
	p    *livetemplatetest.Page
	page *livetemplate.Page
}

func (s *fuzzSession) step(op, arg byte) {
	ctx := testContext(s.t)
	switch op % 8 {
	case 0:
		page := s.pages[int(arg)%len(s.pages)]
		p, err := s.c.Join(ctx, page.GetToken())
		s.check("join", err, "")
		s.joined = append(s.joined, fuzzJoin{p, page})
	case 1:
		if j, ok := s.pick(arg); ok {
			s.check("leave", j.p.Leave(ctx), "")
			s.joined = append(s.joined[:int(arg)%len(s.joined)], s.joined[int(arg)%len(s.joined)+1:]...)
		}
	case 2:
		if j, ok := s.pick(arg); ok {
			// Few ids, so that resends and the dedupe window come up.
			s.check("event", j.p.EventID(ctx, fmt.Sprint("fuzz-", arg%5), "add", map[string]int{"n": int(arg % 3)}), "")
		}
	case 3:
		s.check("ping", s.c.Ping(ctx), "")
	case 4:
		s.check("bad frame", s.c.SendRaw(ctx, []byte{'{', arg, '"'}), "")
		e, err := s.c.NextError(ctx)
		s.check("bad frame", err, "")
		if e.Code != "bad_message" {
			s.t.Fatalf("a malformed frame: %v; want bad_message", e)
		}
	case 5:
		s.check("push", add(ctx, s.pages[int(arg)%len(s.pages)], 10, "push"), "")
	case 6:
		if j, ok := s.pick(arg); ok {
			s.check("unknown event", j.p.Event(ctx, "nope", nil), "unknown_event")
		}
	case 7:
		s.c.Drop()
		s.c = dial(s.t, s.url)
		for i, j := range s.joined {
			p, err := s.c.Resume(ctx, j.p)
			s.check("resume", err, "")
			s.joined[i].p = p
		}
	}
}

func (s *fuzzSession) pick(arg byte) (fuzzJoin, bool) {
	if len(s.joined) == 0 {
		return fuzzJoin{}, false
	}
	return s.joined[int(arg)%len(s.joined)], true
}

// check fails the test unless err is nil (code "") or a server error of
// code.
func (s *fuzzSession) check(what string, err error, code string) {
	s.t.Helper()
	var e *livetemplatetest.Error
	switch {
	case code == "" && err == nil:
	case code != "" && errors.As(err, &e) && e.Code == code:
	default:
		s.t.Fatalf("%s: %v; want %q", what, err, code)
	}
}

// converged checks that every page the client holds is the page's HTML.
func (s *fuzzSession) converged() {
	for _, j := range s.joined {
		waitHTML(s.t, j.p, counterSrc, j.page.Data())
	}
}

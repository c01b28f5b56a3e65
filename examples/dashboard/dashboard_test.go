package dashboard_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livetemplate/livetemplate/examples/dashboard"
	"github.com/livetemplate/livetemplate/examples/internal/pagetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDashboard: every viewer gets the one page; the ticker's changes and a
// viewer's pause reach them all; Close stops the ticker.
func TestDashboard(t *testing.T) {
	s := pagetest.Start(t)
	board, err := dashboard.Mount(s.App, s.Mux, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	ctx := pagetest.Context(t)

	first, second := s.HTML(t, "/dashboard/"), s.HTML(t, "/dashboard/")
	if tok := pagetest.Token(first); tok == "" || tok != pagetest.Token(second) {
		t.Fatalf("two loads of the dashboard: not one page's token:\n%s\n%s", first, second)
	}
	one, two := s.Open(t, ctx, "/dashboard/"), s.Open(t, ctx, "/dashboard/")
	if err := one.WaitVersion(ctx, one.Version()+2); err != nil {
		t.Fatalf("the ticker changed nothing: %v", err)
	}
	if err := one.Event(ctx, "pause", nil); err != nil {
		t.Fatal(err)
	}
	paused := func(html string) bool { return strings.Contains(html, "Paused by a viewer") }
	if err := two.Wait(ctx, paused); err != nil {
		t.Fatalf("the other viewer after a pause: %v; holds %s", err, two.HTML())
	}
	if err := two.Event(ctx, "pause", nil); err != nil {
		t.Fatal(err)
	}
	if err := one.WaitVersion(ctx, one.Version()+2); err != nil || paused(one.HTML()) {
		t.Fatalf("resumed: %v; holds %s", err, one.HTML())
	}
}

// TestDashboardBars: the chart keeps its latest samples, with a scale, and
// each tick pushes them to the chart's hook.
func TestDashboardBars(t *testing.T) {
	s := pagetest.Start(t)
	board, err := dashboard.Mount(s.App, s.Mux, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	p := s.Open(t, pagetest.Context(t), "/dashboard/")
	if err := p.WaitVersion(pagetest.Context(t), p.Version()+40); err != nil {
		t.Fatal(err)
	}
	load := regexp.MustCompile(`data-load="([0-9 ]*)"`).FindStringSubmatch(p.HTML())
	if load == nil || len(strings.Fields(load[1])) != 24 {
		t.Errorf("the chart's samples: %q, want 24: %s", load, p.HTML())
	}
	for range 3 {
		m, err := p.NextPush(pagetest.Context(t))
		if err != nil {
			t.Fatal(err)
		}
		var load []int
		if err := m.Decode(&load); err != nil || m.Name != "load" || len(load) != 24 || load[23] < 20 || load[23] >= 90 {
			t.Errorf("push %s %s: %v; want 24 samples of 20 to 89", m.Name, m.Data, err)
		}
	}
	for _, scale := range []string{"<span>100%</span><span>50%</span><span>0%</span>", "the latest 24 samples, one every 1ms"} {
		if !strings.Contains(p.HTML(), scale) {
			t.Errorf("the chart has no scale %q: %s", scale, p.HTML())
		}
	}
}

// TestDashboardAnew: a dashboard page that ended is made anew, with the same
// token, by the next viewer or tick, and the ticker changes the new one.
func TestDashboardAnew(t *testing.T) {
	s := pagetest.Start(t)
	board, err := dashboard.Mount(s.App, s.Mux, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	ctx := pagetest.Context(t)
	first := s.Open(t, ctx, "/dashboard/")
	old, err := s.App.GetPage(first.Token())
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	again := s.Open(t, ctx, "/dashboard/")
	if again.Token() != first.Token() {
		t.Errorf("the new dashboard's token differs")
	}
	if err := again.WaitVersion(ctx, again.Version()+2); err != nil {
		t.Fatalf("the ticker does not change the new dashboard: %v", err)
	}
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livetemplate/livetemplate/client/browsertest"
	"github.com/livetemplate/livetemplate/internal/ltbench"
)

func init() { ltbench.Register("demo", runDemo) }

// runDemo is the demo suite: the demo's command, built and run as a process
// of its own in its default mode (its pages kept in a data directory), is
// stopped (SIGINT) and started again opts.Rounds times while a headless
// Chromium tab shows a to-do list of it. Once the new process serves, the
// tab's user ticks a row: the suite measures how long until the tab shows
// the server's change (the tab reconnected, joined the list again and had
// the click's event run), and how long the process took to start.
func runDemo(opts ltbench.Options) ([]ltbench.Metric, error) {
	dir, err := os.MkdirTemp("", "ltbench-demo")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildDemo(dir)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	start := func() (*demoProcess, error) { return startDemo(bin, addr, filepath.Join(dir, "data")) }
	d, err := start()
	if err != nil {
		return nil, err
	}
	defer func() { d.stop() }()
	first := d.started
	tab, closeBrowser, err := openTab(filepath.Join(dir, "chromium"), "http://"+addr+"/todo/")
	if err != nil {
		return nil, err
	}
	defer closeBrowser()
	var resumes, reconnects, starts []float64
	for range opts.Rounds {
		var r resumed
		if d, r, err = restartOnce(tab, d, start); err != nil {
			return nil, err
		}
		resumes, reconnects = append(resumes, r.Done), append(reconnects, r.Open)
		starts = append(starts, ms(d.started))
	}
	return []ltbench.Metric{
		// From the new process serving to the tab showing the click's change.
		ltbench.Metric{Name: "demo.restart_resume_ms", Value: median(resumes), Unit: "ms"}.WithGoal(2000),
		{Name: "demo.restart_resume_max_ms", Value: slices.Max(resumes), Unit: "ms"},
		// Of which: until the tab's socket was open again (the client's backoff).
		{Name: "demo.restart_reconnect_ms", Value: median(reconnects), Unit: "ms"},
		// From exec to serving: the first start on an empty data directory,
		// and the start again on the data of the one before.
		{Name: "demo.first_start_ms", Value: ms(first), Unit: "ms"},
		{Name: "demo.start_ms", Value: median(starts), Unit: "ms"},
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// buildDemo builds the demo's command into dir.
func buildDemo(dir string) (string, error) {
	bin := filepath.Join(dir, "demo")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/livetemplate/livetemplate/cmd/demo").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ltbench: demo: go build: %w\n%s", err, out)
	}
	return bin, nil
}

// freeAddr returns an address of 127.0.0.1 on a port that is free now: the
// demo starts on it again and again, where the tab reconnects.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// demoProcess is a running demo.
type demoProcess struct {
	cmd     *exec.Cmd
	started time.Duration // from exec to serving
	served  time.Time     // when it logged that it serves
	exited  chan error    // its exit, once
	mu      sync.Mutex
	log     strings.Builder // what it logged
}

// startDemo starts the demo and waits until it logs that it serves.
func startDemo(bin, addr, data string) (*demoProcess, error) {
	d := &demoProcess{cmd: exec.Command(bin, "-addr", addr, "-data", data), exited: make(chan error, 1)}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ltbench: demo: %w", err)
	}
	serving := make(chan time.Time, 1)
	go d.read(stderr, serving)
	select {
	case d.served = <-serving:
		d.started = d.served.Sub(began)
		return d, nil
	case err := <-d.exited:
		return nil, fmt.Errorf("ltbench: demo exited: %v\n%s", err, d.logged())
	case <-time.After(time.Minute):
		d.cmd.Process.Kill()
		return nil, fmt.Errorf("ltbench: demo did not serve within a minute\n%s", d.logged())
	}
}

// read keeps what the demo logs, tells serving when it serves, and then,
// once the log ends, its exit.
func (d *demoProcess) read(stderr io.Reader, serving chan<- time.Time) {
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if strings.Contains(lines.Text(), `msg="demo serving"`) && len(serving) == 0 {
			serving <- time.Now()
		}
		d.mu.Lock()
		d.log.WriteString(lines.Text() + "\n")
		d.mu.Unlock()
	}
	d.exited <- d.cmd.Wait()
}

func (d *demoProcess) logged() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// stop stops the demo as Ctrl-C does, and waits for it to exit.
func (d *demoProcess) stop() error {
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		return fmt.Errorf("ltbench: demo: stop: %w", err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			return fmt.Errorf("ltbench: demo stopped with %w\n%s", err, d.logged())
		}
		return nil
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		return errors.New("ltbench: demo did not stop within 30 s")
	}
}

// openTab starts a headless Chromium and opens url in a tab, whose page
// must go live.
func openTab(profile, url string) (context.Context, func(), error) {
	opts, err := browsertest.AllocatorOptions(profile)
	if err != nil {
		return nil, nil, err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancel := chromedp.NewContext(alloc)
	closeAll := func() { cancel(); cancelAlloc() }
	nav, done := context.WithTimeout(tab, 30*time.Second)
	defer done()
	if err := chromedp.Do(tab); err == nil {
		err = chromedp.Do(nav, chromedp.Navigate(url))
	}
	if err == nil {
		err = browsertest.WaitIn(tab, `window.liveTemplate && liveTemplate.state === "open"`, 30*time.Second)
	}
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("ltbench: demo: chromium: %w", err)
	}
	return tab, closeAll, nil
}

// resumed is when, in milliseconds after the new process served, the
// tab's socket was open again, and the tab showed the click's change.
type resumed struct {
	Open float64 `json:"open"`
	Done float64 `json:"done"`
}

// watch records in the tab when its socket closes and opens again, and when
// the second row of the list next changes its class, done or not.
const watch = `(() => {
	const row = () => document.querySelector('li[data-key="2"]');
	const want = row().className === "done" ? "" : "done";
	const r = window.benchResume = { closed: 0, open: 0, done: 0 };
	const t = setInterval(() => {
		const now = Date.now();
		if (!r.closed && liveTemplate.state !== "open") r.closed = now;
		if (r.closed && !r.open && liveTemplate.state === "open") r.open = now;
		if (r.open && row().className === want) { r.done = now; clearInterval(t); }
	}, 2);
	return true;
})()`

// restartOnce stops the demo d and starts it again; once the new one serves,
// it ticks the second row of the tab's list, and returns the new demo and
// how long the tab took to resume. The tab is loaded again first: its
// client then waits before reconnecting as one whose connection was open
// for long does, not as one whose connection ended a moment after the last
// restart (the client waits longer after each connection that did not last
// 10 seconds).
func restartOnce(tab context.Context, d *demoProcess, start func() (*demoProcess, error)) (*demoProcess, resumed, error) {
	reload, cancel := context.WithTimeout(tab, 30*time.Second)
	err := chromedp.Do(reload, chromedp.Reload())
	cancel()
	if err == nil {
		err = browsertest.WaitIn(tab, `window.liveTemplate && liveTemplate.state === "open"`, 30*time.Second)
	}
	if err == nil {
		_, err = browsertest.EvalIn[bool](tab, watch)
	}
	if err != nil {
		return d, resumed{}, fmt.Errorf("ltbench: demo: reload the tab: %w", err)
	}
	if err := d.stop(); err != nil {
		return d, resumed{}, err
	}
	if err := browsertest.WaitIn(tab, `benchResume.closed > 0`, 10*time.Second); err != nil {
		return d, resumed{}, fmt.Errorf("ltbench: demo: the tab did not see the demo stop: %w", err)
	}
	next, err := start()
	if err != nil {
		return d, resumed{}, err
	}
	if _, err := browsertest.EvalIn[bool](tab, `(document.querySelector('li[data-key="2"] input[type=checkbox]').click(), true)`); err != nil {
		return next, resumed{}, err
	}
	if err := browsertest.WaitIn(tab, `benchResume.done > 0`, 30*time.Second); err != nil {
		return next, resumed{}, fmt.Errorf("ltbench: demo: the tab did not resume: %w", err)
	}
	r, err := browsertest.EvalIn[resumed](tab, `({open: benchResume.open, done: benchResume.done})`)
	served := float64(next.served.UnixMilli())
	return next, resumed{Open: r.Open - served, Done: r.Done - served}, err
}

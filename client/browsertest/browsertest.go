// Package browsertest runs the browser client's tests in a real headless
// Chromium through chromedp: one browser process per test, any number of
// tabs in it. Tabs of one browser share BroadcastChannel and Web Locks, as
// the tabs of a user's browser do.
//
// Chromium is Debian's package (`make test` installs it when missing); its
// path is $CHROMIUM, or "chromium" on $PATH.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium process.
type Browser struct {
	ctx context.Context // the browser's first tab, kept open
}

// chromium returns the browser's executable.
func chromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("browsertest: no chromium on $PATH and $CHROMIUM unset: `make test` installs Debian's chromium")
}

// AllocatorOptions are the flags this package starts Chromium with: headless,
// as root in CI, without the background traffic that a machine without
// internet refuses. Tools that drive a browser without a test use them too.
func AllocatorOptions(userDataDir string) ([]chromedp.ExecAllocatorOption, error) {
	exe, err := chromium()
	if err != nil {
		return nil, err
	}
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(userDataDir),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), // no internet here
	), nil
}

// Start starts a browser for t, with flags added to [AllocatorOptions]
// (such as chromedp.Flag("ignore-certificate-errors", true)); it ends when t
// does.
func Start(t testing.TB, flags ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	opts, err := AllocatorOptions(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, flags...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return &Browser{ctx: ctx}
}

// Tab is one tab of a browser.
type Tab struct {
	t      testing.TB
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	console []string
}

// Tab opens a new tab; it closes when t ends or on [Tab.Close].
func (b *Browser) Tab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tab := &Tab{t: t, ctx: ctx, cancel: cancel}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("browsertest: open tab: %v", err)
	}
	if err := chromedp.Listen(ctx, tab.listen); err != nil {
		cancel()
		t.Fatalf("browsertest: listen to tab: %v", err)
	}
	t.Cleanup(cancel)
	return tab
}

// Context is the tab's chromedp context, for actions this package lacks.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Close closes the tab, as a user does: the page gets pagehide.
func (tab *Tab) Close() { tab.cancel() }

func (tab *Tab) listen(ev any) {
	var line string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value))
		}
		line = string(ev.Type) + ": " + strings.Join(args, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		line = "exception: " + d.Text
		if d.Exception != nil {
			line += " " + d.Exception.Description
		}
	default:
		return
	}
	tab.mu.Lock()
	tab.console = append(tab.console, line)
	tab.mu.Unlock()
}

// Console returns what the tab's pages wrote to the console, and their
// uncaught exceptions, in order.
func (tab *Tab) Console() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.console...)
}

// Navigate loads url and waits for its load event.
func (tab *Tab) Navigate(url string) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tab.t.Fatalf("browsertest: navigate to %s: %v", url, err)
	}
}

// Eval evaluates the JavaScript expression expr in tab, awaiting it when it
// is a promise, and returns its value as JSON decodes it into T.
func Eval[T any](tab *Tab, expr string) (T, error) { return EvalIn[T](tab.ctx, expr) }

// EvalIn is [Eval] in the tab of a chromedp context, for code that drives
// Chromium without a test, such as the benchmarks. It gives up after 20
// seconds.
func EvalIn[T any](tab context.Context, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return v, fmt.Errorf("browsertest: eval %.200s: %w", expr, err)
	}
	return v, nil
}

// WaitIn polls the expression cond in the tab of a chromedp context until
// it is true, and fails if it is not within timeout.
func WaitIn(tab context.Context, cond string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := EvalIn[bool](tab, "!!("+cond+")")
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("browsertest: %s not true after %v (last error %v)", cond, timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// MustEval is [Eval] that fails the test on error.
func MustEval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	v, err := Eval[T](tab, expr)
	if err != nil {
		tab.t.Fatal(err)
	}
	return v
}

// WaitFor polls the expression cond in tab until it is true, and fails the
// test if it is not within timeout, with the tab's console output.
func (tab *Tab) WaitFor(cond string, timeout time.Duration) {
	tab.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := Eval[bool](tab, "!!("+cond+")")
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tab.t.Fatalf("browsertest: %s not true after %v (last error %v); console:\n%s",
				cond, timeout, err, strings.Join(tab.Console(), "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

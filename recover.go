package livetemplate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// ErrPanicked: user code that the application called (a [Store], a
// [Cluster] or its codec, an iterator of the data that a render ranges
// over, a function given to [Page.Modify], a [Application.PageHandler]'s
// newData) panicked. The panic was recovered and logged with its stack
// ([WithLogger]); the call that ran the code fails with an error wrapping
// ErrPanicked, which does not hold the panic's value, and the page and the
// application go on. (html/template itself turns a panic in a template
// function or a method of the data into an error of Execute; an event
// handler's panic is acknowledged with the code handler_panic.)
var ErrPanicked = errors.New("panicked (recovered; the log has the value and the stack)")

// call calls fn, user code that what names (for example "Store.Put"), so
// that a panic in it is an error of this call: the panic is logged with its
// stack, and call returns the zero T and an error wrapping ErrPanicked. The
// application calls every piece of user code that may run under a page's
// lock, in its own goroutines or in a goroutine of its Cluster's through
// call, so that no panic leaves a lock held or ends the process.
func call[T any](a *Application, what string, fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			a.logError("livetemplate: "+what+" panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			var zero T
			v, err = zero, fmt.Errorf("%s %w", what, ErrPanicked)
		}
	}()
	return fn()
}

// callErr is call for user code that returns only an error.
func callErr(a *Application, what string, fn func() error) error {
	_, err := call(a, what, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// logError logs msg at level Error with the application's logger. A logger
// (or a logged value's LogValue, String or MarshalJSON) that panics loses
// the record, and nothing else: logging is what a panic would be reported
// by.
func (a *Application) logError(msg string, attrs ...slog.Attr) {
	defer func() { _ = recover() }()
	a.logger().LogAttrs(context.Background(), slog.LevelError, msg, attrs...)
}

package client_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/client/browsertest"
)

// bindingsSrc has an element for every lvt-* attribute.
const bindingsSrc = `<p id="count">{{.Count}}</p>
<button id="click" lvt-click="clicked" lvt-value-id="7" lvt-value-kind="button"><span id="inner">Click</span></button>
<a id="link" href="/elsewhere" lvt-click="linked">link</a>
<form id="form" lvt-submit="submitted" lvt-value-form="signup">
<input name="year" value="2024"><input name="title" value="Hello">
<select name="tags" multiple><option selected>a</option><option selected>b</option><option>c</option></select>
<input type="checkbox" name="ok" checked><input type="checkbox" name="no">
<button id="save" name="action" value="save" lvt-disable-with="Saving...">Save</button>
</form>
<input id="change" name="color" value="red" lvt-change="changed">
<input id="input" lvt-input="typed">
<input id="keys" lvt-keydown="keyed" lvt-key="Enter Escape">
<input id="keyup" lvt-keyup="keyupped">
<input id="focus" name="f" value="v" lvt-focus="focused" lvt-blur="blurred">
<div id="win" lvt-window-keydown="win" lvt-key="k" lvt-value-where="window"></div>
<input id="deb" lvt-input="debounced" lvt-debounce="200">
<input id="thr" lvt-input="throttled" lvt-throttle="300">
<button id="slow" lvt-click="slow" lvt-disable-with="Working...">Go</button>`

// record is an event as the server received it.
type record struct {
	name string
	data string
}

// TestBindings tests every lvt-* attribute in Chromium, with real input
// events where the attribute is about input (keys, focus, clicks).
func TestBindings(t *testing.T) {
	b := browsertest.Start(t)
	s := newSite(t, siteConfig{src: bindingsSrc, version: true})
	got := make(chan record, 100)
	for _, name := range []string{"clicked", "linked", "submitted", "changed", "typed", "keyed", "keyupped", "focused", "blurred", "win", "debounced", "throttled"} {
		s.handle(name, func(_ context.Context, _ *livetemplate.Page, e livetemplate.Event) error {
			got <- record{e.Name, string(e.Data)}
			return nil
		})
	}
	release := make(chan struct{})
	s.handle("slow", func(ctx context.Context, _ *livetemplate.Page, e livetemplate.Event) error {
		<-release
		return nil
	})
	tab := s.open(b, "/page")
	browsertest.MustEval[bool](tab, `window.marker = true`)

	run := func(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Context(), 10*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	// next returns the next event the server got; want is its name.
	next := func(t *testing.T, want string) map[string]any {
		t.Helper()
		select {
		case r := <-got:
			if r.name != want {
				t.Fatalf("event %s %s, want %s", r.name, r.data, want)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(r.data), &d); err != nil {
				t.Fatalf("event %s: data %s: %v", r.name, r.data, err)
			}
			return d
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event; console:\n%s", want, strings.Join(tab.Console(), "\n"))
			return nil
		}
	}
	none := func(t *testing.T, wait time.Duration) {
		t.Helper()
		select {
		case r := <-got:
			t.Fatalf("unexpected event %s %s", r.name, r.data)
		case <-time.After(wait):
		}
	}
	same := func(t *testing.T, d map[string]any, want string) {
		t.Helper()
		var w map[string]any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(d)
		b, _ := json.Marshal(w)
		if string(a) != string(b) {
			t.Errorf("data %s, want %s", a, b)
		}
	}

	t.Run("Click", func(t *testing.T) {
		run(t, chromedp.Click(chromedp.CSS("#inner"))) // on a child: the button's attribute applies
		same(t, next(t, "clicked"), `{"id":"7","kind":"button"}`)
	})
	t.Run("ClickLink", func(t *testing.T) {
		run(t, chromedp.Click(chromedp.CSS("#link")))
		same(t, next(t, "linked"), `{}`)
		if !browsertest.MustEval[bool](tab, `window.marker === true && location.pathname === "/page"`) {
			t.Error("the link navigated")
		}
	})
	t.Run("Submit", func(t *testing.T) {
		run(t, chromedp.Click(chromedp.CSS("#save")))
		// Strings stay strings: "2024" is not a number.
		same(t, next(t, "submitted"), `{"year":"2024","title":"Hello","tags":["a","b"],"ok":"on","action":"save","form":"signup"}`)
		if !browsertest.MustEval[bool](tab, `window.marker === true`) {
			t.Error("the form was submitted by the browser")
		}
	})
	t.Run("Change", func(t *testing.T) {
		run(t, chromedp.SendKeys(chromedp.CSS("#change"), "dish"), chromedp.Blur(chromedp.CSS("#change")))
		same(t, next(t, "changed"), `{"color":"dishred"}`) // typed at the caret, at the start
		none(t, 50*time.Millisecond)
	})
	t.Run("Input", func(t *testing.T) {
		run(t, chromedp.SendKeys(chromedp.CSS("#input"), "ab"))
		same(t, next(t, "typed"), `{"value":"a"}`)
		same(t, next(t, "typed"), `{"value":"ab"}`)
	})
	t.Run("KeydownFilter", func(t *testing.T) {
		run(t, chromedp.SendKeys(chromedp.CSS("#keys"), "ab"+kb.Enter+"c"+kb.Escape))
		same(t, next(t, "keyed"), `{"value":"ab","key":"Enter"}`)
		same(t, next(t, "keyed"), `{"value":"abc","key":"Escape"}`)
		none(t, 50*time.Millisecond)
	})
	t.Run("Keyup", func(t *testing.T) {
		run(t, chromedp.SendKeys(chromedp.CSS("#keyup"), "x"))
		same(t, next(t, "keyupped"), `{"value":"x","key":"x"}`)
	})
	t.Run("FocusBlur", func(t *testing.T) {
		run(t, chromedp.Focus(chromedp.CSS("#focus")))
		same(t, next(t, "focused"), `{"f":"v"}`)
		run(t, chromedp.Blur(chromedp.CSS("#focus")))
		same(t, next(t, "blurred"), `{"f":"v"}`)
	})
	t.Run("WindowKeydown", func(t *testing.T) {
		browsertest.MustEval[bool](tab, `document.activeElement.blur(), true`)
		run(t, chromedp.KeyEvent("j"), chromedp.KeyEvent("k"))
		same(t, next(t, "win"), `{"where":"window","key":"k"}`)
		none(t, 50*time.Millisecond)
	})
	t.Run("Debounce", func(t *testing.T) {
		start := time.Now()
		run(t, chromedp.SendKeys(chromedp.CSS("#deb"), "abcde"))
		same(t, next(t, "debounced"), `{"value":"abcde"}`)
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("sent after %v", d)
		}
		none(t, 300*time.Millisecond)
	})
	t.Run("Throttle", func(t *testing.T) {
		run(t, chromedp.SendKeys(chromedp.CSS("#thr"), "abcdef"))
		same(t, next(t, "throttled"), `{"value":"a"}`) // at once
		d := next(t, "throttled")                      // the last value, at the end of the window
		for d["value"] != "abcdef" {
			d = next(t, "throttled")
		}
		none(t, 400*time.Millisecond)
	})
	t.Run("DisableWithAndLoading", func(t *testing.T) {
		run(t, chromedp.Click(chromedp.CSS("#slow")))
		state := `(() => { const b = document.getElementById("slow"); return [b.textContent, String(b.disabled), b.className]; })()`
		tab.WaitFor(`document.getElementById("slow").disabled`, time.Second)
		if s := browsertest.MustEval[[]string](tab, state); strings.Join(s, "|") != "Working...|true|lvt-loading" {
			t.Errorf("while the event waits for its ack: %q", s)
		}
		close(release)
		tab.WaitFor(`!document.getElementById("slow").disabled`, 5*time.Second)
		if s := browsertest.MustEval[[]string](tab, state); strings.Join(s, "|") != "Go|false|" {
			t.Errorf("after the ack: %q", s)
		}
	})
	noConsole(t, tab)
}

package livetemplate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
)

// catchUpCount reads a lagging client's messages until it holds the page's
// version, and returns how many diffs and renders it got.
func catchUpCount(t *testing.T, ws *websocket.Conn, page *livetemplate.Page) (diffs, renders int) {
	t.Helper()
	var version uint64
	for version < page.Version() {
		_, msg, err := ws.Read(testContext(t))
		if err != nil {
			t.Fatalf("the lagging client at version %d: %v", version, err)
		}
		var m struct {
			Type    string
			V, Base uint64
		}
		json.Unmarshal(msg, &m)
		switch {
		case m.Type == "render":
			renders++
		case m.Type == "diff" && m.Base != version:
			t.Fatalf("a diff from version %d reached a client at version %d", m.Base, version)
		case m.Type == "diff":
			diffs++
		default:
			continue
		}
		version = m.V
	}
	return diffs, renders
}

// TestSendQueueBytes: a client that falls behind by more bytes than
// WithSendQueueBytes (the count of messages far from its limit) gets a
// catch-up in place of the diffs that had no room; with room for them all,
// it gets every diff.
func TestSendQueueBytes(t *testing.T) {
	for _, tc := range []struct {
		bytes  int
		lagged bool
	}{{256 << 10, true}, {64 << 20, false}} {
		t.Run(fmt.Sprint(tc.bytes), func(t *testing.T) {
			// No heartbeat: the paused client would not answer it. No
			// write timeout either: the paused client takes nothing until
			// the burst ends, which took 77 s on a loaded machine under
			// -race, past the minute this was.
			_, url, page := liveCounter(t, livetemplate.WithSendQueue(10_000), livetemplate.WithSendQueueBytes(tc.bytes),
				livetemplate.WithWriteTimeout(time.Hour), livetemplate.WithHeartbeat(time.Hour))
			diffs, renders := catchUpCount(t, burst(t, url, page), page)
			if lagged := diffs < 150; lagged != tc.lagged {
				t.Fatalf("%d diffs and %d renders of 150 changes of 64 KB; want lagged %v", diffs, renders, tc.lagged)
			}
		})
	}
}

// TestEventQueueBytes: past WithEventQueueBytes of events waiting on a
// connection, an event is refused with unavailable.
func TestEventQueueBytes(t *testing.T) {
	for _, tc := range []struct {
		bytes   int
		refused bool
	}{{4096, true}, {livetemplate.DefaultEventQueueBytes, false}} {
		t.Run(fmt.Sprint(tc.bytes), func(t *testing.T) {
			url, page, _, release := blockingApp(t, livetemplate.WithEventQueueBytes(tc.bytes))
			defer close(release)
			ws, _, err := websocket.Dial(testContext(t), url+"?token="+page.GetToken(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			data := strings.Repeat("d", 1000)
			for i := range 10 {
				sendFrame(t, ws, fmt.Sprintf(`{"type":"event","id":"e%d","name":"block","data":%q}`, i, data))
			}
			if refused := unavailableWithin(t, ws, 300*time.Millisecond); refused != tc.refused {
				t.Fatalf("10 events of 1 KB waiting on a budget of %d bytes: refused %v; want %v", tc.bytes, refused, tc.refused)
			}
		})
	}
}

// unavailableWithin reports whether an ack with the code unavailable comes
// within d.
func unavailableWithin(t *testing.T, ws *websocket.Conn, d time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), d)
	defer cancel()
	for {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			return false
		}
		if strings.Contains(string(msg), `"code":"unavailable"`) {
			return true
		}
	}
}

// TestByteRate: past WithByteRate's burst, a frame is refused with
// rate_limited however few frames came.
func TestByteRate(t *testing.T) {
	_, url, page := liveCounter(t, livetemplate.WithByteRate(100, 4096))
	p := join(t, dial(t, url), page.GetToken())
	pad := map[string]string{"pad": strings.Repeat("x", 1500)}
	for range 2 {
		if err := p.Event(testContext(t), "add", pad); err != nil {
			t.Fatalf("an event within the byte burst: %v", err)
		}
	}
	wantCode(t, p.Event(testContext(t), "add", pad), "rate_limited")

	_, url, page = liveCounter(t)
	p = join(t, dial(t, url), page.GetToken())
	for range 3 {
		if err := p.Event(testContext(t), "add", pad); err != nil {
			t.Fatalf("an event within the default byte rate: %v", err)
		}
	}
}

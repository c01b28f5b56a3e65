package livetemplate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/livetemplate/livetemplate"
	"github.com/livetemplate/livetemplate/internal/replica"
)

var updateProtocolVectors = flag.Bool("update-protocol-vectors", false, "rewrite testdata/protocol/sessions.json from a run against the endpoint")

const sessionsPath = "testdata/protocol/sessions.json"

// sessionTemplate is the template of every scenario's page. Its data is
// JSON, so that the file can carry it.
const sessionTemplate = `<p>{{.count}}</p><ul>{{range .log}}<li data-key="{{.}}">{{.}}</li>{{end}}</ul>`

// sessionFile is the format of the protocol test vectors that the Go tests
// and the browser client's tests share (docs/protocol.md, "Test vectors").
type sessionFile struct {
	Comment   string
	Template  string
	Events    string
	Scenarios []session
}

type session struct {
	Name     string          `json:"name"`
	Endpoint string          `json:"endpoint"`
	Data     json.RawMessage `json:"data"`
	Steps    []sessionStep   `json:"steps"`
}

// sessionStep is one step: the client sends a frame, the server's
// application changes or closes the page, or the client receives a message
// (with, after a render or diff, the HTML of the page it now holds).
type sessionStep struct {
	Send      json.RawMessage `json:"send,omitempty"`
	SendText  string          `json:"sendText,omitempty"`
	Update    json.RawMessage `json:"update,omitempty"`
	ClosePage bool            `json:"closePage,omitempty"`
	Recv      json.RawMessage `json:"recv,omitempty"`
	HTML      *string         `json:"html,omitempty"`
}

// action is a step of a scenario's source: what the client or the
// application does, and the types of the messages the server answers with,
// in order.
type action struct {
	send      string // a JSON client message
	sendText  string // a text frame that is not JSON
	update    string // data for Page.Update
	closePage bool
	recv      []string
}

func send(msg string, recv ...string) action       { return action{send: msg, recv: recv} }
func sendText(frame string, recv ...string) action { return action{sendText: frame, recv: recv} }

const (
	joinMsg = `{"type":"join","token":"$TOKEN"}`
	addMsg  = `{"type":"event","id":"t1-1","name":"add","data":{"n":2}}`
	start   = `{"count":0,"log":[]}`
)

type sessionSource struct {
	name, endpoint string
	steps          []action
}

// sessionSources are the scenarios. "/live" is Handler, with a page made
// with start as $TOKEN; "/page" is a PageHandler that makes a page of start
// for each connection.
var sessionSources = []sessionSource{
	{"join: render, then joined", "/live", []action{send(joinMsg, "render", "joined")}},
	{"token on connect", "/live?token=$TOKEN", []action{{recv: []string{"render", "joined"}}}},
	{"event: its diff, then its ack", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(addMsg, "diff", "ack"),
		send(`{"type":"event","id":"t1-2","name":"add"}`, "diff", "ack"),
	}},
	{"resent event: acknowledged again, applied once", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(addMsg, "diff", "ack"),
		send(addMsg, "ack"),
	}},
	{"numbered events: once and in order", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(`{"type":"event","id":"t-1","seq":1,"name":"add"}`, "diff", "ack"),
		send(`{"type":"event","id":"t-3","seq":3,"name":"add"}`, "ack"),
		send(`{"type":"event","id":"t-1","seq":1,"name":"add"}`, "ack"),
		send(`{"type":"event","id":"t-2","seq":2,"name":"add"}`, "diff", "ack"),
		send(`{"type":"event","id":"t-3","seq":3,"name":"add"}`, "diff", "ack"),
		send(`{"type":"event","id":"t-4","seq":3,"name":"add"}`, "error"),
	}},
	{"failed events: error acks", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(`{"type":"event","id":"t1-1","name":"fail"}`, "ack"),
		send(`{"type":"event","id":"t1-2","name":"nope"}`, "ack"),
		send(`{"type":"event","page":"other","id":"t1-3","name":"add"}`, "ack"),
	}},
	{"named page", "/live", []action{
		send(`{"type":"join","page":"p1","token":"$TOKEN"}`, "render", "joined"),
		send(`{"type":"event","page":"p1","id":"t1-1","name":"add"}`, "diff", "ack"),
		send(`{"type":"leave","page":"p1"}`),
		send(`{"type":"event","page":"p1","id":"t1-2","name":"add"}`, "ack"),
	}},
	{"resume from history", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(addMsg, "diff", "ack"),
		send(`{"type":"leave"}`),
		send(`{"type":"ping"}`, "pong"), // leave has no answer: the pong says it was read
		{update: `{"count":3,"log":["server"]}`},
		{update: `{"count":4,"log":["server","again"]}`},
		send(`{"type":"join","token":"$TOKEN","v":2}`, "diff", "diff", "joined"),
	}},
	{"resync: join again", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(`{"type":"join","token":"$TOKEN","v":1}`, "joined"),
		send(`{"type":"join","token":"$TOKEN"}`, "render", "joined"),
	}},
	{"leave: nothing more about the page", "/live", []action{
		send(joinMsg, "render", "joined"),
		send(`{"type":"leave"}`),
		send(`{"type":"ping"}`, "pong"),
		{update: `{"count":1,"log":["unseen"]}`},
		send(`{"type":"ping"}`, "pong"),
	}},
	{"page closed while joined", "/live", []action{
		send(joinMsg, "render", "joined"),
		{closePage: true, recv: []string{"error"}},
		send(joinMsg, "error"),
	}},
	{"Pattern 1: page_token", "/page", []action{
		{recv: []string{"page_token", "render", "joined"}},
		send(addMsg, "diff", "ack"),
	}},
	{"unknown token", "/live", []action{
		send(`{"type":"join","token":"not-a-token"}`, "error"),
		send(`{"type":"join","page":"p1","token":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`, "error"),
	}},
	{"bad messages", "/live", []action{
		sendText(`hello`, "error"),
		send(`{"type":"jump"}`, "error"),
		send(`{"type":"event","name":"add"}`, "error"),
		send(`{"type":"join","page":"p1"}`, "error"),
	}},
	{"strict frames: exact keys, once, and Unicode strings", "/live", []action{
		send(`{"TYPE":"ping"}`, "error"),
		send(`{"type":"join","Token":"$TOKEN"}`, "error"),
		send(`{"type":"ping","later":true}`, "error"),
		send(`{"type":"join","token":"$TOKEN","data":{}}`, "error"),
		sendText(`{"type":"ping","type":"ping"}`, "error"),
		sendText(`{"type":"event","id":"\ud800","name":"add"}`, "error"),
		send(`{"type":"\u006aoin","token":"$TOKEN"}`, "render", "joined"),
	}},
	{"refs: answers carry the request's ref", "/live", []action{
		send(`{"type":"join","token":"$TOKEN","ref":"j1"}`, "render", "joined"),
		send(`{"type":"join","token":"$TOKEN","v":1,"ref":"j2"}`, "joined"),
		send(`{"type":"ping","ref":"p1"}`, "pong"),
		send(`{"type":"join","page":"p2","token":"not-a-token","ref":"j3"}`, "error"),
		send(`{"type":"event","id":"t1-1","name":"add","ref":"e1"}`, "error"),
		send(`{"type":"ping"}`, "pong"),
	}},
}

// TestProtocolVectors runs every scenario against a real endpoint, checks
// each received message against the file and each page's HTML against
// html/template, and that the file is what the run produces. Run with
// -update-protocol-vectors after a deliberate change of the protocol.
func TestProtocolVectors(t *testing.T) {
	var file []session
	if !*updateProtocolVectors {
		file = readSessions(t)
	}
	got := sessionFile{
		Comment:  "Protocol test vectors: each scenario is one WebSocket connection to endpoint (/live: Handler, with a page of the template and data whose token is $TOKEN; /page: a PageHandler that makes such a page per connection). Steps in order: send (a client message) or sendText (a frame sent as it is); update or closePage (the application changes or closes the page); recv (the next server message, equal as a JSON value once $TOKEN is replaced by the page's token), and after a render or diff, html: the HTML of the page the client then holds, which is html/template's Execute output for the page's data at that version. Generated by protocol_vectors_test.go; see docs/protocol.md.",
		Template: sessionTemplate,
		Events:   `add: count += data.n (1 without data), log += the event's id; fail: returns the error "nothing to undo"`,
	}
	for i, src := range sessionSources {
		var want []sessionStep
		if i < len(file) && file[i].Name == src.name {
			want = file[i].Steps
		}
		got.Scenarios = append(got.Scenarios, session{Name: src.name, Endpoint: src.endpoint, Data: json.RawMessage(start),
			Steps: runSession(t, src, want)})
	}
	b := encodeSessions(t, got)
	if *updateProtocolVectors {
		if err := os.MkdirAll(filepath.Dir(sessionsPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sessionsPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if old, _ := os.ReadFile(sessionsPath); !bytes.Equal(old, b) {
		t.Fatalf("%s is stale: regenerate with go test -run TestProtocolVectors -update-protocol-vectors", sessionsPath)
	}
}

func readSessions(t *testing.T) []session {
	t.Helper()
	b, err := os.ReadFile(sessionsPath)
	if err != nil {
		t.Fatalf("%v (generate with: go test -run TestProtocolVectors -update-protocol-vectors)", err)
	}
	var f struct{ Scenarios []session }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", sessionsPath, err)
	}
	return f.Scenarios
}

// sessionRun is one scenario's server and client.
type sessionRun struct {
	t     *testing.T
	name  string
	ctx   context.Context
	app   *livetemplate.Application
	ws    *websocket.Conn
	page  *livetemplate.Page
	token string
	pages map[string]*heldPage // the client's copies of its pages, by name

	mu sync.Mutex
	at map[uint64]any // the page's data at each version
}

type heldPage struct {
	tree    replica.Tree
	version uint64
}

// runSession runs one scenario and returns its steps, checking each against
// want when there is one.
func runSession(t *testing.T, src sessionSource, want []sessionStep) []sessionStep {
	name := src.name
	r := &sessionRun{t: t, name: name, ctx: testContext(t), pages: map[string]*heldPage{}, at: map[uint64]any{1: decodeJSON(t, start)}}
	url := r.serve(src.endpoint)
	ws, _, err := websocket.Dial(r.ctx, "ws"+strings.TrimPrefix(url, "http")+strings.ReplaceAll(src.endpoint, "$TOKEN", r.token), nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer ws.CloseNow()
	r.ws = ws
	var steps []sessionStep
	for _, a := range src.steps {
		steps = append(steps, r.act(a)...)
	}
	// The server must have nothing more to say.
	r.write([]byte(`{"type":"ping"}`))
	if typ, msg := r.read(); typ != "pong" {
		t.Errorf("%s: after the last step the server sent %s", name, msg)
	}
	for i, s := range steps {
		if i < len(want) {
			r.compare(i, s, want[i])
		}
	}
	if want != nil && len(want) != len(steps) {
		t.Errorf("%s: the run has %d steps, the file %d", name, len(steps), len(want))
	}
	return steps
}

// serve starts the scenario's application and server; for /live it makes
// the page.
func (r *sessionRun) serve(endpoint string) string {
	app := newApp(r.t)
	r.app = app
	register(r.t, app, "session", sessionTemplate)
	handle(r.t, app, "session", "add", r.add)
	handle(r.t, app, "session", "fail", func(context.Context, *livetemplate.Page, livetemplate.Event) error {
		return errors.New("nothing to undo")
	})
	mux := http.NewServeMux()
	mux.Handle("/live", app.Handler())
	mux.Handle("/page", app.PageHandler("session", func(*http.Request) (any, error) { return decodeJSON(r.t, start), nil }))
	srv := httptest.NewServer(mux)
	r.t.Cleanup(func() {
		app.Close()
		srv.Close()
	})
	if strings.HasPrefix(endpoint, "/live") {
		r.page = newPage(r.t, app, "session", decodeJSON(r.t, start))
		r.token = r.page.GetToken()
	}
	return srv.URL
}

// add is the "add" event: count += n, log += the event's id.
func (r *sessionRun) add(ctx context.Context, p *livetemplate.Page, e livetemplate.Event) error {
	d := struct{ N float64 }{N: 1}
	if err := e.Decode(&d); err != nil {
		return err
	}
	var next map[string]any
	u, err := p.Modify(ctx, func(data any) (any, error) {
		m := data.(map[string]any)
		next = map[string]any{"count": m["count"].(float64) + d.N, "log": append(slices.Clone(m["log"].([]any)), e.ID)}
		return next, nil
	})
	if err == nil {
		r.record(u.Version, next)
	}
	return err
}

func (r *sessionRun) record(v uint64, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at[v] = data
}

// act performs a and reads the messages it causes.
func (r *sessionRun) act(a action) []sessionStep {
	var steps []sessionStep
	switch {
	case a.send != "":
		r.write([]byte(strings.ReplaceAll(a.send, "$TOKEN", r.token)))
		steps = append(steps, sessionStep{Send: json.RawMessage(a.send)})
	case a.sendText != "":
		r.write([]byte(a.sendText))
		steps = append(steps, sessionStep{SendText: a.sendText})
	case a.update != "":
		data := decodeJSON(r.t, a.update)
		u, err := r.page.Update(data)
		if err != nil {
			r.t.Fatalf("%s: update: %v", r.name, err)
		}
		r.record(u.Version, data)
		steps = append(steps, sessionStep{Update: json.RawMessage(a.update)})
	case a.closePage:
		r.page.Close()
		steps = append(steps, sessionStep{ClosePage: true})
	}
	var held []uint64 // the version after each step that changed the page
	for _, typ := range a.recv {
		got, msg := r.read()
		if got != typ {
			r.t.Fatalf("%s: received %s; want a %s", r.name, msg, typ)
		}
		s, v := r.receive(msg)
		steps = append(steps, s)
		if s.HTML != nil {
			held = append(held, v)
		}
	}
	// An event's handler records the data of the version it made before
	// it returns, so before its ack: check the HTML once all is read.
	for _, s := range steps {
		if s.HTML != nil {
			r.checkHTML(held[0], *s.HTML)
			held = held[1:]
		}
	}
	return steps
}

// checkHTML checks the HTML a client holds at version v against
// html/template.
func (r *sessionRun) checkHTML(v uint64, html string) {
	r.mu.Lock()
	data, ok := r.at[v]
	r.mu.Unlock()
	if !ok {
		r.t.Fatalf("%s: no data recorded for version %d", r.name, v)
	}
	if want := execute(r.t, sessionTemplate, data, r.token); html != want {
		r.t.Errorf("%s: at version %d the client holds\n%s\nwant (html/template)\n%s", r.name, v, html, want)
	}
}

func (r *sessionRun) write(b []byte) {
	if err := r.ws.Write(r.ctx, websocket.MessageText, b); err != nil {
		r.t.Fatalf("%s: write: %v", r.name, err)
	}
}

func (r *sessionRun) read() (typ string, msg []byte) {
	_, msg, err := r.ws.Read(r.ctx)
	if err != nil {
		r.t.Fatalf("%s: read: %v", r.name, err)
	}
	var m struct{ Type string }
	if err := json.Unmarshal(msg, &m); err != nil {
		r.t.Fatalf("%s: server message %s: %v", r.name, msg, err)
	}
	return m.Type, msg
}

// receive applies a server message as a client does. It returns the
// message's step, with the page's token written as $TOKEN, and the version
// the client holds of the page the message is about.
func (r *sessionRun) receive(msg []byte) (sessionStep, uint64) {
	var m struct {
		Type, Page, Token string
		V, Base           uint64
		Tree, D           json.RawMessage
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		r.t.Fatalf("%s: %s: %v", r.name, msg, err)
	}
	if m.Type == "page_token" {
		r.token = m.Token
		page, err := r.app.GetPage(m.Token)
		if err != nil {
			r.t.Fatalf("%s: %v", r.name, err)
		}
		r.page = page
	}
	step := sessionStep{Recv: json.RawMessage(strings.ReplaceAll(string(msg), r.token, "$TOKEN"))}
	switch m.Type {
	case "render":
		r.pages[m.Page] = new(heldPage)
		step.HTML = r.apply(m.Page, m.V, m.Tree)
	case "diff":
		if p := r.pages[m.Page]; p == nil || p.version != m.Base {
			r.t.Fatalf("%s: %s does not apply to what the client holds", r.name, msg)
		}
		step.HTML = r.apply(m.Page, m.V, m.D)
	}
	if p := r.pages[m.Page]; p != nil {
		return step, p.version
	}
	return step, 0
}

// apply applies a tree or diff to the client's copy of a page and returns
// its HTML.
func (r *sessionRun) apply(page string, v uint64, body json.RawMessage) *string {
	p := r.pages[page]
	if err := p.tree.Apply(body); err != nil {
		r.t.Fatalf("%s: apply v%d: %v", r.name, v, err)
	}
	p.version = v
	html, err := p.tree.HTML()
	if err != nil {
		r.t.Fatal(err)
	}
	return &html
}

// compare checks step i of the run against the file's, with the file's
// $TOKEN replaced by the page's token.
func (r *sessionRun) compare(i int, got, want sessionStep) {
	show := func(b json.RawMessage) string { return strings.ReplaceAll(string(b), "$TOKEN", r.token) }
	sub := func(b json.RawMessage) any {
		if b == nil {
			return nil
		}
		return decodeJSON(r.t, show(b))
	}
	switch {
	case !reflect.DeepEqual(sub(got.Recv), sub(want.Recv)):
		r.t.Errorf("%s: step %d: received %s; the file has %s", r.name, i, show(got.Recv), show(want.Recv))
	case !reflect.DeepEqual(sub(got.Send), sub(want.Send)) || got.SendText != want.SendText ||
		!reflect.DeepEqual(sub(got.Update), sub(want.Update)) || got.ClosePage != want.ClosePage:
		r.t.Errorf("%s: step %d differs from the file's", r.name, i)
	case (got.HTML == nil) != (want.HTML == nil) || got.HTML != nil && *got.HTML != *want.HTML:
		r.t.Errorf("%s: step %d: the client holds %v; the file has %v", r.name, i, deref(got.HTML), deref(want.HTML))
	}
}

func deref(s *string) string {
	if s == nil {
		return "no HTML"
	}
	return *s
}

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// encodeSessions writes the file with one step per line, so that each
// message reads as it is sent.
func encodeSessions(t *testing.T, f sessionFile) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	for _, kv := range [][2]string{{"comment", f.Comment}, {"template", f.Template}, {"events", f.Events}} {
		b.WriteString("  " + compactJSON(t, kv[0]) + ": " + compactJSON(t, kv[1]) + ",\n")
	}
	b.WriteString("  \"scenarios\": [\n")
	for i, s := range f.Scenarios {
		steps := s.Steps
		s.Steps = nil
		head := compactJSON(t, s)
		b.WriteString("    " + strings.TrimSuffix(head, `"steps":null}`) + "\"steps\": [\n")
		for j, st := range steps {
			b.WriteString("      " + compactJSON(t, st) + comma(j, len(steps)) + "\n")
		}
		b.WriteString("    ]}" + comma(i, len(f.Scenarios)) + "\n")
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}

func comma(i, n int) string {
	if i == n-1 {
		return ""
	}
	return ","
}

// compactJSON encodes v on one line, keeping '<', '>' and '&' readable.
func compactJSON(t *testing.T, v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

package livetemplatetest_test

import (
	"errors"
	"testing"

	"github.com/livetemplate/livetemplate/livetemplatetest"
)

// commandsSrc binds command lists: one with two push commands among
// commands the browser runs alone, one with none, one the browser refuses,
// and a window binding.
const commandsSrc = `<button id="del" lvt-value-id="7" lvt-click='[["add-class",{"to":"closest li","names":"removing"}],["push",{"event":"delete"}],["push",{"event":"log","value":{"from":"menu"}}]]'>Delete</button>
<button id="menu" lvt-click='[["toggle",{"to":"#panel"}]]'>Menu</button>
<button id="bad" lvt-click='[["explode"],["push",{"event":"delete"}]]'>Bad</button>
<div id="panel" lvt-window-keydown='[["hide"],["push",{"event":"log"}]]' lvt-key="Escape"></div>`

// TestCommandLists: a binding that lists client-side commands sends the
// events of its push commands alone, in order, each with the binding's data
// and the command's value; a list without one sends nothing and is no
// error; a list that the browser refuses sends nothing.
func TestCommandLists(t *testing.T) {
	s := newDOMSite(t, commandsSrc, nil, "delete", "log")
	p := s.page
	s.expect(t, p.Click(ctx(t), "#del"), `delete {"id":"7"}`, `log {"from":"menu","id":"7"}`)
	s.expect(t, p.Click(ctx(t), "#menu"))
	if err := p.Click(ctx(t), "#bad"); !errors.Is(err, livetemplatetest.ErrNoBinding) {
		t.Errorf("a list with an unknown command: %v; want ErrNoBinding (the browser sends nothing)", err)
	}
	s.expect(t, nil)
	s.expect(t, p.Window(ctx(t), "keydown", "Escape"), `log {"key":"Escape"}`)
}

package livetemplate

import (
	"cmp"
	"maps"
	"slices"

	"github.com/livetemplate/livetemplate/internal/protocol"
)

// A change's id: an event's (with its tab and sequence number when its
// client numbers its events), a follower's change's, or a message's of a
// topic (with its number in the cluster's topic log, if any).
type changeID struct {
	id  string
	tab string // the event's tab, "" when it has no sequence number
	seq uint64 // its sequence number in its tab, from 1; 0 for none

	message bool   // a message of a topic: not among the events' ids
	logSeq  uint64 // the message's number in the cluster's TopicLog; 0 for none
}

// messageChange is the change id of m, a message of a topic.
func messageChange(m Message) changeID {
	return changeID{id: topicPrefix + m.ID, message: true, logSeq: m.seq}
}

// eventChange is the change id of e.
func eventChange(e Event) changeID {
	return changeID{id: e.ID, tab: protocol.Tab(e.ID, e.seq), seq: e.seq}
}

// marks holds the high-water mark of each tab that sent a page numbered
// events: the sequence number of its latest event that ran. A tab's events
// run in the order of their numbers, each once: one at or below the mark
// ran already, one more than a step above it waits for those before it. It
// keeps the limit tabs that sent an event last. The zero value is empty.
type marks struct {
	byTab map[string]mark
	clock uint64 // counts the marks set, to order them by use
}

type mark struct{ seq, used uint64 }

// get returns the mark of tab, if it is kept.
func (m *marks) get(tab string) (uint64, bool) {
	k, ok := m.byTab[tab]
	return k.seq, ok
}

// set makes seq the mark of tab, forgetting the least recently set tab when
// limit tabs are kept already.
func (m *marks) set(tab string, seq uint64, limit int) {
	if m.byTab == nil {
		m.byTab = make(map[string]mark)
	}
	if _, ok := m.byTab[tab]; !ok && len(m.byTab) >= limit {
		oldest, at := "", ^uint64(0)
		for t, k := range m.byTab {
			if k.used < at {
				oldest, at = t, k.used
			}
		}
		delete(m.byTab, oldest)
	}
	m.clock++
	m.byTab[tab] = mark{seq: seq, used: m.clock}
}

// list returns the marks for a store record, least recently set first.
func (m *marks) list() []EventMark {
	tabs := slices.SortedFunc(maps.Keys(m.byTab), func(a, b string) int {
		return cmp.Compare(m.byTab[a].used, m.byTab[b].used)
	})
	out := make([]EventMark, len(tabs), len(tabs)+1)
	for i, t := range tabs {
		out[i] = EventMark{Tab: t, Seq: m.byTab[t].seq}
	}
	return out
}

// marksFrom holds the marks of a store record, up to limit of the latest.
func marksFrom(list []EventMark, limit int) marks {
	var m marks
	for _, k := range list[max(0, len(list)-limit):] {
		m.set(k.Tab, k.Seq, limit)
	}
	return m
}

// withMark returns list with k, the latest mark of its tab, last.
func withMark(list []EventMark, k EventMark) []EventMark {
	list = slices.DeleteFunc(list, func(x EventMark) bool { return x.Tab == k.Tab })
	return append(list, k)
}

// EventMark is a tab's high-water mark as a page's store record keeps it
// (see [PageRecord.Marks]): the sequence number of the tab's latest event
// that ran on the page.
type EventMark struct {
	Tab string // the tab's id: the ids of its events are Tab, a dash and their number
	Seq uint64 // the number of the tab's latest event that ran
}

// order says whether the change c may run now, as the next of its tab: ran
// when it ran already (a resend whose result the page no longer keeps), and
// a refusal res when an earlier event of its tab has not run yet. t.mu is
// held.
func (t *turns) orderLocked(c changeID) (res *protocol.Error, ran bool) {
	if c.seq == 0 {
		return nil, false
	}
	last, ok := t.marks.get(c.tab)
	switch {
	case ok && c.seq <= last:
		return nil, true
	case ok && c.seq > last+1:
		return outOfOrder, false
	}
	return nil, false
}

var outOfOrder = &protocol.Error{Code: protocol.CodeUnavailable, Message: "an earlier event of this tab has not run yet: resend it first"}

// A page's topic mark is the number, in the cluster's [TopicLog], of the
// latest message of a topic that ran on the page (or, before any did, of
// the log's latest message when the page was made): the page's messages
// come in the order of their numbers, so one at or below the mark ran
// already, or came before the page. It has a mark of its own, apart from
// the events' ids and marks, so that neither a burst of events nor one of
// messages pushes the other out. Without a log (an application alone, or
// a Cluster that is no TopicLog) each message reaches a page once, and
// the page keeps nothing of it.

// messageRanLocked reports whether the message c ran on the page. t.mu is
// held.
func (t *turns) messageRanLocked(c changeID) bool {
	return c.logSeq > 0 && c.logSeq <= t.topicMark
}

// topicMarkNow returns the page's topic mark.
func (t *turns) topicMarkNow() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.topicMark
}

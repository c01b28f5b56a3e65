package livetemplate

// Stats is a reading of what an application serves on this instance, as
// [Application.Stats] takes it: each count is exact at some moment during
// the call, not all at the same moment.
type Stats struct {
	// Connections is how many WebSocket connections of the application's
	// endpoints are open, those being closed included.
	Connections int
	// Browsers is how many browsers hold them: the connections that sent
	// one browser id ([BrowserID]) count once, as one browser's tabs share
	// one connection (two while a leader hands over); a connection without
	// a browser id (a client without Web Locks, a non-browser client)
	// counts as a browser of its own.
	Browsers int
	// Pages is how many live pages the application holds, joined or not.
	Pages int
	// Viewers is how many joins of pages the connections hold: a tab that
	// shows a page counts once, each of a browser's tabs apart.
	Viewers int
}

// Stats returns how many connections, browsers, live pages and viewers the
// application has on this instance (in a cluster, each instance counts its
// own). It takes the application's locks briefly, in turn; its cost grows
// with the connections and the pages: for a status page or metrics, not for
// every event.
func (a *Application) Stats() Stats {
	s := Stats{}
	s.Connections, s.Browsers = a.conns.count("")
	s.Pages, s.Viewers = a.pages.count()
	return s
}

// BrowserConnections returns how many connections of this instance came
// from the browser of id, as [BrowserID] gives it for a handshake request
// (LiveTemplateClient.leader.browser in the browser): 1 for a browser whose
// tabs share one connection, 2 for a moment while a leader hands over, 0
// for "" or a browser without a connection here.
func (a *Application) BrowserConnections(id string) int {
	if id == "" {
		return 0
	}
	n, _ := a.conns.count(id)
	return n
}

// Viewers returns how many joins of the page this instance's connections
// hold: each tab that shows the page counts once, whichever connection it
// shares.
func (p *Page) Viewers() int { return int(p.live.watchers.Load()) }

// count returns how many connections are open, and how many browsers hold
// them; with a browser id, only that browser's connections count.
func (s *connSet) count(browserID string) (conns, browsers int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if browserID != "" {
		for c := range s.all {
			if c.browserID == browserID {
				conns++
			}
		}
		return conns, min(conns, 1)
	}
	ids := make(map[string]struct{})
	for c := range s.all {
		if c.browserID == "" {
			browsers++
			continue
		}
		ids[c.browserID] = struct{}{}
	}
	return len(s.all), browsers + len(ids)
}

// count returns how many live pages the set holds, and how many joins they
// have.
func (s *pageSet) count() (pages, joins int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.byID {
		joins += int(p.live.watchers.Load())
	}
	return len(s.byID), joins
}

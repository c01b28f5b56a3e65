package livetemplate

// What the tests of the package's internals call on a page of an
// application in a cluster, whose role (owner.go) does it.

// deliver takes msg as a message that the page's owner published.
func (p *Page) deliver(msg []byte) { memberOf(p).deliver(msg) }

// ownerID returns the id of the instance that owns the page, or "" when this
// one does.
func (p *Page) ownerID() string { return memberOf(p).ownerID() }

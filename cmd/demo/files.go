package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/livetemplate/livetemplate/upload"
)

// files are where the demo keeps uploads: the upload server's files being
// uploaded, and the chat room's files.
type files struct {
	up    *upload.Server
	room  string // the chat room's directory
	close func() // removes the directories of a demo that keeps nothing
}

// openFiles makes the demo's upload server and the chat room's directory:
// in the data directory, which every instance on this machine shares (an
// upload may complete on another instance than the page's owner), or, with
// -memory, in a temporary directory removed at the end.
func openFiles(c config) (*files, error) {
	base, done := c.data, func() {}
	if c.memory {
		tmp, err := os.MkdirTemp("", "livetemplate-demo-")
		if err != nil {
			return nil, fmt.Errorf("uploads: %w", err)
		}
		base, done = tmp, func() { os.RemoveAll(tmp) }
	}
	room := filepath.Join(base, "chat-files")
	if err := os.MkdirAll(room, 0o700); err != nil {
		done()
		return nil, fmt.Errorf("uploads: %w", err)
	}
	up, err := upload.New(filepath.Join(base, "uploads"))
	if err != nil {
		done()
		return nil, err
	}
	return &files{up: up, room: room, close: done}, nil
}

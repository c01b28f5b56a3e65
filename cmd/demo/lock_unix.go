//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// lockFile opens path and takes an exclusive lock on it, which lasts until
// the file is closed or the process ends, however it ends. It fails with
// errInUse while another open file holds the lock.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, err
	}
	return f, nil
}

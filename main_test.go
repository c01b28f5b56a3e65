package livetemplate_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// test closes the applications it opens, and Close must stop all of their
// goroutines.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

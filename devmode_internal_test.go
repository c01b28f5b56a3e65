package livetemplate

import (
	"strings"
	"testing"
)

// TestWithDevMode: the option turns development mode on, and refuses a
// cluster.
func TestWithDevMode(t *testing.T) {
	var c config
	WithDevMode()(&c)
	if !c.dev || defaultConfig().dev {
		t.Errorf("WithDevMode: dev %v, default %v", c.dev, defaultConfig().dev)
	}
	_, err := NewApplication(WithDevMode(), WithCluster(&fakeCluster{self: "a", store: new(MemoryStore)}))
	if err == nil || !strings.Contains(err.Error(), "development mode") {
		t.Errorf("development mode with a cluster: %v", err)
	}
}

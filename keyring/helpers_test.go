package keyring

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// testKey returns 32 distinctive key bytes and their base64 form.
func testKey(seed byte) ([]byte, string) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = seed ^ byte(0xA5+7*i)
	}
	return key, base64.StdEncoding.EncodeToString(key)
}

// writeKeyForBench writes a mode 0600 key file for benchmarks.
func writeKeyForBench(path, encoded string) error {
	return os.WriteFile(path, []byte(encoded+"\n"), 0o600)
}

// writeFile writes content to dir/name with exactly mode perm (umask ignored).
func writeFile(t *testing.T, dir, name, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventLog collects audit events for inspection.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

// auditor returns an Auditor that appends to l.
func (l *eventLog) auditor() Auditor {
	return AuditorFunc(func(e Event) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, e)
	})
}

// kinds returns the kinds of the collected events, in order.
func (l *eventLog) kinds() []EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := make([]EventKind, len(l.events))
	for i, e := range l.events {
		kinds[i] = e.Kind
	}
	return kinds
}

// last returns the most recent event, failing the test if there is none.
func (l *eventLog) last(t *testing.T) Event {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) == 0 {
		t.Fatal("no audit events")
	}
	return l.events[len(l.events)-1]
}

// assertNoSecret fails if text contains the key bytes, its base64 form or
// a long prefix of it.
func assertNoSecret(t *testing.T, what string, text []byte, key []byte, encoded string) {
	t.Helper()
	if bytes.Contains(text, key) {
		t.Errorf("%s contains the raw key bytes", what)
	}
	if bytes.Contains(text, []byte(encoded[:16])) {
		t.Errorf("%s contains the base64 key: %s", what, text)
	}
}

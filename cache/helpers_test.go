package cache

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/keyring"
)

// kekSpec describes one test KEK: its id, state and a seed for its bytes.
type kekSpec struct {
	id    uint32
	state keyring.State
	seed  byte
}

// kekBytes returns 32 distinctive key bytes for seed.
func kekBytes(seed byte) []byte {
	return bytes.Repeat([]byte{seed}, keyring.KeySize)
}

// newRing builds a keyring from specs, closed when the test ends.
func newRing(t testing.TB, audit keyring.Auditor, specs ...kekSpec) *keyring.Keyring {
	t.Helper()
	keks := make([]*keyring.KEK, 0, len(specs))
	for _, s := range specs {
		k, err := keyring.NewKEK(s.id, s.state, kekBytes(s.seed), "test")
		if err != nil {
			t.Fatal(err)
		}
		keks = append(keks, k)
	}
	ring, err := keyring.New(audit, keks...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ring.Close() })
	return ring
}

// ringA is a keyring whose only KEK, id 1, is current.
func ringA(t testing.TB) *keyring.Keyring {
	return newRing(t, nil, kekSpec{id: 1, state: keyring.Current, seed: 0xA1})
}

// openTestMeta opens a cache in dir with long TTLs, closed when the test ends.
func openTestMeta(t testing.TB, dir string, ring *keyring.Keyring) *Meta {
	t.Helper()
	m, err := OpenMeta(dir, ring, MetaOptions{AttrTTL: time.Hour, NegativeTTL: time.Hour, ListTTL: time.Hour, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// testLogger logs through t.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// eventLog collects audit events.
type eventLog struct {
	mu     sync.Mutex
	events []keyring.Event
}

func (l *eventLog) Audit(e keyring.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) has(kind keyring.EventKind, id uint32) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.Kind == kind && e.KEKID == id {
			return true
		}
	}
	return false
}

package fs_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// second mounts the same store (same volume and key) a second time, with
// its own mount point and state dir, as another host would.
func (m *testMount) second() *testMount {
	base := m.t.TempDir()
	o := &testMount{t: m.t, kind: m.kind, mnt: filepath.Join(base, "mnt"), stateDir: filepath.Join(base, "state"),
		chunkSize: m.chunkSize, kek: m.kek, volume: m.volume, openStore: m.openStore, admin: m.admin}
	mkdirs(m.t, o.mnt, o.stateDir)
	o.mount()
	return o
}

// eventually polls cond for up to 20 s (a bound on the test, not a timing
// assertion: the metadata TTLs are a few seconds).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within 20 s", what)
		}
	}
}

// Two mounts of one store: a file closed on one is visible and
// byte-identical on the other after the TTLs; a deletion on one shows on
// the other.
func TestTwoMountsSeeEachOther(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		a := newMountOn(t, kind, 0)
		b := a.second()
		os.MkdirAll(b.path("ab/cd"), 0o755) // b looks first: its cache learns "absent"
		if _, err := os.Stat(b.path("ab/cd/shared")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("stat before the write: %v", err)
		}
		data := randomBytes(300_000)
		os.MkdirAll(a.path("ab/cd"), 0o755)
		writeFile(t, a.path("ab/cd/shared"), data)
		eventually(t, "file written on mount A, read on B", func() bool {
			got, err := os.ReadFile(b.path("ab/cd/shared"))
			return err == nil && bytes.Equal(got, data)
		})
		newer := randomBytes(1000)
		writeFile(t, a.path("ab/cd/shared"), newer)
		eventually(t, "file rewritten on A, read on B", func() bool {
			got, err := os.ReadFile(b.path("ab/cd/shared"))
			return err == nil && bytes.Equal(got, newer)
		})
		if err := os.Remove(a.path("ab/cd/shared")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "file deleted on A, gone on B", func() bool {
			_, err := os.Stat(b.path("ab/cd/shared"))
			return errors.Is(err, os.ErrNotExist)
		})
	})
}

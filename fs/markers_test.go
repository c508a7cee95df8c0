package fs_test

import (
	"os"
	"slices"
	"testing"
	"time"
)

// markerDelayForTests is the lazy marker delay of the tests that wait for
// a marker: short, yet long enough for the check just after mkdir that no
// marker was written at once.
const markerDelayForTests = 2 * time.Second

// newLazyMount mounts a fresh object store with a short marker delay.
func newLazyMount(t *testing.T, kind storeKind, delay time.Duration) *testMount {
	t.Helper()
	m := newMountOn(t, kind, 0)
	m.markerDelay = delay
	m.remount()
	return m
}

// forEachObjectStore runs fn for every store kind but the local tier.
func forEachObjectStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		if kind.name == "local" {
			t.Skip("object stores only")
		}
		fn(t, kind)
	})
}

func mustMkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// On object stores mkdir writes no marker: a directory that gets a file
// needs none, nor one removed, and one still empty after the delay gets
// its marker, so that other mounts see it.
func TestLazyDirMarkers(t *testing.T) {
	forEachObjectStore(t, func(t *testing.T, kind storeKind) {
		a := newLazyMount(t, kind, time.Hour) // no timer fires: what is written is what must be
		mustMkdir(t, a.path("filled"))
		mustMkdir(t, a.path("filled/sub"))
		writeFile(t, a.path("filled/sub/f"), []byte("data"))
		mustMkdir(t, a.path("gone"))
		if err := os.Remove(a.path("gone")); err != nil {
			t.Fatal(err)
		}
		a.remount() // writes the markers still due
		if keys, want := a.objectKeys(), []string{"filled/sub/f"}; !slices.Equal(keys, want) {
			t.Fatalf("store holds %v, want %v (no marker for a filled or removed directory)", keys, want)
		}

		a.markerDelay = markerDelayForTests
		a.remount()
		b := a.second()
		mustMkdir(t, a.path("empty"))
		if a.objectExists("empty/") {
			t.Fatal("mkdir wrote a marker at once")
		}
		if !isDir(a.path("empty")) {
			t.Fatal("a directory just made is not there")
		}
		mustMkdir(t, a.path("emptied"))
		writeFile(t, a.path("emptied/f"), []byte("data"))
		if err := os.Remove(a.path("emptied/f")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "marker of the empty directory", func() bool { return a.objectExists("empty/") })
		eventually(t, "marker of the directory whose only file was removed", func() bool { return a.objectExists("emptied/") })
		eventually(t, "empty directories made on A, seen on B", func() bool {
			return isDir(b.path("empty")) && isDir(b.path("emptied"))
		})
		if isDir(b.path("gone")) {
			t.Fatal("a directory removed on A is seen on B")
		}
	})
}

// An fsync of a directory writes the markers of the directories made
// below it at once; an unmount writes those still pending.
func TestLazyDirMarkersFsyncAndUnmount(t *testing.T) {
	forEachObjectStore(t, func(t *testing.T, kind storeKind) {
		m := newLazyMount(t, kind, time.Hour)
		mustMkdir(t, m.path("p"))
		mustMkdir(t, m.path("p/q"))
		mustMkdir(t, m.path("p/r"))
		d, err := os.Open(m.path("p"))
		if err != nil {
			t.Fatal(err)
		}
		err = d.Sync()
		d.Close()
		if err != nil {
			t.Fatalf("fsync of a directory: %v", err)
		}
		keys := m.objectKeys()
		slices.Sort(keys)
		if want := []string{"p/q/", "p/r/"}; !slices.Equal(keys, want) {
			t.Fatalf("after fsync(p) the store holds %v, want %v", keys, want)
		}

		mustMkdir(t, m.path("late"))
		if m.objectExists("late/") {
			t.Fatal("marker written before the delay (an hour)")
		}
		time.Sleep(3 * time.Second) // past the kernel's and the cache's TTLs: only the mount knows "late"
		if err := os.Mkdir(m.path("late"), 0o755); !os.IsExist(err) {
			t.Fatalf("mkdir of a directory made earlier, not yet in the store: %v, want EEXIST", err)
		}
		if !isDir(m.path("late")) {
			t.Fatal("a directory made earlier, not yet in the store, is not found")
		}
		m.remount()
		if !m.objectExists("late/") {
			t.Fatal("an empty directory made before the unmount has no marker after it")
		}
		if !isDir(m.path("late")) || !isDir(m.path("p/q")) {
			t.Fatal("empty directories lost over a remount")
		}
	})
}

// rmdir of a directory that exists only in this mount (no marker, nothing
// below) succeeds, and rmdir of one with a file below fails with ENOTEMPTY.
func TestRmdirLazyDirectory(t *testing.T) {
	forEachObjectStore(t, func(t *testing.T, kind storeKind) {
		m := newLazyMount(t, kind, time.Hour)
		mustMkdir(t, m.path("x"))
		mustMkdir(t, m.path("x/y"))
		if err := os.Remove(m.path("x")); err == nil {
			t.Fatal("rmdir of a directory holding a (pending) directory succeeded")
		}
		writeFile(t, m.path("x/y/f"), []byte("data"))
		if err := os.Remove(m.path("x/y")); err == nil {
			t.Fatal("rmdir of a directory holding a file succeeded")
		}
		if err := os.Remove(m.path("x/y/f")); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"x/y", "x"} {
			if err := os.Remove(m.path(d)); err != nil {
				t.Fatalf("rmdir %s: %v", d, err)
			}
		}
		if _, err := os.Stat(m.path("x")); !os.IsNotExist(err) {
			t.Fatalf("stat of a removed directory: %v", err)
		}
		m.remount() // Drain: nothing pending may come back
		if keys := m.objectKeys(); len(keys) != 0 {
			t.Fatalf("store holds %v after the directories were removed", keys)
		}
	})
}

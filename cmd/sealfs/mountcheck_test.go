package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMountEntries(t *testing.T) {
	in := "22 1 0:21 / /proc rw,nosuid - proc proc rw\n" +
		"90 22 0:50 / /srv/a\\040b rw shared:1 - fuse.sealfs sealfs:/srv/store rw,user_id=0\n" +
		"91 22 0:51 / /odd rw\n"
	got, err := mountEntries(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mountEntry{{"/proc", "proc", "proc"}, {"/srv/a b", "fuse.sealfs", "sealfs:/srv/store"}, {"/odd", "", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestCheckMountPoint: a mount, a file, a non-empty directory (unless
// nonempty) and a missing path are refused; an empty directory is not.
func TestCheckMountPoint(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	full := filepath.Join(dir, "full")
	file := filepath.Join(dir, "file")
	link := filepath.Join(dir, "link-to-proc")
	for _, d := range []string{empty, full} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(full, "early.dcm"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc", link); err != nil {
		t.Fatal(err)
	}
	if err := checkMountPoint(empty, false); err != nil {
		t.Errorf("empty directory: %v", err)
	}
	if err := checkMountPoint(full, false); !errors.Is(err, errNotEmpty) || !strings.Contains(err.Error(), "early.dcm") || !strings.Contains(err.Error(), "--nonempty") {
		t.Errorf("non-empty directory: %v", err)
	}
	if err := checkMountPoint(full, true); err != nil {
		t.Errorf("non-empty directory with nonempty: %v", err)
	}
	if err := checkMountPoint(file, false); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file: %v", err)
	}
	if err := checkMountPoint(filepath.Join(dir, "missing"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	for _, mounted := range []string{"/proc", link} {
		if err := checkMountPoint(mounted, true); !errors.Is(err, errAlreadyMounted) || !strings.Contains(err.Error(), "proc") {
			t.Errorf("%s: %v", mounted, err)
		}
	}
}

// TestLockStateDir: a second lock on the same state dir is refused while
// the first is held, and granted once it is released.
func TestLockStateDir(t *testing.T) {
	dir := t.TempDir()
	first, err := lockStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockStateDir(dir); !errors.Is(err, errStateDirBusy) || !strings.Contains(err.Error(), "--state-dir") {
		t.Fatalf("second lock: %v", err)
	}
	first.Close()
	again, err := lockStateDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Close()
}

package fs_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
)

// close() must return the error when the object could not be stored, and a
// later fsync must not pretend otherwise.
func TestCloseReportsStoreFailure(t *testing.T) {
	testenv.Require(t, "root", os.Geteuid() == 0, "mounting a small tmpfs as the store needs root")
	requireFUSE(t)
	base := t.TempDir()
	small := filepath.Join(base, "small")
	os.Mkdir(small, 0o755)
	// mode=0700: a fresh tmpfs is 1777, which local.New refuses as a store root.
	if err := unix.Mount("tmpfs", small, "tmpfs", 0, "size=1m,mode=0700"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	defer unix.Unmount(small, unix.MNT_DETACH)
	m := newMount(t, 0)
	m.unmount()
	m.openStore = func() remote.Store {
		s, err := local.New(small, local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	m.mount()
	f, err := os.Create(m.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := randomBytes(256 << 10)
	var writeErr error
	for i := 0; i < 12 && writeErr == nil; i++ {
		_, writeErr = f.Write(chunk)
	}
	syncErr := f.Sync()
	closeErr := f.Close()
	if writeErr == nil && syncErr == nil && closeErr == nil {
		t.Fatal("3 MiB written into a 1 MiB store and write, fsync and close all succeeded")
	}
	if _, err := os.Stat(filepath.Join(small, "big")); err == nil && syncErr == nil && closeErr == nil {
		t.Fatal("a partial object is visible")
	}
}

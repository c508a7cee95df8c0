package local

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/integration/testenv"
)

func TestJournalOrderTmpfs(t *testing.T) {
	dir, err := os.MkdirTemp("/dev/shm", "sealfs-journal")
	testenv.Require(t, "tmpfs at /dev/shm", err == nil, fmt.Sprint(err))
	defer os.RemoveAll(dir)
	ordered, reason := journalOrder(openDirFD(t, dir))
	if ordered {
		t.Fatalf("tmpfs reported as an ordered journal (%s)", reason)
	}
	if !strings.Contains(reason, "directories are fsynced") {
		t.Fatalf("reason %q does not say directories are fsynced", reason)
	}
}

func TestJournalOrderBadDescriptor(t *testing.T) {
	ordered, reason := journalOrder(-1)
	if ordered || !strings.Contains(reason, "statfs failed") {
		t.Fatalf("bad descriptor: ordered=%v reason %q", ordered, reason)
	}
}

// openDirFD opens dir for the test's duration.
func openDirFD(t *testing.T, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func TestJournalOrderHere(t *testing.T) {
	// Whatever the filesystem of the test's temp dir, the answer must be
	// explained; on ext4 read as root it names the superblock's verdict.
	ordered, reason := journalOrder(openDirFD(t, t.TempDir()))
	t.Logf("ordered=%v: %s", ordered, reason)
	if reason == "" {
		t.Fatal("no reason given")
	}
}

func TestSyncDirsOption(t *testing.T) {
	s, err := New(t.TempDir(), Options{SyncDirs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ordered {
		t.Fatal("SyncDirs did not force directory fsyncs")
	}
}

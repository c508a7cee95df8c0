package fs_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// A rename over a directory that is not empty fails with ENOTEMPTY and
// drops nothing, whatever the store shows yet (on object stores the new
// subdirectory exists in this mount only, its marker not written).
func TestRenameOverNonEmptyDirectory(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		for _, c := range []struct {
			name  string
			setup func(b string)
			check string
		}{
			{"subdirectory", func(b string) { mustMkdir(t, filepath.Join(b, "sub")) }, "sub"},
			{"file", func(b string) { writeFile(t, filepath.Join(b, "f"), []byte("kept")) }, "f"},
		} {
			a, b := m.path(c.name+"-A"), m.path(c.name+"-B")
			mustMkdir(t, a)
			mustMkdir(t, b)
			c.setup(b)
			// Not os.Rename: it refuses any directory target itself.
			if err := syscall.Rename(a, b); !errors.Is(err, syscall.ENOTEMPTY) {
				t.Errorf("%s: rename over a non-empty directory: %v, want ENOTEMPTY", c.name, err)
			}
			if _, err := os.Stat(filepath.Join(b, c.check)); err != nil {
				t.Errorf("%s: %s after the refused rename: %v", c.name, c.check, err)
			}
		}
		m.remount()
		for _, p := range []string{"subdirectory-B/sub", "file-B/f", "subdirectory-A", "file-A"} {
			if _, err := os.Stat(m.path(p)); err != nil {
				t.Errorf("after remount: %s: %v", p, err)
			}
		}
	})
}

// rm -rf of a tree stays done after the kernel forgot its inodes and
// after a remount: no directory marker brings a removed directory back.
func TestRemovedTreeStaysRemoved(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		for _, d := range []string{"t/a/b", "t/a/c", "t/d/e/f", "t/g"} {
			if err := os.MkdirAll(m.path(d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, m.path("t/a/b/x"), []byte("x"))
		writeFile(t, m.path("t/d/y"), []byte("y"))
		testenv.DropCaches() // the kernel forgets the inodes mkdir made
		if err := os.RemoveAll(m.path("t")); err != nil {
			t.Fatal(err)
		}
		testenv.DropCaches()
		m.remount()
		if _, err := os.Stat(m.path("t")); !errors.Is(err, fs.ErrNotExist) {
			entries, _ := filepath.Glob(m.path("t/*"))
			t.Errorf("removed tree is back after a remount: %v (%v)", err, entries)
		}
		for _, k := range m.objectKeys() {
			if strings.HasPrefix(k, "t/") {
				t.Errorf("object %s left in the store", k)
			}
		}
	})
}

// Names over 255 bytes, and paths the store cannot key, are refused with
// ENAMETOOLONG before anything is written, never accepted and then lost.
func TestNameTooLong(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		long := strings.Repeat("n", 256)
		for op, err := range map[string]error{
			"create": func() error { _, err := os.Create(m.path(long)); return err }(),
			"mkdir":  os.Mkdir(m.path(long), 0o755),
			"stat":   func() error { _, err := os.Stat(m.path(long)); return err }(),
		} {
			if !errors.Is(err, syscall.ENAMETOOLONG) {
				t.Errorf("%s of a 256-byte name: %v, want ENAMETOOLONG", op, err)
			}
		}
		// Five levels of 200-byte names: 1004 bytes, then a file name
		// that takes the key past 1024.
		dir := m.mnt
		for i := range 5 {
			dir = filepath.Join(dir, strings.Repeat(string(rune('a'+i)), 200))
			mustMkdir(t, dir)
		}
		if _, err := os.Create(filepath.Join(dir, strings.Repeat("z", 30))); !errors.Is(err, syscall.ENAMETOOLONG) {
			t.Errorf("create past the store's key limit: %v, want ENAMETOOLONG", err)
		}
		writeFile(t, filepath.Join(dir, "ok"), []byte("fits"))
		if err := os.Rename(filepath.Join(dir, "ok"), filepath.Join(dir, strings.Repeat("z", 30))); !errors.Is(err, syscall.ENAMETOOLONG) {
			t.Errorf("rename past the store's key limit: %v, want ENAMETOOLONG", err)
		}
	})
}

// readdir lists "." and ".."; inode numbers stay below 2^63; a truncate
// past the largest size the format holds is EFBIG, not EIO.
func TestReaddirDotsInodesAndEFBIG(t *testing.T) {
	m := newMount(t, 0)
	mustMkdir(t, m.path("d"))
	writeFile(t, m.path("d/f"), []byte("x"))
	out, err := exec.Command("ls", "-a", m.path("d")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out)); len(got) != 3 || got[0] != "." || got[1] != ".." || got[2] != "f" {
		t.Errorf("ls -a lists %q, want . .. f", got)
	}
	for _, p := range []string{m.mnt, m.path("d"), m.path("d/f")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if ino := st.Sys().(*syscall.Stat_t).Ino; ino >= 1<<63 || ino == 0 {
			t.Errorf("%s: inode number %d", p, ino)
		}
	}
	if err := os.Truncate(m.path("d/f"), 1<<62); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("truncate to 2^62: %v, want EFBIG", err)
	}
}

// After rm -rf and a cache drop, the daemon holds no descriptor of a
// deleted file (a verified object or spool copy of a removed file).
func TestNoDescriptorsOfDeletedFiles(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		mustMkdir(t, m.path("r"))
		for i := range 5 {
			writeFile(t, m.path("r/f"+itoa(i)), randomBytes(100_000))
		}
		testenv.DropCaches()
		for i := range 5 {
			mustRead(t, m.path("r/f"+itoa(i)))
		}
		if err := os.RemoveAll(m.path("r")); err != nil {
			t.Fatal(err)
		}
		testenv.DropCaches()
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if err == nil && strings.HasSuffix(target, "(deleted)") && strings.HasPrefix(target, filepath.Dir(m.mnt)) {
				t.Errorf("descriptor %s of a deleted file: %s", fd.Name(), target)
			}
		}
	})
}

// A directory's mtime and ctime move when entries are created, removed or
// renamed in it; chmod moves ctime; an open file unlinked has nlink 0.
func TestTimesAndLinkCount(t *testing.T) {
	m := newMount(t, 0)
	mustMkdir(t, m.path("d"))
	stamp := func(p string) (mtime, ctime syscall.Timespec, nlink uint64) {
		t.Helper()
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		return st.Mtim, st.Ctim, uint64(st.Nlink)
	}
	later := func(a, b syscall.Timespec) bool { return b.Nano() > a.Nano() }
	for _, step := range []struct {
		what string
		do   func()
	}{
		{"create", func() { writeFile(t, m.path("d/f"), []byte("x")) }},
		{"rename", func() {
			if err := os.Rename(m.path("d/f"), m.path("d/g")); err != nil {
				t.Fatal(err)
			}
		}},
		{"unlink", func() {
			if err := os.Remove(m.path("d/g")); err != nil {
				t.Fatal(err)
			}
		}},
		{"mkdir", func() { mustMkdir(t, m.path("d/sub")) }},
		{"rmdir", func() {
			if err := os.Remove(m.path("d/sub")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		mt0, ct0, _ := stamp(m.path("d"))
		time.Sleep(20 * time.Millisecond)
		step.do()
		mt1, ct1, _ := stamp(m.path("d"))
		if !later(mt0, mt1) || !later(ct0, ct1) {
			t.Errorf("%s in a directory: its mtime %v → %v, ctime %v → %v", step.what, mt0, mt1, ct0, ct1)
		}
	}
	writeFile(t, m.path("d/h"), []byte("y"))
	_, ct0, _ := stamp(m.path("d/h"))
	time.Sleep(20 * time.Millisecond)
	if err := os.Chmod(m.path("d/h"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ct1, _ := stamp(m.path("d/h")); !later(ct0, ct1) {
		t.Errorf("chmod: ctime %v → %v", ct0, ct1)
	}
	f, err := os.Open(m.path("d/h"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Remove(m.path("d/h")); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Nlink != 0 {
		t.Errorf("open file after unlink: nlink %d, want 0", st.Nlink)
	}
}

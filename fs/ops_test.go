package fs_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/envelope"
	sealfs "github.com/sealfs/sealfs/fs"
)

func TestFileSizesRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		const chunk = 4096
		m := newMountOn(t, kind, chunk)
		sizes := []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 17, 200 * 1024}
		want := map[string][]byte{}
		for _, n := range sizes {
			name := filepath.Join("sizes", "f"+itoa(n))
			if n == 0 {
				os.MkdirAll(m.path("sizes"), 0o755)
			}
			data := randomBytes(n)
			writeFile(t, m.path(name), data)
			want[name] = data
			size, err := m.objectSize(name)
			if err != nil {
				t.Fatalf("object for %s not in the store after close: %v", name, err)
			}
			if size != ciphertextSize(int64(n), chunk) {
				t.Errorf("%s: object size %d, want %d", name, size, ciphertextSize(int64(n), chunk))
			}
		}
		check := func(when string) {
			for name, data := range want {
				st, err := os.Stat(m.path(name))
				if err != nil {
					t.Fatalf("%s: stat %s: %v", when, name, err)
				}
				if st.Size() != int64(len(data)) {
					t.Errorf("%s: stat %s size %d, want %d", when, name, st.Size(), len(data))
				}
				if got := mustRead(t, m.path(name)); !bytes.Equal(got, data) {
					t.Errorf("%s: %s content differs", when, name)
				}
			}
		}
		check("same mount")
		m.remount()
		check("after remount")
	})
}

func TestDirectoryOperations(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		if err := os.MkdirAll(m.path("a/b/c"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, m.path("a/b/file"), []byte("hello"))
		if err := os.Mkdir(m.path("a/b"), 0o755); !errors.Is(err, os.ErrExist) {
			t.Errorf("mkdir existing: %v, want EEXIST", err)
		}
		if err := os.Mkdir(m.path("a/b/file"), 0o755); !errors.Is(err, os.ErrExist) {
			t.Errorf("mkdir over a file: %v, want EEXIST", err)
		}
		names := func(dir string) []string {
			ents, err := os.ReadDir(m.path(dir))
			if err != nil {
				t.Fatalf("readdir %s: %v", dir, err)
			}
			var out []string
			for _, e := range ents {
				out = append(out, e.Name())
			}
			return out
		}
		if got := names("a/b"); !slices.Equal(got, []string{"c", "file"}) {
			t.Errorf("readdir a/b = %v", got)
		}
		if got := names(""); !slices.Equal(got, []string{"a"}) {
			t.Errorf("readdir root = %v (reserved names must be hidden)", got)
		}
		if err := os.Remove(m.path("a/b")); !errors.Is(err, syscall.ENOTEMPTY) {
			t.Errorf("rmdir non-empty: %v, want ENOTEMPTY", err)
		}
		if err := os.Remove(m.path("a/b/c")); err != nil {
			t.Errorf("rmdir empty: %v", err)
		}
		m.remount()
		if got := names("a/b"); !slices.Equal(got, []string{"file"}) {
			t.Errorf("after remount readdir a/b = %v", got)
		}
		if err := os.Mkdir(m.path("empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		m.remount()
		if st, err := os.Stat(m.path("empty")); err != nil || !st.IsDir() {
			t.Errorf("empty directory not kept across remount: %v", err)
		}
		if err := os.Mkdir(m.path(".sealfs-x"), 0o755); err == nil {
			t.Errorf("mkdir of a reserved name succeeded")
		}
		var sfs unix.Statfs_t
		if err := unix.Statfs(m.mnt, &sfs); err != nil || sfs.Blocks == 0 {
			t.Errorf("statfs: %v blocks=%d", err, sfs.Blocks)
		}
	})
}

func TestUnlinkAndOverwrite(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 4096)
		writeFile(t, m.path("f"), randomBytes(10000))
		data := randomBytes(5000)
		writeFile(t, m.path("f"), data) // O_TRUNC over an existing file
		if got := mustRead(t, m.path("f")); !bytes.Equal(got, data) {
			t.Fatal("overwrite: content differs")
		}
		m.remount()
		if got := mustRead(t, m.path("f")); !bytes.Equal(got, data) {
			t.Fatal("overwrite after remount: content differs")
		}
		if err := os.Remove(m.path("f")); err != nil {
			t.Fatal(err)
		}
		if m.objectExists("f") {
			t.Errorf("object still in the store after unlink")
		}
		if _, err := os.Stat(m.path("f")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat after unlink: %v", err)
		}
		// Unlinking an open file: the open handle keeps reading.
		writeFile(t, m.path("g"), data)
		f, err := os.Open(m.path("g"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := os.Remove(m.path("g")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(data))
		if _, err := f.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, data) {
			t.Errorf("read of an unlinked open file: %v", err)
		}
	})
}

func TestRename(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 4096)
		data := randomBytes(9000)
		os.MkdirAll(m.path("d1"), 0o755)
		os.MkdirAll(m.path("d2"), 0o755)
		writeFile(t, m.path("d1/a"), data)
		if err := os.Rename(m.path("d1/a"), m.path("d2/b")); err != nil {
			t.Fatal(err)
		}
		if m.objectExists("d1/a") {
			t.Errorf("old object still present")
		}
		if got := mustRead(t, m.path("d2/b")); !bytes.Equal(got, data) {
			t.Errorf("renamed content differs")
		}
		// Replace an existing target.
		other := randomBytes(100)
		writeFile(t, m.path("d2/c"), other)
		if err := os.Rename(m.path("d2/c"), m.path("d2/b")); err != nil {
			t.Fatal(err)
		}
		m.remount()
		if got := mustRead(t, m.path("d2/b")); !bytes.Equal(got, other) {
			t.Errorf("rename over a file: content differs after remount")
		}
		// Renamed objects are bound to their new path: reading works only because
		// they were re-encrypted; the old path's object was deleted.
		if err := os.Rename(m.path("d1"), m.path("d3")); err != nil {
			t.Errorf("rename of an empty directory: %v", err)
		}
		if err := os.Rename(m.path("d2"), m.path("d4")); !errors.Is(err, syscall.EXDEV) {
			t.Errorf("rename of a non-empty directory: %v, want EXDEV", err)
		}
	})
}

func TestRandomWritesAndTruncate(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		const chunk = 4096
		m := newMountOn(t, kind, chunk)
		model := randomBytes(5*chunk + 100)
		writeFile(t, m.path("r"), model)
		f, err := os.OpenFile(m.path("r"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		rnd := randomBytes(64)
		for i := 0; i < 200; i++ {
			off := (int(rnd[i%64])*977 + i*131) % (len(model) + 3000)
			n := 1 + (i*37)%6000
			p := randomBytes(n)
			if _, err := f.WriteAt(p, int64(off)); err != nil {
				t.Fatal(err)
			}
			if end := off + n; end > len(model) {
				model = append(model, make([]byte, end-len(model))...)
			}
			copy(model[off:], p)
			if i%50 == 49 {
				if err := f.Sync(); err != nil {
					t.Fatalf("fsync: %v", err)
				}
			}
		}
		if err := f.Truncate(int64(len(model) - 777)); err != nil {
			t.Fatal(err)
		}
		model = model[:len(model)-777]
		if err := f.Truncate(int64(len(model) + 5000)); err != nil {
			t.Fatal(err)
		}
		model = append(model, make([]byte, 5000)...)
		got := make([]byte, len(model))
		if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, model) {
			t.Fatalf("read back before close: %v (equal=%v)", err, bytes.Equal(got, model))
		}
		if err := f.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := os.Truncate(m.path("r"), int64(len(model)-10)); err != nil {
			t.Fatal(err)
		}
		model = model[:len(model)-10]
		m.remount()
		if got := mustRead(t, m.path("r")); !bytes.Equal(got, model) {
			t.Fatalf("after remount: content differs (len %d vs %d)", len(got), len(model))
		}
		entries, _ := os.ReadDir(filepath.Join(m.stateDir, "staging"))
		if len(entries) != 0 {
			t.Errorf("staging files left after close: %d", len(entries))
		}
	})
}

func TestOrthancPattern(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		const size = 537600
		data := randomBytes(size)
		rel := "3f/a2/3fa2b1c4-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
		if _, err := os.Stat(m.path(rel)); !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		os.Mkdir(m.path("3f"), 0o755)
		os.Mkdir(m.path("3f/a2"), 0o755)
		f, err := os.OpenFile(m.path(rel), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < size; off += 4096 {
			end := min(off+4096, size)
			if _, err := f.Write(data[off:end]); err != nil {
				t.Fatal(err)
			}
		}
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			t.Fatalf("fdatasync: %v", err)
		}
		// Durable at fdatasync: the object is in the store before close.
		if got, err := m.objectSize(rel); err != nil || got != ciphertextSize(size, 0) {
			t.Fatalf("object after fdatasync: %d, %v", got, err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(m.path(rel))
		if err != nil || st.Size() != size {
			t.Fatalf("stat: %v size %d", err, st.Size())
		}
		r, err := os.Open(m.path(rel))
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 8191)
		if n, err := r.Read(head); err != nil || n != 8191 || !bytes.Equal(head, data[:8191]) {
			t.Fatalf("header read: n=%d err=%v", n, err)
		}
		r.Close()
		if got := mustRead(t, m.path(rel)); !bytes.Equal(got, data) {
			t.Fatal("whole read differs")
		}
		if err := os.Remove(m.path(rel)); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"3f/a2", "3f"} {
			if err := os.Remove(m.path(d)); err != nil {
				t.Errorf("rmdir %s: %v", d, err)
			}
		}
		if keys := m.objectKeys(); len(keys) != 0 {
			t.Errorf("store not empty after delete: %v", keys)
		}
	})
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 0)
		const files = 16
		contents := make([][]byte, files)
		var wg sync.WaitGroup
		errs := make(chan error, 2*files)
		for i := range files {
			contents[i] = randomBytes(100_000 + i*7919)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- os.WriteFile(m.path("c"+itoa(i)), contents[i], 0o644)
			}()
		}
		wg.Wait()
		for i := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := os.ReadFile(m.path("c" + itoa(i)))
				if err == nil && !bytes.Equal(got, contents[i]) {
					err = errors.New("content differs for c" + itoa(i))
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

func TestAttributes(t *testing.T) {
	m := newMount(t, 0)
	writeFile(t, m.path("f"), []byte("x"))
	if err := os.Chmod(m.path("f"), 0o600); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(m.path("f"), when, when); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(m.path("f"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || !st.ModTime().Equal(when) {
		t.Errorf("mode %v mtime %v", st.Mode(), st.ModTime())
	}
	if err := os.Chown(m.path("f"), os.Getuid(), os.Getgid()); err != nil {
		t.Errorf("chown to the mount's owner: %v", err)
	}
	if err := os.Chown(m.path("f"), 4242, 4242); !errors.Is(err, syscall.EPERM) {
		t.Errorf("chown to another owner = %v, want EPERM (it cannot be stored)", err)
	}
	if err := os.Chmod(m.path("f"), 0o4755); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(m.path("f")); st.Mode()&os.ModeSetuid != 0 {
		t.Errorf("setuid bit accepted")
	}
	// Answer xattr requests so the kernel stops asking.
	if _, err := unix.Getxattr(m.path("f"), "security.capability", make([]byte, 64)); err == nil {
		t.Errorf("getxattr succeeded")
	}
}

func TestMountIsNosuidNodev(t *testing.T) {
	m := newMount(t, 0)
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		fields := bytes.Fields(line)
		if len(fields) > 5 && string(fields[4]) == m.mnt {
			opts := string(fields[5])
			if !bytes.Contains(line, []byte("nosuid")) || !bytes.Contains(line, []byte("nodev")) {
				t.Errorf("mount options %q lack nosuid,nodev", opts)
			}
			return
		}
	}
	t.Fatalf("mount %s not in mountinfo", m.mnt)
}

func TestLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB file: skipped in -short mode")
	}
	m := newMount(t, 0)
	const size = 1 << 30
	block := randomBytes(1 << 20)
	f, err := os.Create(m.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < size; off += len(block) {
		block[0] = byte(off >> 20)
		if _, err := f.Write(block); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := m.objectSize("big"); err != nil || got != envelope.CiphertextSize(size, envelope.DefaultChunkSize) {
		t.Fatalf("object: %d, %v", got, err)
	}
	r, err := os.Open(m.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]byte, len(block))
	for off := 0; off < size; off += len(block) {
		if _, err := r.ReadAt(got, int64(off)); err != nil {
			t.Fatal(err)
		}
		block[0] = byte(off >> 20)
		if !bytes.Equal(got, block) {
			t.Fatalf("content differs at %d", off)
		}
	}
}

func itoa(n int) string { return fmtInt(n) }

// truncate(2) is committed at once, also while a handle of the file is
// still open in the kernel (here a mapping, whose release comes with no
// flush, as after close(2) the kernel may release a handle later): that
// release must not discard it. With write-back, the acknowledged
// truncation is journaled and uploaded.
func TestTruncateByPathWhileOpen(t *testing.T) {
	for _, writeBack := range []bool{false, true} {
		t.Run(map[bool]string{false: "write-through", true: "write-back"}[writeBack], func(t *testing.T) {
			m := newMount(t, 4096)
			if writeBack {
				m.unmount()
				m.writeBack = sealfs.NewWriteBack()
				m.mount()
			}
			data := randomBytes(30_000)
			writeFile(t, m.path("t"), data)
			mapping := startMapper(t, m.path("t"), 4096, nil, 0) // its close flushed
			if err := os.Truncate(m.path("t"), 12_345); err != nil {
				t.Fatal(err)
			}
			mapping.unmap(t) // release, without a flush
			m.remount()
			if got := mustRead(t, m.path("t")); !bytes.Equal(got, data[:12_345]) {
				t.Fatalf("after remount: len %d, want 12345 bytes of the original", len(got))
			}
			if err := os.Truncate(m.path("t"), 10_000); err != nil { // no handle open
				t.Fatal(err)
			}
			m.remount()
			if got := mustRead(t, m.path("t")); !bytes.Equal(got, data[:10_000]) {
				t.Fatalf("after remount: len %d, want 10000 bytes of the original", len(got))
			}
		})
	}
}

// Changes written through a shared mapping after close(2) reach the store:
// the kernel writes the pages back when the mapping goes and then releases
// the handle, with no flush or fsync after them.
func TestMmapWriteAfterClose(t *testing.T) {
	m := newMount(t, 4096)
	data := randomBytes(20_000)
	writeFile(t, m.path("m"), data)
	patch := randomBytes(1000)
	copy(data[5000:], patch)
	startMapper(t, m.path("m"), 8192, patch, 5000).unmap(t) // writes the pages back
	m.remount()
	if got := mustRead(t, m.path("m")); !bytes.Equal(got, data) {
		t.Fatal("a write through a mapping after close was lost")
	}
}

// mapper is a process that maps a file of the mount shared, the way an
// application does. (Mapping from the test process would be unsafe: it
// serves the mount itself, and unix.Munmap holds a process-wide lock that
// the mount's Badger also takes, while the kernel waits for the mount.)
type mapper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startMapper maps the first length bytes of path (read-write with patch,
// which it copies in at offset off, else read-only), closes the file and
// keeps the mapping until unmap.
func startMapper(t *testing.T, path string, length int, patch []byte, off int) *mapper {
	t.Helper()
	patchFile := filepath.Join(t.TempDir(), "patch")
	if err := os.WriteFile(patchFile, patch, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SEALFS_MAPPER="+strings.Join([]string{path, strconv.Itoa(length), patchFile, strconv.Itoa(off)}, "\n"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "mapped\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("mapper: %q, %v", line, err)
	}
	return &mapper{cmd: cmd, stdin: stdin}
}

// unmap ends the mapping (the kernel writes dirty pages back, then
// releases the file's handle) and waits for the process.
func (m *mapper) unmap(t *testing.T) {
	t.Helper()
	m.stdin.Close()
	if err := m.cmd.Wait(); err != nil {
		t.Fatalf("mapper: %v", err)
	}
}

// runMapper is the mapper's body, in a process of its own (see TestMain).
func runMapper(spec string) error {
	args := strings.Split(spec, "\n")
	if len(args) != 4 {
		return fmt.Errorf("mapper spec %q", spec)
	}
	length, _ := strconv.Atoi(args[1])
	off, _ := strconv.Atoi(args[3])
	patch, err := os.ReadFile(args[2])
	if err != nil {
		return err
	}
	flag, prot := os.O_RDONLY, unix.PROT_READ
	if len(patch) > 0 {
		flag, prot = os.O_RDWR, unix.PROT_READ|unix.PROT_WRITE
	}
	f, err := os.OpenFile(args[0], flag, 0)
	if err != nil {
		return err
	}
	mapped, err := unix.Mmap(int(f.Fd()), 0, length, prot, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil { // flush; the mapping keeps the handle
		return err
	}
	copy(mapped[off:], patch)
	fmt.Println("mapped")
	io.Copy(io.Discard, os.Stdin) // until unmap
	return unix.Munmap(mapped)
}

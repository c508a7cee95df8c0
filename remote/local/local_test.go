package local_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/storetest"
)

// newStore opens a store over a fresh directory and returns it with its root.
func newStore(t *testing.T) (*local.Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, root
}

// put writes data to key under cond.
func put(t *testing.T, s remote.Store, key string, data []byte, cond remote.Condition) (remote.Info, error) {
	t.Helper()
	up, err := s.Create(t.Context(), key)
	if err != nil {
		return remote.Info{}, err
	}
	if _, err := up.Write(data); err != nil {
		up.Abort()
		return remote.Info{}, err
	}
	return up.Commit(t.Context(), cond)
}

// mustPut writes data to key unconditionally.
func mustPut(t *testing.T, s remote.Store, key string, data []byte) remote.Info {
	t.Helper()
	info, err := put(t, s, key, data, remote.Condition{})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

// tree returns every path below root ("dir/" for directories) with its
// permission bits.
func tree(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	got := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			rel += "/"
		}
		got[filepath.ToSlash(rel)] = info.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return got
}

// TestConformance runs the shared suite with the filesystem's own
// durability rule and with every directory fsynced (sync_dirs).
func TestConformance(t *testing.T) {
	for _, syncDirs := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync_dirs=%v", syncDirs), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) remote.Store {
				s, err := local.New(t.TempDir(), local.Options{SyncDirs: syncDirs})
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return s
			})
		})
	}
}

func TestNewRejectsBadRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, root string
	}{
		{"missing", filepath.Join(dir, "missing")},
		{"file", file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := local.New(tt.root, local.Options{}); err == nil {
				s.Close()
				t.Fatalf("New(%s) succeeded", tt.root)
			}
		})
	}
}

// TestRootLayout checks that the directory holds exactly the committed
// objects and markers, with private permissions, and no temp files once
// uploads are committed, aborted or refused.
func TestRootLayout(t *testing.T) {
	s, root := newStore(t)
	ctx := t.Context()
	mustPut(t, s, "ab/cd/0123-uuid", []byte("dicom"))
	mustPut(t, s, "top", []byte("x"))
	mustPut(t, s, "empty/", nil)
	mustPut(t, s, "gone/obj", []byte("x"))
	if err := s.Delete(ctx, "gone/obj", remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "top", []byte("y"), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("IfAbsent over an object: %v", err)
	}
	up, err := s.Create(ctx, "aborted")
	if err != nil {
		t.Fatal(err)
	}
	up.Write([]byte("partial"))
	if err := up.Abort(); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		".sealfs-tmp/":     0o700,
		".sealfs-tmp/lock": 0o600,
		"ab/":              0o700,
		"ab/cd/":           0o700,
		"ab/cd/0123-uuid":  0o600,
		"top":              0o600,
		"empty/":           0o700,
		"gone/":            0o700,
	}
	got := tree(t, root)
	if len(got) != len(want) {
		t.Errorf("root holds %v, want %v", got, want)
	}
	for path, mode := range want {
		if m, ok := got[path]; !ok || m != mode {
			t.Errorf("%s: present %v, mode %v; want mode %v", path, ok, m, mode)
		}
	}
}

func TestTempDirHidden(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	up, err := s.Create(ctx, "pending")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Abort()
	up.Write([]byte("in progress"))
	mustPut(t, s, ".sealfs-tmpx", []byte("ordinary"))
	mustPut(t, s, "a/.sealfs-tmp", []byte("ordinary"))
	var keys []string
	for _, recursive := range []bool{false, true} {
		err := s.List(ctx, "", recursive, func(e remote.Entry) error {
			keys = append(keys, e.Key)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{".sealfs-tmpx", "a/", ".sealfs-tmpx", "a/.sealfs-tmp"}; !slices.Equal(keys, want) {
		t.Fatalf("listings = %v, want %v", keys, want)
	}
	for _, key := range []string{".sealfs-tmp", ".sealfs-tmp/", ".sealfs-tmp/lock"} {
		if _, err := s.Stat(ctx, key); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Stat(%q): got %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key, remote.Condition{}); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Delete(%q): got %v, want ErrInvalidKey", key, err)
		}
	}
	if err := s.List(ctx, ".sealfs-tmp/", true, func(remote.Entry) error { return nil }); !errors.Is(err, remote.ErrInvalidKey) {
		t.Errorf("List(.sealfs-tmp/): got %v, want ErrInvalidKey", err)
	}
}

func TestStaleTempCleanup(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, ".sealfs-tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	ages := map[string]time.Duration{
		"up-old":     25 * time.Hour,
		"up-ancient": 30 * 24 * time.Hour,
		"up-recent":  23 * time.Hour,
		"up-fresh":   0,
	}
	now := time.Now()
	for name, age := range ages {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte("partial upload"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, age := range ages {
		_, err := os.Stat(filepath.Join(tmp, name))
		if gone := errors.Is(err, fs.ErrNotExist); gone != (age > 24*time.Hour) {
			t.Errorf("%s (age %v): removed = %v (stat error %v)", name, age, gone, err)
		}
	}
}

// TestPinnedHandleKeepsOldVersion checks the local store's stronger
// guarantee: an open handle reads the old bytes after a replace.
func TestPinnedHandleKeepsOldVersion(t *testing.T) {
	s, _ := newStore(t)
	old := bytes.Repeat([]byte("old!"), 4096)
	v1 := mustPut(t, s, "pin", old)
	obj, err := s.Open(t.Context(), "pin", v1.Version)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	mustPut(t, s, "pin", bytes.Repeat([]byte("new!"), 4096))
	if err := s.Delete(t.Context(), "pin", remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("read after replace and delete: %d bytes, %v; want the %d old bytes", len(got), err, len(old))
	}
	if obj.Info().Version != v1.Version {
		t.Fatalf("Info().Version = %q, want %q", obj.Info().Version, v1.Version)
	}
}

// TestVersionSharedAcrossStores checks that two Store values on one
// directory (two mounts) agree on versions and serialize IfMatch writes:
// concurrent read-modify-write increments lose no update.
func TestVersionSharedAcrossStores(t *testing.T) {
	root := t.TempDir()
	var stores [2]*local.Store
	for i := range stores {
		s, err := local.New(root, local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	ctx := t.Context()
	v := mustPut(t, stores[0], "counter", []byte{0})
	if st, err := stores[1].Stat(ctx, "counter"); err != nil || st.Version != v.Version {
		t.Fatalf("second store sees %+v, %v; want version %q", st, err, v.Version)
	}
	const workers, increments = 4, 25
	var wg sync.WaitGroup
	for w := range workers {
		s := stores[w%2]
		wg.Go(func() {
			for done := 0; done < increments; {
				obj, err := s.Open(ctx, "counter", "")
				if err != nil {
					t.Error(err)
					return
				}
				b := make([]byte, 1)
				_, err = obj.ReadAt(b, 0)
				obj.Close()
				if err != nil && err != io.EOF {
					t.Error(err)
					return
				}
				_, err = put(t, s, "counter", []byte{b[0] + 1}, remote.Condition{IfMatch: obj.Info().Version})
				switch {
				case err == nil:
					done++
				case !errors.Is(err, remote.ErrPreconditionFailed):
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	obj, err := stores[1].Open(ctx, "counter", "")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	b := make([]byte, 1)
	obj.ReadAt(b, 0)
	if b[0] != workers*increments {
		t.Fatalf("counter = %d, want %d", b[0], workers*increments)
	}
}

// TestTypeConflicts checks keys whose paths collide with an object or a
// directory of the other kind: they fail loudly or read as missing.
func TestTypeConflicts(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustPut(t, s, "f", []byte("file"))
	mustPut(t, s, "d/child", []byte("child"))
	if _, err := put(t, s, "f/below", []byte("x"), remote.Condition{}); err == nil {
		t.Error("commit below an object succeeded")
	}
	if _, err := put(t, s, "f/", nil, remote.Condition{}); err == nil {
		t.Error("marker over an object succeeded")
	}
	if _, err := put(t, s, "d", []byte("x"), remote.Condition{}); err == nil {
		t.Error("object over a directory succeeded")
	}
	if _, err := put(t, s, "d", []byte("x"), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Errorf("IfAbsent object over a directory: got %v, want ErrPreconditionFailed", err)
	}
	for _, key := range []string{"f/", "d", "f/below"} {
		if _, err := s.Stat(ctx, key); !errors.Is(err, remote.ErrNotFound) {
			t.Errorf("Stat(%q): got %v, want ErrNotFound", key, err)
		}
	}
	if err := s.Delete(ctx, "d", remote.Condition{}); err != nil {
		t.Errorf("Delete(d) where d is a directory: %v, want nil (no such object)", err)
	}
	if err := s.Delete(ctx, "f/", remote.Condition{}); err != nil {
		t.Errorf("Delete(f/) where f is a file: %v, want nil (no such marker)", err)
	}
	if _, err := s.Stat(ctx, "f"); err != nil {
		t.Errorf("f after deleting f/: %v", err)
	}
	if _, err := s.Stat(ctx, "d/child"); err != nil {
		t.Errorf("d/child after deleting d: %v", err)
	}
}

func TestMarkerTakesNoData(t *testing.T) {
	s, _ := newStore(t)
	up, err := s.Create(t.Context(), "m/")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Abort()
	if _, err := up.Write([]byte("x")); !errors.Is(err, remote.ErrInvalidKey) {
		t.Fatalf("Write to a marker: got %v, want ErrInvalidKey", err)
	}
}

func TestContradictoryCondition(t *testing.T) {
	s, _ := newStore(t)
	v := mustPut(t, s, "k", []byte("x"))
	for _, key := range []string{"k", "m/"} {
		if _, err := put(t, s, key, nil, remote.Condition{IfAbsent: true, IfMatch: v.Version}); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("commit %q with IfAbsent and IfMatch: got %v, want ErrUnsupported", key, err)
		}
	}
	if err := s.Delete(t.Context(), "k", remote.Condition{IfAbsent: true}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Delete with IfAbsent: got %v, want ErrUnsupported", err)
	}
}

func TestClosed(t *testing.T) {
	s, _ := newStore(t)
	mustPut(t, s, "k", []byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(t.Context(), "k"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Stat after Close: got %v, want fs.ErrClosed", err)
	}
	if _, err := s.Create(t.Context(), "k2"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Create after Close: got %v, want fs.ErrClosed", err)
	}
}

func TestSpace(t *testing.T) {
	s, _ := newStore(t)
	total, free, err := s.Space(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 || free > total {
		t.Fatalf("Space = total %d, free %d", total, free)
	}
}

// TestVersionsNeverRepeat overwrites one key with same-sized contents in
// quick succession: freed inode numbers get reused and coarse kernel
// timestamps repeat, yet every version must differ.
func TestVersionsNeverRepeat(t *testing.T) {
	s, _ := newStore(t)
	seen := map[string]int{}
	for i := range 300 {
		v := mustPut(t, s, "same-size", []byte{byte(i), byte(i >> 8)})
		if j, dup := seen[v.Version]; dup {
			t.Fatalf("write %d got version %q, already given to write %d", i, v.Version, j)
		}
		seen[v.Version] = i
	}
}

// TestIfMatchInMissingDirectory checks that a conditional replace of an
// object whose directory does not exist fails without creating it.
func TestIfMatchInMissingDirectory(t *testing.T) {
	s, root := newStore(t)
	if _, err := put(t, s, "no/such/dir/obj", []byte("x"), remote.Condition{IfMatch: "i1-m1-s1"}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("IfMatch commit in a missing directory: got %v, want ErrPreconditionFailed", err)
	}
	if _, err := os.Stat(filepath.Join(root, "no")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the failed commit created directories: %v", err)
	}
}

package local_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/storetest"
)

// resolvers are the two ways a store resolves keys: openat2, and the
// component walk used where the kernel lacks it.
var resolvers = []struct {
	name string
	open func(root string, opts local.Options) (*local.Store, error)
}{
	{"openat2", local.New},
	{"walk", local.NewWalking},
}

// forEachResolver runs test with a store over a fresh root (0700) opened
// by each resolver.
func forEachResolver(t *testing.T, test func(t *testing.T, s *local.Store, root string)) {
	for _, r := range resolvers {
		t.Run(r.name, func(t *testing.T) {
			root := t.TempDir()
			s, err := r.open(root, local.Options{})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer s.Close()
			if got := local.UsesOpenat2(s); got != (r.name == "openat2") {
				t.Skipf("the store uses openat2=%v, not %s (kernel without openat2?)", got, r.name)
			}
			test(t, s, root)
		})
	}
}

// TestConformanceWalk runs the shared suite on the component walk, which
// TestConformance (openat2) does not reach.
func TestConformanceWalk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) remote.Store {
		s, err := local.NewWalking(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	})
}

// outsideTree creates a directory outside the store holding "secret" and
// "sub/inner", and returns it with a function that fails the test unless
// it still holds exactly those, with their contents.
func outsideTree(t *testing.T) (dir string, unchanged func()) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "inner"), []byte("inner"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := tree(t, dir)
	return dir, func() {
		t.Helper()
		got := tree(t, dir)
		if len(got) != len(want) {
			t.Errorf("outside directory changed: holds %v, want %v", got, want)
		}
		for path, mode := range want {
			if m, ok := got[path]; !ok || m != mode {
				t.Errorf("outside directory: %s present %v mode %v, want mode %v", path, ok, m, mode)
			}
		}
		for path, data := range map[string]string{"secret": "secret", "sub/inner": "inner"} {
			if b, err := os.ReadFile(filepath.Join(dir, path)); err != nil || string(b) != data {
				t.Errorf("outside %s: %q, %v; want %q", path, b, err, data)
			}
		}
	}
}

// symlink creates the link root/rel pointing at target, and its parents.
func symlink(t *testing.T, root, rel, target string) {
	t.Helper()
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// wantOutside fails the test unless err wraps local.ErrOutsideRoot.
func wantOutside(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, local.ErrOutsideRoot) {
		t.Errorf("%s: got %v, want ErrOutsideRoot", what, err)
	}
}

// listKeys lists prefix and returns the keys reported.
func listKeys(t *testing.T, s remote.Store, prefix string, recursive bool) ([]string, error) {
	t.Helper()
	var keys []string
	err := s.List(t.Context(), prefix, recursive, func(e remote.Entry) error {
		keys = append(keys, e.Key)
		return nil
	})
	return keys, err
}

// TestSymlinkedDirectoryRefused places a symbolic link to a directory
// outside the store at a key's first component, and at a deeper one, and
// checks that no operation through it reads, lists, creates or removes
// anything outside.
func TestSymlinkedDirectoryRefused(t *testing.T) {
	for _, at := range []string{"ab", "ab/cd"} {
		t.Run(strings.ReplaceAll(at, "/", "_"), func(t *testing.T) {
			forEachResolver(t, func(t *testing.T, s *local.Store, root string) {
				ctx := t.Context()
				outside, unchanged := outsideTree(t)
				symlink(t, root, at, outside)
				prefix := at + "/"
				_, err := s.Stat(ctx, prefix+"secret")
				wantOutside(t, "Stat", err)
				_, err = s.Stat(ctx, prefix+"sub/")
				wantOutside(t, "Stat of a marker", err)
				_, err = s.Open(ctx, prefix+"secret", "")
				wantOutside(t, "Open", err)
				_, err = s.Open(ctx, prefix+"sub/inner", "")
				wantOutside(t, "Open below", err)
				for _, cond := range []remote.Condition{{}, {IfAbsent: true}} {
					_, err = put(t, s, prefix+"new", []byte("x"), cond)
					wantOutside(t, fmt.Sprintf("Commit %+v", cond), err)
					_, err = put(t, s, prefix+"secret", []byte("x"), cond)
					if !errors.Is(err, local.ErrOutsideRoot) {
						t.Errorf("Commit %+v over an outside file: got %v, want ErrOutsideRoot", cond, err)
					}
					_, err = put(t, s, prefix+"newdir/obj", []byte("x"), cond)
					wantOutside(t, fmt.Sprintf("Commit %+v in a new directory", cond), err)
					_, err = put(t, s, prefix+"m/", nil, cond)
					wantOutside(t, fmt.Sprintf("marker Commit %+v", cond), err)
				}
				_, err = put(t, s, prefix+"secret", []byte("x"), remote.Condition{IfMatch: "i1-m1-s6"})
				wantOutside(t, "Commit IfMatch", err)
				wantOutside(t, "Delete", s.Delete(ctx, prefix+"secret", remote.Condition{}))
				wantOutside(t, "Delete IfMatch", s.Delete(ctx, prefix+"secret", remote.Condition{IfMatch: "i1-m1-s6"}))
				wantOutside(t, "Delete below", s.Delete(ctx, prefix+"sub/inner", remote.Condition{}))
				wantOutside(t, "Delete of a marker", s.Delete(ctx, prefix+"sub/", remote.Condition{}))
				for _, recursive := range []bool{false, true} {
					keys, err := listKeys(t, s, prefix, recursive)
					wantOutside(t, fmt.Sprintf("List(%q, %v)", prefix, recursive), err)
					if len(keys) != 0 {
						t.Errorf("List(%q, %v) reported %q", prefix, recursive, keys)
					}
					keys, err = listKeys(t, s, prefix+"se", recursive)
					wantOutside(t, fmt.Sprintf("List(%q, %v)", prefix+"se", recursive), err)
					if len(keys) != 0 {
						t.Errorf("List(%q, %v) reported %q", prefix+"se", recursive, keys)
					}
					if keys, err = listKeys(t, s, "", recursive); err != nil || slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "secret") || strings.Contains(k, "sub") }) {
						t.Errorf("List(\"\", %v) = %q, %v: want no entry from outside", recursive, keys, err)
					}
				}
				unchanged()
				if fi, err := os.Lstat(filepath.Join(root, at)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					t.Errorf("the link was replaced or removed: %v, %v", fi, err)
				}
			})
		})
	}
}

// TestSymlinkLeafRefused places symbolic links at the keys themselves:
// to a file and to a directory outside. They read as ErrOutsideRoot, are
// neither deleted nor followed, and a commit over one replaces the link
// inside the store, never its target.
func TestSymlinkLeafRefused(t *testing.T) {
	forEachResolver(t, func(t *testing.T, s *local.Store, root string) {
		ctx := t.Context()
		outside, unchanged := outsideTree(t)
		symlink(t, root, "d/leaf", filepath.Join(outside, "secret"))
		symlink(t, root, "d/dleaf", filepath.Join(outside, "sub"))
		_, err := s.Stat(ctx, "d/leaf")
		wantOutside(t, "Stat", err)
		_, err = s.Open(ctx, "d/leaf", "")
		wantOutside(t, "Open", err)
		_, err = s.Stat(ctx, "d/dleaf/")
		wantOutside(t, "Stat of a marker", err)
		_, err = s.Open(ctx, "d/dleaf/", "")
		wantOutside(t, "Open of a marker", err)
		wantOutside(t, "Delete", s.Delete(ctx, "d/leaf", remote.Condition{}))
		wantOutside(t, "Delete of a marker", s.Delete(ctx, "d/dleaf/", remote.Condition{}))
		_, err = put(t, s, "d/dleaf/", nil, remote.Condition{})
		wantOutside(t, "marker Commit", err)
		if _, err := put(t, s, "d/dleaf/", nil, remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
			t.Errorf("marker Commit IfAbsent over a link: got %v, want ErrPreconditionFailed", err)
		}
		if _, err := put(t, s, "d/leaf", []byte("x"), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
			t.Errorf("Commit IfAbsent over a link: got %v, want ErrPreconditionFailed", err)
		}
		for _, name := range []string{"leaf", "dleaf"} {
			if fi, err := os.Lstat(filepath.Join(root, "d", name)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("d/%s was replaced or removed: %v, %v", name, fi, err)
			}
		}
		unchanged()
		// An unconditional commit renames over the link itself.
		mustPut(t, s, "d/leaf", []byte("replaced"))
		unchanged()
		if fi, err := os.Lstat(filepath.Join(root, "d", "leaf")); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("d/leaf after a commit: %v, %v; want a regular file", fi, err)
		}
	})
}

// TestListSkipsSymlinks lists a directory holding symbolic links to a
// file and a directory outside, beside a real file and directory.
func TestListSkipsSymlinks(t *testing.T) {
	forEachResolver(t, func(t *testing.T, s *local.Store, root string) {
		outside, unchanged := outsideTree(t)
		mustPut(t, s, "d/file", []byte("x"))
		mustPut(t, s, "d/sub/obj", []byte("x"))
		symlink(t, root, "d/link", filepath.Join(outside, "secret"))
		symlink(t, root, "d/dlink", outside)
		symlink(t, root, "d/sub/zlink", outside)
		symlink(t, root, "top-link", outside)
		tests := []struct {
			prefix    string
			recursive bool
			want      []string
		}{
			{"d/", false, []string{"d/file", "d/sub/"}},
			{"d/", true, []string{"d/file", "d/sub/obj"}},
			{"d/l", true, nil},
			{"", false, []string{"d/"}},
			{"", true, []string{"d/file", "d/sub/obj"}},
		}
		for _, tt := range tests {
			got, err := listKeys(t, s, tt.prefix, tt.recursive)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("List(%q, %v) = %q, %v; want %q", tt.prefix, tt.recursive, got, err, tt.want)
			}
		}
		unchanged()
	})
}

// TestEscapingKeysRefused checks that absolute keys and keys with ".."
// are refused before anything is touched, with both sentinels.
func TestEscapingKeysRefused(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	for _, key := range []string{"../x", "a/../../x", "..", "../", "/etc/passwd", "/x/"} {
		_, err := s.Stat(ctx, key)
		if !errors.Is(err, local.ErrOutsideRoot) || !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Stat(%q): got %v, want ErrOutsideRoot and ErrInvalidKey", key, err)
		}
		if _, err := s.Create(ctx, key); !errors.Is(err, local.ErrOutsideRoot) {
			t.Errorf("Create(%q): got %v, want ErrOutsideRoot", key, err)
		}
		if err := s.Delete(ctx, key, remote.Condition{}); !errors.Is(err, local.ErrOutsideRoot) {
			t.Errorf("Delete(%q): got %v, want ErrOutsideRoot", key, err)
		}
	}
	if err := s.List(ctx, "../", true, func(remote.Entry) error { return nil }); !errors.Is(err, local.ErrOutsideRoot) {
		t.Errorf("List(../): got %v, want ErrOutsideRoot", err)
	}
}

// TestSwappedDirectoryNeverFollowed replaces a directory by a symbolic
// link to the outside and back, over and over, while objects are
// committed, stated, listed and deleted below it: whatever the
// interleaving, nothing appears outside.
func TestSwappedDirectoryNeverFollowed(t *testing.T) {
	forEachResolver(t, func(t *testing.T, s *local.Store, root string) {
		ctx := t.Context()
		outside, unchanged := outsideTree(t)
		dir, parked := filepath.Join(root, "x"), filepath.Join(root, "x.real")
		mustPut(t, s, "x/seed", []byte("x"))
		done, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			// Errors are expected (the store may recreate x meanwhile)
			// and beside the point: only the outside must stay unchanged.
			defer close(stopped)
			for {
				select {
				case <-done:
					return
				default:
				}
				os.Rename(dir, parked)
				os.Symlink(outside, dir)
				os.Remove(dir)
				os.Rename(parked, dir)
			}
		}()
		for i := range 300 {
			key := fmt.Sprintf("x/obj-%d", i)
			if _, err := put(t, s, key, []byte("x"), remote.Condition{IfAbsent: i%2 == 0}); err != nil && !errors.Is(err, local.ErrOutsideRoot) && !errors.Is(err, remote.ErrNotFound) {
				t.Logf("Commit %s during swaps: %v", key, err)
			}
			s.Stat(ctx, "x/secret")
			s.Delete(ctx, "x/secret", remote.Condition{})
			listKeys(t, s, "x/", true)
		}
		close(done)
		<-stopped
		unchanged()
	})
}

// TestInsecureRootRefused checks that New refuses a root writable by
// group or others, with the chmod that fixes it, and accepts one that is
// only readable by them.
func TestInsecureRootRefused(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o702, 0o777, 0o1777} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			root := t.TempDir()
			if err := os.Chmod(root, mode); err != nil {
				t.Fatal(err)
			}
			s, err := local.New(root, local.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("New over a %04o root succeeded", mode)
			}
			if !errors.Is(err, local.ErrInsecureRoot) || !strings.Contains(err.Error(), "writable by group or others") ||
				!strings.Contains(err.Error(), "run: chmod go-w "+root) {
				t.Fatalf("New over a %04o root: %v; want ErrInsecureRoot with the fix", mode, err)
			}
			if _, err := os.Stat(filepath.Join(root, ".sealfs-tmp")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refused root was written to: .sealfs-tmp %v", err)
			}
		})
	}
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatalf("New over a 0755 root: %v", err)
	}
	s.Close()
}

// TestForeignRootRefused checks that New refuses a root owned by another
// user.
func TestForeignRootRefused(t *testing.T) {
	testenv.Require(t, "root", os.Geteuid() == 0, "needed to give a directory to another user")
	root := t.TempDir()
	if err := os.Chown(root, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	s, err := local.New(root, local.Options{})
	if err == nil {
		s.Close()
		t.Fatal("New over a root owned by uid 4242 succeeded")
	}
	if !errors.Is(err, local.ErrInsecureRoot) || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Fatalf("New over a foreign root: %v; want ErrInsecureRoot naming the owner", err)
	}
}

// TestRootBehindSymlink checks that a root named through a symbolic link
// (the operator's choice, e.g. to a LUKS mount) is opened, and that
// keys then resolve in the directory it names.
func TestRootBehindSymlink(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "store")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s, err := local.New(link, local.Options{})
	if err != nil {
		t.Fatalf("New through a link: %v", err)
	}
	defer s.Close()
	mustPut(t, s, "a/b", []byte("data"))
	if b, err := os.ReadFile(filepath.Join(real, "a", "b")); err != nil || !bytes.Equal(b, []byte("data")) {
		t.Fatalf("object not in the linked directory: %q, %v", b, err)
	}
}

// TestSymlinkedTempDirRefused checks that New refuses a .sealfs-tmp that
// is a symbolic link, and creates nothing through it.
func TestSymlinkedTempDirRefused(t *testing.T) {
	root := t.TempDir()
	outside, unchanged := outsideTree(t)
	symlink(t, root, ".sealfs-tmp", outside)
	s, err := local.New(root, local.Options{})
	if err == nil {
		s.Close()
		t.Fatal("New with a symlinked temp directory succeeded")
	}
	wantOutside(t, "New", err)
	unchanged()
}

package maintain

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// sourceTree writes a plain tree under dir (nested directories, an empty
// file, a 5 MB file, Orthanc-style xx/yy/uuid files, names that sort
// differently from a naive walk) plus a symlink and a FIFO, and returns
// the regular files' contents by relative path.
func sourceTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{
		"empty":                       {},
		"big.bin":                     randomBytes(5 << 20),
		"a/b/c/deep":                  randomBytes(3*testChunk + 17),
		"a-b":                         randomBytes(10), // "a-b" < "a/…" in key order
		"a/b-c":                       randomBytes(testChunk),
		"0a/1b/2f4c1c8e-0a1b-4c2d-9e": randomBytes(40000),
		"0a/1b/7d9e2f00-1111-2222-33": randomBytes(1),
		"ff/00/x":                     randomBytes(12345),
	}
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../big.bin", filepath.Join(dir, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "a", "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	return files
}

func skippedKeys(r Report) []string {
	var keys []string
	for _, s := range r.Skipped {
		keys = append(keys, s.Key)
	}
	return keys
}

// checkStore reads every file back through envelope.Open with its
// identity and compares it byte for byte; the store holds nothing else.
func checkStore(t *testing.T, store remote.Store, ring *keyring.Keyring, files map[string][]byte) {
	t.Helper()
	var listed []string
	if err := store.List(context.Background(), "", true, func(e remote.Entry) error {
		if IsObjectKey(e.Key) {
			listed = append(listed, e.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(listed, want) {
		t.Fatalf("store holds %q, want %q", listed, want)
	}
	for key, data := range files {
		got, err := get(t, store, ring, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%s: read back %d bytes, differ from the source's %d", key, len(got), len(data))
		}
	}
}

func TestMigrate(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		src := t.TempDir()
		files := sourceTree(t, src)
		ring := newKeys(t, 1).ring(t, map[uint32]keyring.State{1: keyring.Current})
		cp := filepath.Join(t.TempDir(), "migrate.checkpoint")
		ctx := context.Background()

		dry, err := Migrate(ctx, options(store, ring, cp), MigrateOptions{FromDir: src, DryRun: true})
		if err != nil || dry.Migrated != int64(len(files)) {
			t.Fatalf("dry run: %v %+v", err, dry)
		}
		checkStore(t, store, ring, nil)

		rep, err := Migrate(ctx, options(store, ring, cp), MigrateOptions{FromDir: src, VerifyWritten: true})
		if err != nil {
			t.Fatalf("migrate: %v (%+v)", err, rep)
		}
		wantSkipped := []string{"a/dirlink", "a/link", "fifo"}
		if rep.Migrated != int64(len(files)) || rep.AlreadyMigrated != 0 || len(rep.Failures) != 0 ||
			!slices.Equal(skippedKeys(rep), wantSkipped) {
			t.Fatalf("report %+v, skipped %q want %q", rep, skippedKeys(rep), wantSkipped)
		}
		for i, s := range rep.Skipped {
			if !errors.Is(s.Err, ErrNotRegular) || !strings.Contains(s.Reason, []string{"symlink", "symlink", "FIFO"}[i]) {
				t.Errorf("%s skipped for %v, want ErrNotRegular naming its type", s.Key, s.Err)
			}
		}
		checkStore(t, store, ring, files)
		if _, ok, _ := loadCheckpoint(cp); ok {
			t.Error("checkpoint left after the run completed")
		}

		// A re-run rewrites nothing: every file is already migrated.
		var versions []string
		for key := range files {
			info, err := store.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			versions = append(versions, key+"@"+info.Version)
		}
		counting := &cancelAfter{Store: store, cancel: func() {}}
		again, err := Migrate(ctx, options(counting, ring, cp), MigrateOptions{FromDir: src})
		if err != nil || again.AlreadyMigrated != int64(len(files)) || again.Migrated != 0 || counting.commits.Load() != 0 {
			t.Fatalf("re-run: %v %+v, %d commits", err, again, counting.commits.Load())
		}
		for _, kv := range versions {
			key, version, _ := strings.Cut(kv, "@")
			if info, _ := store.Stat(ctx, key); info.Version != version {
				t.Errorf("%s rewritten by the re-run", key)
			}
		}
	})
}

// A path the store already holds with other content (or sealed for
// another volume) is a conflict, reported and left untouched; the rest is
// migrated and the run fails with ErrConflicts.
func TestMigrateConflict(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		src := t.TempDir()
		files := sourceTree(t, src)
		ring := newKeys(t, 1).ring(t, map[uint32]keyring.State{1: keyring.Current})
		other := randomBytes(len(files["a/b-c"]))
		put(t, store, ring, "a/b-c", other)
		// Same plaintext, wrong identity (another volume): not the same object.
		putChunk(t, store, ring, "ff/00/x", files["ff/00/x"], testChunk)
		swapped := options(store, ring, "")
		swapped.Volume[0] ^= 1
		before, _ := store.Stat(context.Background(), "ff/00/x")

		rep, err := Migrate(context.Background(), options(store, ring, ""), MigrateOptions{FromDir: src})
		if !errors.Is(err, ErrConflicts) || errors.Is(err, ErrFailures) {
			t.Fatalf("migrate: %v, want ErrConflicts", err)
		}
		if len(rep.Conflicts) != 1 || rep.Conflicts[0].Key != "a/b-c" || !errors.Is(rep.Conflicts[0].Err, ErrConflict) {
			t.Fatalf("conflicts %+v", rep.Conflicts)
		}
		if rep.AlreadyMigrated != 1 || rep.Migrated != int64(len(files))-2 {
			t.Fatalf("report %+v", rep)
		}
		got, err := get(t, store, ring, "a/b-c")
		if err != nil || !bytes.Equal(got, other) {
			t.Fatalf("the conflicting object was changed: %v", err)
		}
		// Under another volume id, the held object does not authenticate.
		rep, err = Migrate(context.Background(), swapped, MigrateOptions{FromDir: src})
		if !errors.Is(err, ErrConflicts) || len(rep.Conflicts) != len(files) {
			t.Fatalf("other volume: %v, %d conflicts", err, len(rep.Conflicts))
		}
		if after, _ := store.Stat(context.Background(), "ff/00/x"); after.Version != before.Version {
			t.Error("an object was overwritten")
		}
	})
}

// A migration interrupted after some files resumes from its checkpoint:
// nothing is sealed twice, and the report covers both runs.
func TestMigrateResume(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		src := t.TempDir()
		files := sourceTree(t, src)
		ring := newKeys(t, 1).ring(t, map[uint32]keyring.State{1: keyring.Current})
		cp := filepath.Join(t.TempDir(), "migrate.checkpoint")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var done atomic.Int64
		o := options(store, ring, cp)
		o.Jobs = 1
		_, err := Migrate(ctx, o, MigrateOptions{FromDir: src, afterFile: func(string) {
			if done.Add(1) == 4 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted migrate: %v", err)
		}
		saved, ok, err := loadCheckpoint(cp)
		if !ok || err != nil || saved.After == "" || saved.Report.Objects == 0 || saved.Report.Migrated >= int64(len(files)) {
			t.Fatalf("checkpoint after the interruption: %v %v %+v", ok, err, saved)
		}

		counting := &cancelAfter{Store: store, cancel: func() {}}
		rep, err := Migrate(context.Background(), options(counting, ring, cp), MigrateOptions{FromDir: src})
		if err != nil {
			t.Fatalf("resumed migrate: %v", err)
		}
		if rep.ResumedAfter != saved.After || rep.Migrated+rep.AlreadyMigrated != int64(len(files)) ||
			counting.commits.Load() != int64(len(files))-saved.Report.Migrated-rep.AlreadyMigrated {
			t.Fatalf("resumed report %+v after %q, %d commits", rep, saved.After, counting.commits.Load())
		}
		checkStore(t, store, ring, files)
	})
}

// Names the store cannot key, and files matching an exclude pattern, are
// skipped and listed, not failed.
func TestMigrateSkippedNames(t *testing.T) {
	store := storeKinds[0].open(t)
	defer store.Close()
	src := t.TempDir()
	long := strings.Repeat("n", 250)
	deep := filepath.Join(src, long, long, long, long, long) // over 1024 bytes
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(deep, "f"), filepath.Join(src, ".sealfs-volume"), filepath.Join(src, "ok"), filepath.Join(src, "index-wal")} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ring := newKeys(t, 1).ring(t, map[uint32]keyring.State{1: keyring.Current})
	if _, err := Migrate(context.Background(), options(store, ring, ""), MigrateOptions{FromDir: src, Exclude: []string{"["}}); err == nil {
		t.Fatal("a malformed exclude pattern was taken")
	}
	rep, err := Migrate(context.Background(), options(store, ring, ""), MigrateOptions{FromDir: src, Exclude: []string{"index*"}})
	if err != nil || rep.Migrated != 1 || len(rep.Skipped) != 3 {
		t.Fatalf("migrate: %v %+v", err, rep)
	}
	for _, s := range rep.Skipped {
		if s.Key == "index-wal" {
			if !errors.Is(s.Err, ErrExcluded) {
				t.Errorf("%s: %v, want ErrExcluded", s.Key, s.Err)
			}
			continue
		}
		if !errors.Is(s.Err, remote.ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", s.Key, s.Err)
		}
	}
}

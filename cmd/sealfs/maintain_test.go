package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/maintain"
	"github.com/sealfs/sealfs/remote"
)

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{5 << 20, "5.0 MiB"}, {3 << 30, "3.0 GiB"}, {1 << 40, "1.0 TiB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestPrintReport(t *testing.T) {
	rep := maintain.Report{
		Objects: 3, Bytes: 3 << 20, ResumedAfter: "ab/cd",
		Failures:  []maintain.Failure{{Key: "ab/x", Problem: "tampered", Reason: "chunk 2 tampered"}},
		KEKUsage:  map[uint32]maintain.KEKCount{7: {Objects: 1, Bytes: 1 << 20}, 2: {Objects: 2, Bytes: 2 << 20}},
		Rewrapped: 2, RewrappedBytes: 2 << 20, Current: 1, Retries: 1,
		Migrated: 1, MigratedBytes: 1 << 20, AlreadyMigrated: 1,
		Skipped:   []maintain.Failure{{Key: "a/link", Reason: "not a regular file (symlink)"}},
		Conflicts: []maintain.Failure{{Key: "a/b", Reason: "the contents differ at byte 0 or after"}},
	}
	tests := []struct {
		name     string
		op       string
		kekUsage bool
		want     []string
		notWant  []string
	}{
		{"verify", "verify", false,
			[]string{`resumed after "ab/cd"`, "verify: 3 objects, 3.0 MiB, 1 failed; this run: 2 objects in 2s (1 objects/s, 1.0 MiB/s)", "verify: 1 failed: tampered\n", "FAILED ab/x: chunk 2 tampered"},
			[]string{"kek 2:", "rewrapped"}},
		{"verify --kek-usage", "verify", true,
			[]string{"kek 2: 2 objects, 2.0 MiB\nkek 7: 1 objects, 1.0 MiB\n"}, nil},
		{"migrate", "migrate", false,
			[]string{"migrate: 1 migrated (1.0 MiB), 1 already migrated, 1 skipped, 1 conflicts, 1 failed", "SKIPPED a/link: not a regular file", "CONFLICT a/b: the contents differ"},
			[]string{"rewrapped", "kek 2:"}},
		{"rotate", "rotate", true,
			[]string{"rotate: 2 rewrapped (2.0 MiB), 1 already current, 0 under other keys, 1 retried"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printReport(&b, tt.op, rep, runStats{took: 2 * time.Second, objects: 2, bytes: 2 << 20}, tt.kekUsage)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("missing %q in:\n%s", w, b.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("unexpected %q in:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgress("verify", time.Hour)
	p.w, p.terminal = &b, false
	p.Start(4, 4<<20)
	p.Done(1<<20, false)
	p.Done(1<<20, true)
	p.Close()
	if got := b.String(); !strings.Contains(got, "verify: 2/4 objects, 1 failed, 2.0 MiB of 4.0 MiB") {
		t.Errorf("progress line %q", got)
	}
}

// verify and rotate never create a volume: a store without one is
// refused and left as it was.
func TestMaintenanceRefusesStoreWithoutVolume(t *testing.T) {
	dir := t.TempDir()
	store, key := filepath.Join(dir, "store"), filepath.Join(dir, "k")
	os.Mkdir(store, 0o700)
	if err := keyring.GenerateFile(key); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"verify", "rotate"} {
		err := newApp().RunContext(context.Background(), []string{"sealfs", op, "--key", key, "--state-dir", filepath.Join(dir, "state"), store})
		if !errors.Is(err, remote.ErrNotFound) || !strings.Contains(err.Error(), "no volume file") {
			t.Errorf("%s of an empty store: %v", op, err)
		}
	}
	// The local tier makes its upload directory when opened; nothing else.
	entries, _ := os.ReadDir(store)
	for _, e := range entries {
		if e.Name() != ".sealfs-tmp" {
			t.Errorf("the store was written to: %s", e.Name())
		}
	}
}

// migrate --dry-run on a store without a volume file writes nothing (a
// real run creates the volume file, as a mount would).
func TestMigrateDryRunFreshStore(t *testing.T) {
	dir := t.TempDir()
	store, key, src := filepath.Join(dir, "store"), filepath.Join(dir, "k"), filepath.Join(dir, "src")
	os.Mkdir(store, 0o700)
	os.MkdirAll(filepath.Join(src, "ab", "cd"), 0o755)
	os.WriteFile(filepath.Join(src, "ab", "cd", "f"), []byte("data"), 0o644)
	if err := keyring.GenerateFile(key); err != nil {
		t.Fatal(err)
	}
	app := newApp()
	err := app.RunContext(context.Background(), []string{"sealfs", "migrate", "--key", key, "--state-dir", filepath.Join(dir, "state"),
		"--from-dir", src, "--dry-run", store})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	entries, _ := os.ReadDir(store)
	for _, e := range entries {
		if e.Name() != ".sealfs-tmp" {
			t.Errorf("the dry run wrote %s", e.Name())
		}
	}
	if err := app.RunContext(context.Background(), []string{"sealfs", "migrate", "--key", key, "--state-dir", filepath.Join(dir, "state"),
		"--from-dir", filepath.Join(src, "missing"), store}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing --from-dir: %v", err)
	}
}

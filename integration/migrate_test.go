package integration

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// The Orthanc switch-over runbook of docs/orthanc.md with the real binary,
// on the local tier and MinIO: a plain StorageDirectory-like tree (nested
// directories, an empty file, a 5 MB file, a symlink) is migrated into a
// fresh store (an excluded index file left out); sealfs verify passes; a mount reads every file back byte
// for byte and shows no symlink; a re-run rewrites nothing; a path the
// store holds with other content is reported as a conflict (exit 1) and
// left as it is.
func TestMigrateRunbook(t *testing.T) { forEachRunbookStore(t, migrateRunbook) }

func migrateRunbook(t *testing.T, dir string, rs runbookStore) {
	key := filepath.Join(dir, "kek-1.key")
	store, env, state, mnt, src := rs.url, rs.env, filepath.Join(dir, "state"), filepath.Join(dir, "mnt"), filepath.Join(dir, "orthanc-db")
	os.Mkdir(mnt, 0o755)
	if out, err := sealfs(t, nil, "keygen", key); err != nil {
		t.Fatal(err, out)
	}
	big := make([]byte, 5<<20)
	rand.Read(big)
	files := map[string][]byte{
		"0a/1b/2f4c1c8e-0a1b-4c2d-9e00-000000000001": bytes.Repeat([]byte("dicom"), 30000),
		"0a/1b/2f4c1c8e-0a1b-4c2d-9e00-000000000002": {},
		"ff/00/7d9e2f00-1111-2222-3333-444444444444": big,
		"deep/a/b/c/d":  []byte("nested"),
		"top-level.txt": []byte("top"),
	}
	for rel, data := range files {
		p := filepath.Join(src, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "0a", "passwd-link")); err != nil {
		t.Fatal(err)
	}
	// An Orthanc index kept in the storage directory stays out.
	if err := os.WriteFile(filepath.Join(src, "index"), []byte("SQLite format 3"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"migrate", "--key", key, "--key-id", "1", "--state-dir", state, "--from-dir", src, "--exclude", "index*", store}

	out, err := sealfs(t, env, append([]string{"migrate", "--verify"}, args[1:]...)...)
	if err != nil || !strings.Contains(out, "migrate: 5 migrated") || !strings.Contains(out, "2 skipped, 0 conflicts, 0 failed") ||
		!strings.Contains(out, "SKIPPED index: excluded") ||
		!strings.Contains(out, "SKIPPED 0a/passwd-link: not a regular file") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = sealfs(t, env, "verify", "--key", key, "--key-id", "1", "--state-dir", state, store)
	if err != nil || !strings.Contains(out, "verify: 5 objects") {
		t.Fatalf("verify after migrate: %v\n%s", err, out)
	}

	// A re-run rewrites nothing.
	out, err = sealfs(t, env, args...)
	if err != nil || !strings.Contains(out, "migrate: 0 migrated (0 B), 5 already migrated") {
		t.Fatalf("re-run: %v\n%s", err, out)
	}

	mountDaemon(t, env, store, mnt, "--key", key, "--key-id", "1", "--state-dir", state)
	for rel, data := range files {
		got, err := os.ReadFile(filepath.Join(mnt, filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s through the mount: %v (%d bytes, want %d)", rel, err, len(got), len(data))
		}
	}
	for _, skipped := range []string{"0a/passwd-link", "index"} {
		if _, err := os.Lstat(filepath.Join(mnt, skipped)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s was migrated: %v", skipped, err)
		}
	}
	// The mount writes a file; the source has another at the same path.
	held := []byte("written through the mount")
	os.MkdirAll(filepath.Join(mnt, "zz"), 0o755)
	if err := os.WriteFile(filepath.Join(mnt, "zz", "clash"), held, 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(src, "zz"), 0o755)
	if err := os.WriteFile(filepath.Join(src, "zz", "clash"), []byte("another content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := testenv.Unmount(mnt); err != nil { // the write is in the store
		t.Fatal(err)
	}
	out, err = sealfs(t, env, args...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(out, "1 conflicts") || !strings.Contains(out, "CONFLICT zz/clash") {
		t.Fatalf("migrate onto a conflicting object: %v\n%s", err, out)
	}
	mountDaemon(t, env, store, mnt, "--key", key, "--key-id", "1", "--state-dir", state)
	if got, err := os.ReadFile(filepath.Join(mnt, "zz", "clash")); err != nil || !bytes.Equal(got, held) {
		t.Fatalf("the conflicting object changed: %v %q", err, got)
	}
}

// sealfs migrate stopped by SIGINT part way (as Ctrl-C would) saves its
// checkpoint and exits non-zero; run again, it resumes after the last file
// done and the store ends up with every file (local tier).
func TestMigrateInterruptResume(t *testing.T) {
	dir := t.TempDir()
	key, store, state, src := filepath.Join(dir, "k"), filepath.Join(dir, "store"), filepath.Join(dir, "state"), filepath.Join(dir, "src")
	os.Mkdir(store, 0o755)
	if out, err := sealfs(t, nil, "keygen", key); err != nil {
		t.Fatal(err, out)
	}
	const n = 3000
	data := make([]byte, 64<<10)
	rand.Read(data)
	for i := range n {
		p := filepath.Join(src, fmt.Sprintf("%02x", i%256), fmt.Sprintf("%02x", i/256), fmt.Sprintf("instance-%05d", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"migrate", "--key", key, "--state-dir", state, "--from-dir", src, "--jobs", "1", "--progress-interval", "50ms", store}
	cmd := exec.Command(testenv.SealfsBinary(t), args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var done, total int
		if _, err := fmt.Sscanf(sc.Text(), "migrate: %d/%d objects", &done, &total); err == nil && done > 0 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(stdout.String(), "migrate: ") {
		t.Fatalf("interrupted migrate: %v\n%s", err, stdout.String())
	}
	if _, err := os.Stat(filepath.Join(state, "migrate.checkpoint")); err != nil {
		t.Fatalf("no checkpoint after the interruption: %v", err)
	}
	out, err := sealfs(t, nil, args...)
	if err != nil || !strings.Contains(out, "migrate: resumed after") || !strings.Contains(out, fmt.Sprintf("migrate: %d objects", n)) ||
		!strings.Contains(out, "0 skipped, 0 conflicts, 0 failed") {
		t.Fatalf("resumed migrate: %v\n%s", err, out)
	}
	out, err = sealfs(t, nil, "verify", "--key", key, "--state-dir", state, store)
	if err != nil || !strings.Contains(out, fmt.Sprintf("verify: %d objects", n)) {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}

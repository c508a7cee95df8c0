package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/s3"
)

// mountDaemon mounts store at mnt with args (keys, state dir) and
// unmounts it when the test ends.
func mountDaemon(t *testing.T, env []string, store, mnt string, args ...string) {
	t.Helper()
	out, err := sealfs(t, env, append(append([]string{"mount"}, args...), store, mnt)...)
	if err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	waitMounted(t, mnt)
	t.Cleanup(func() { testenv.Unmount(mnt) })
}

// runbookStore is a store the runbook test runs on: its STORE argument,
// the environment the binary needs for it, and a handle to tamper with it.
type runbookStore struct {
	url   string
	env   []string
	admin remote.Store
}

func runbookStores(t *testing.T) []struct {
	name  string
	start func(t *testing.T, dir string) runbookStore
} {
	return []struct {
		name  string
		start func(t *testing.T, dir string) runbookStore
	}{
		{"local", func(t *testing.T, dir string) runbookStore {
			store := filepath.Join(dir, "store")
			os.Mkdir(store, 0o755)
			admin, err := local.New(store, local.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return runbookStore{url: store, admin: admin}
		}},
		{"s3", func(t *testing.T, dir string) runbookStore {
			m := testenv.StartMinIO(t)
			admin, err := s3.New(context.Background(), s3.Config{Bucket: "sealfs", Prefix: "vol", Endpoint: m.Endpoint,
				AccessKey: m.AccessKey, SecretKey: m.SecretKey, PathStyle: true, CreateBucket: true, SpoolDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return runbookStore{
				url:   "s3://sealfs/vol?endpoint=" + m.Endpoint + "&path-style=true&region=us-east-1",
				env:   []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey},
				admin: admin,
			}
		}},
	}
}

// flipByte flips one byte in the middle of key's object and returns a
// function that puts the original back.
func (s runbookStore) flipByte(t *testing.T, key string) (restore func()) {
	t.Helper()
	ctx := context.Background()
	obj, err := s.admin.Open(ctx, key, "")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	put := func(data []byte) {
		up, err := s.admin.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		up.Write(data)
		if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	bad := bytes.Clone(orig)
	bad[len(bad)/2] ^= 1
	put(bad)
	return func() { put(orig) }
}

// The key rotation runbook end to end with the real binary, on the local
// tier and MinIO: files written through a mount under KEK 1 verify; a flipped byte
// makes verify fail naming the file; rotate to KEK 2 runs while a mount
// writes; verify --kek-usage then counts nothing under 1, and a mount
// without KEK 1 (and one with KEK 1 revoked) reads every file back.
func TestRotateVerifyRunbook(t *testing.T) { forEachRunbookStore(t, runbook) }

// forEachRunbookStore runs fn on a fresh store of each kind (the local
// tier only with -short) with a directory of its own.
func forEachRunbookStore(t *testing.T, fn func(t *testing.T, dir string, rs runbookStore)) {
	requireFUSE(t)
	for _, kind := range runbookStores(t) {
		t.Run(kind.name, func(t *testing.T) {
			if testing.Short() && kind.name != "local" {
				t.Skip("cloud stores: skipped in -short mode")
			}
			dir := t.TempDir()
			rs := kind.start(t, dir)
			defer rs.admin.Close()
			fn(t, dir, rs)
		})
	}
}

func runbook(t *testing.T, dir string, rs runbookStore) {
	k1, k2 := filepath.Join(dir, "kek-1.key"), filepath.Join(dir, "kek-2.key")
	store, env, state, mnt := rs.url, rs.env, filepath.Join(dir, "state"), filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	for _, k := range []string{k1, k2} {
		if out, err := sealfs(t, nil, "keygen", k); err != nil {
			t.Fatal(err, out)
		}
	}
	files := map[string][]byte{}
	mountDaemon(t, env, store, mnt, "--key", k1, "--key-id", "1", "--state-dir", state)
	for i := range 40 {
		name := fmt.Sprintf("%02x/%02x/instance-%03d", i%4, i%3, i)
		data := bytes.Repeat([]byte(name), 1+i*97)
		os.MkdirAll(filepath.Dir(filepath.Join(mnt, name)), 0o755)
		if err := os.WriteFile(filepath.Join(mnt, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	os.Mkdir(filepath.Join(mnt, "empty-dir"), 0o755)
	if err := testenv.Unmount(mnt); err != nil {
		t.Fatal(err)
	}

	vstate := filepath.Join(dir, "verify-state")
	out, err := sealfs(t, env, "verify", "--key", k1, "--key-id", "1", "--state-dir", vstate, "--kek-usage", store)
	if err != nil || !strings.Contains(out, "verify: 40 objects") || !strings.Contains(out, "kek 1: 40 objects") {
		t.Fatalf("verify of good data: %v\n%s", err, out)
	}

	// One flipped byte: verify exits non-zero and names the file.
	restore := rs.flipByte(t, "01/01/instance-013")
	out, err = sealfs(t, env, "verify", "--key", k1, "--key-id", "1", "--state-dir", vstate, store)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(out, "FAILED 01/01/instance-013") || !strings.Contains(out, "verify: 1 failed: tampered") {
		t.Fatalf("verify with a flipped byte: %v\n%s", err, out)
	}
	restore()

	// Rotate while a mount (KEK 2 current, KEK 1 decrypt-only) writes.
	mountDaemon(t, env, store, mnt, "--key", k2, "--key-id", "2", "--previous-key", "1:"+k1, "--state-dir", state)
	// Overwriting a file whose object rotate has just replaced can fail
	// once with EIO: the mount refuses to replace a version it did not
	// read (its guard against other writers), and cannot tell a rewrap
	// from another writer. Nothing is lost; a retry after the attribute
	// and metadata timeouts (1 s, 2 s) succeeds. New files are never affected.
	var (
		wg           sync.WaitGroup
		stop         atomic.Bool
		mu           sync.Mutex
		written, eio int
	)
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			name := fmt.Sprintf("%02x/%02x/instance-%03d", i%4, i%3, i%40)
			if i%2 == 1 {
				name = fmt.Sprintf("new/during-rotate-%04d", i)
			}
			data := fmt.Appendf(nil, "written during rotate %d", i)
			path := filepath.Join(mnt, name)
			os.MkdirAll(filepath.Dir(path), 0o755)
			err := os.WriteFile(path, data, 0o644)
			if errors.Is(err, syscall.EIO) && i%2 == 0 {
				mu.Lock()
				eio++
				mu.Unlock()
				time.Sleep(3 * time.Second) // past the attribute and metadata timeouts
				err = os.WriteFile(path, data, 0o644)
			}
			if err != nil {
				log, _ := os.ReadFile(filepath.Join(state, "sealfs.log"))
				t.Errorf("write %s during rotate: %v\n%s", name, err, log)
				return
			}
			mu.Lock()
			files[name] = data
			written++
			mu.Unlock()
		}
	})
	rstate := filepath.Join(dir, "rotate-state")
	out, err = sealfs(t, env, "rotate", "--key", k2, "--key-id", "2", "--previous-key", "1:"+k1, "--state-dir", rstate, "--jobs", "4", store)
	if err != nil || !strings.Contains(out, "0 failed") {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	// verify only reads: it runs on the mounted store while it is written.
	vout, verr := sealfs(t, env, "verify", "--key", k2, "--key-id", "2", "--previous-key", "1:"+k1, "--state-dir", vstate, store)
	stop.Store(true)
	wg.Wait()
	if verr != nil || !strings.Contains(vout, " 0 failed") {
		t.Fatalf("verify of the mounted store: %v\n%s", verr, vout)
	}
	t.Logf("rotate with %d writes through the mount meanwhile (%d overwrites refused once with EIO, then retried):\n%s", written, eio, out)
	if err := testenv.Unmount(mnt); err != nil {
		t.Fatal(err)
	}

	// KEK 1 revoked, in a config file as an operator would write it.
	conf := filepath.Join(dir, "sealfs.json")
	os.WriteFile(conf, []byte(fmt.Sprintf(`{"store": %q, "state_dir": %q, "keys": [
		{"id": 2, "state": "current", "file": %q}, {"id": 1, "state": "revoked", "file": %q}]}`, store, vstate, k2, k1)), 0o600)
	out, err = sealfs(t, env, "verify", "--config", conf, "--kek-usage")
	if err != nil || strings.Contains(out, "kek 1:") || !strings.Contains(out, fmt.Sprintf("kek 2: %d objects", len(files))) {
		t.Fatalf("verify --kek-usage after rotate (%d files): %v\n%s", len(files), err, out)
	}

	// KEK 1 removed: every file reads back through a mount.
	mountDaemon(t, env, store, mnt, "--key", k2, "--key-id", "2", "--state-dir", state)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(mnt, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s through a mount with KEK 2 only: %v", name, err)
		}
	}
}

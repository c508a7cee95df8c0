package integration

import (
	"bytes"
	"errors"
	"fmt"
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
)

// mountDaemon mounts store at mnt with args (keys, state dir) and
// unmounts it when the test ends.
func mountDaemon(t *testing.T, store, mnt string, args ...string) {
	t.Helper()
	out, err := sealfs(t, nil, append(append([]string{"mount"}, args...), store, mnt)...)
	if err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	waitMounted(t, mnt)
	t.Cleanup(func() { testenv.Unmount(mnt) })
}

// The key rotation runbook end to end with the real binary on the local
// tier: files written through a mount under KEK 1 verify; a flipped byte
// makes verify fail naming the file; rotate to KEK 2 runs while a mount
// writes; verify --kek-usage then counts nothing under 1, and a mount
// without KEK 1 (and one with KEK 1 revoked) reads every file back.
func TestRotateVerifyRunbook(t *testing.T) {
	requireFUSE(t)
	dir := t.TempDir()
	k1, k2 := filepath.Join(dir, "kek-1.key"), filepath.Join(dir, "kek-2.key")
	store, state, mnt := filepath.Join(dir, "store"), filepath.Join(dir, "state"), filepath.Join(dir, "mnt")
	for _, d := range []string{store, mnt} {
		os.Mkdir(d, 0o755)
	}
	for _, k := range []string{k1, k2} {
		if out, err := sealfs(t, nil, "keygen", k); err != nil {
			t.Fatal(err, out)
		}
	}
	files := map[string][]byte{}
	mountDaemon(t, store, mnt, "--key", k1, "--key-id", "1", "--state-dir", state)
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
	out, err := sealfs(t, nil, "verify", "--key", k1, "--key-id", "1", "--state-dir", vstate, "--kek-usage", store)
	if err != nil || !strings.Contains(out, "verify: 40 objects") || !strings.Contains(out, "kek 1: 40 objects") {
		t.Fatalf("verify of good data: %v\n%s", err, out)
	}

	// One flipped byte: verify exits non-zero and names the file.
	victim := filepath.Join(store, "01", "01", "instance-013")
	orig, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(orig)
	bad[len(bad)/2] ^= 1
	os.WriteFile(victim, bad, 0o600)
	out, err = sealfs(t, nil, "verify", "--key", k1, "--key-id", "1", "--state-dir", vstate, store)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(out, "FAILED 01/01/instance-013") || !strings.Contains(out, "1 failed") {
		t.Fatalf("verify with a flipped byte: %v\n%s", err, out)
	}
	os.WriteFile(victim, orig, 0o600)

	// Rotate while a mount (KEK 2 current, KEK 1 decrypt-only) writes.
	mountDaemon(t, store, mnt, "--key", k2, "--key-id", "2", "--previous-key", "1:"+k1, "--state-dir", state)
	// Overwriting a file whose object rotate has just replaced can fail
	// once with EIO: the mount refuses to replace a version it did not
	// read (its guard against other writers), and cannot tell a rewrap
	// from another writer. Nothing is lost; a retry after the attribute
	// timeout (1 s) succeeds. New files are never affected.
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
				time.Sleep(1500 * time.Millisecond)
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
	out, err = sealfs(t, nil, "rotate", "--key", k2, "--key-id", "2", "--previous-key", "1:"+k1, "--state-dir", rstate, "--jobs", "4", store)
	if err != nil || !strings.Contains(out, "0 failed") {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	// verify only reads: it runs on the mounted store while it is written.
	vout, verr := sealfs(t, nil, "verify", "--key", k2, "--key-id", "2", "--previous-key", "1:"+k1, "--state-dir", vstate, store)
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
	out, err = sealfs(t, nil, "verify", "--config", conf, "--kek-usage")
	if err != nil || strings.Contains(out, "kek 1:") || !strings.Contains(out, fmt.Sprintf("kek 2: %d objects", len(files))) {
		t.Fatalf("verify --kek-usage after rotate (%d files): %v\n%s", len(files), err, out)
	}

	// KEK 1 removed: every file reads back through a mount.
	mountDaemon(t, store, mnt, "--key", k2, "--key-id", "2", "--state-dir", state)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(mnt, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s through a mount with KEK 2 only: %v", name, err)
		}
	}
}

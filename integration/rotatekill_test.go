package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
)

// sealObjects writes n small objects straight into a local-tier store with
// a volume file, under the KEK in keyFile (id 1), and returns the store.
func sealObjects(t *testing.T, dir, keyFile string, n int) string {
	t.Helper()
	ctx := context.Background()
	storeDir := filepath.Join(dir, "store")
	os.Mkdir(storeDir, 0o700)
	store, err := local.New(storeDir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	vol, err := fs.EnsureVolume(ctx, store, [16]byte{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.Load(ctx, []keyring.Spec{{ID: 1, State: keyring.Current, File: keyFile}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := fs.CheckVolumeKeys(ctx, store, &vol, ring); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		key := fmt.Sprintf("%02x/%02x/instance-%05d", i%16, i/16%16, i)
		up, err := store.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w, err := envelope.NewWriter(up, ring, envelope.Identity{Volume: vol.ID, Path: key}, envelope.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "instance %d", i)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	return storeDir
}

// A rotate killed with SIGKILL half way resumes from its checkpoint when
// run again, and leaves nothing under the old KEK.
func TestRotateSIGKILLResume(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := filepath.Join(dir, "kek-1.key"), filepath.Join(dir, "kek-2.key")
	for _, k := range []string{k1, k2} {
		if out, err := sealfs(t, nil, "keygen", k); err != nil {
			t.Fatal(err, out)
		}
	}
	const n = 3000
	store := sealObjects(t, dir, k1, n)
	state := filepath.Join(dir, "state")
	args := []string{"rotate", "--key", k2, "--key-id", "2", "--previous-key", "1:" + k1, "--state-dir", state, "--jobs", "1", "--checkpoint-interval", "20ms", store}

	cmd := exec.Command(testenv.SealfsBinary(t), args...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	checkpoint := filepath.Join(state, "rotate.checkpoint")
	deadline := time.After(2 * time.Minute)
wait:
	for {
		if _, err := os.Stat(checkpoint); err == nil {
			break
		}
		select {
		case err := <-exited:
			// Done (or failed) before its first checkpoint: nothing to
			// resume. Say what it printed.
			t.Fatalf("rotate ended (%v) before writing a checkpoint; make the store larger if it succeeded:\n%s", err, output.String())
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			t.Fatalf("no checkpoint within 2 minutes; rotate said:\n%s", output.String())
		case <-time.After(20 * time.Millisecond):
			continue wait
		}
	}
	cmd.Process.Kill()
	if err := <-exited; err == nil {
		t.Fatal("rotate finished before it could be killed; make the store larger")
	}

	out, err := sealfs(t, nil, args...)
	if err != nil || !strings.Contains(out, "resumed after") || !strings.Contains(out, fmt.Sprintf("rotate: %d objects", n)) {
		t.Fatalf("rotate after SIGKILL: %v\n%s", err, out)
	}
	t.Logf("rerun after SIGKILL:\n%s", out)
	out, err = sealfs(t, nil, "verify", "--key", k2, "--key-id", "2", "--state-dir", state, "--kek-usage", store)
	if err != nil || strings.Contains(out, "kek 1:") || !strings.Contains(out, fmt.Sprintf("kek 2: %d objects", n)) {
		t.Fatalf("verify after the resumed rotate: %v\n%s", err, out)
	}
}

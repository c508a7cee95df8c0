package gcs_test

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

const (
	// fakeGCSVersion is the fake-gcs-server release scripts/tools/fakegcs.sh installs.
	fakeGCSVersion = "v1.56.1"
	// fakeGCSEnv names the variable that may hold the server binary's path.
	fakeGCSEnv = "SEALFS_FAKEGCS"
	// readyWait bounds the wait for the server to answer.
	readyWait = 30 * time.Second
)

// fakeGCSBinary finds fake-gcs-server through SEALFS_FAKEGCS, PATH, then
// the tools cache, and reports what it tried when it finds nothing.
func fakeGCSBinary() (string, string) {
	if path := os.Getenv(fakeGCSEnv); path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fakeGCSEnv + "=" + path + ": " + err.Error()
		}
		return path, ""
	}
	if path, err := exec.LookPath("fake-gcs-server"); err == nil {
		return path, ""
	}
	dir := os.Getenv("SEALFS_TOOLS_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "sealfs-tools")
	}
	cached := filepath.Join(dir, "fakegcs-"+fakeGCSVersion, "fake-gcs-server")
	if _, err := os.Stat(cached); err != nil {
		return "", "not in $" + fakeGCSEnv + ", PATH or " + cached + " (run scripts/test.sh to build it)"
	}
	return cached, ""
}

// fakeGCS is a running fake-gcs-server.
type fakeGCS struct {
	// Addr is the server's host:port on 127.0.0.1.
	Addr string
}

// Storage backends of fake-gcs-server. The filesystem backend does not
// store objects whose names end in "/" (directory markers: its fs.go
// treats them as "only creates directories") and cannot hold both "a" and
// "a/b"; the conformance suite therefore runs on the memory backend.
const (
	filesystemBackend = "filesystem"
	memoryBackend     = "memory"
)

// startFakeGCS starts fake-gcs-server on a free port of 127.0.0.1 with
// the given storage backend (the filesystem one in a temporary
// directory), waits until it answers, and stops it when the test ends.
func startFakeGCS(t testing.TB, backend string) *fakeGCS {
	t.Helper()
	bin, why := fakeGCSBinary()
	testenv.Require(t, "fake-gcs-server", bin != "", why)
	port := testenv.FreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin,
		"-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port),
		"-backend", backend, "-filesystem-root", t.TempDir(),
		"-public-host", addr, "-external-url", "http://"+addr, "-log-level", "error")
	var output lockedBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	if err := waitReady(addr, exited); err != nil {
		t.Fatalf("fake-gcs-server on %s: %v\n%s", addr, err, output.String())
	}
	return &fakeGCS{Addr: addr}
}

// waitReady polls the server's bucket list until it answers 200, the
// process exits, or readyWait passes.
func waitReady(addr string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyWait)
	for {
		resp, err := client.Get("http://" + addr + "/storage/v1/b")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return errors.Join(errors.New("exited before answering"), err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("not ready after " + readyWait.String())
		}
	}
}

// lockedBuffer collects a child process's output safely.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package s3

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// minioReadyTimeout bounds the wait for a started MinIO to answer.
const minioReadyTimeout = 60 * time.Second

// minioServer is a MinIO process serving a temporary directory on
// 127.0.0.1, owned by one test.
type minioServer struct {
	binary   string
	dataDir  string
	port     int
	user     string
	password string

	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
}

// findMinIO returns the MinIO binary: $SEALFS_MINIO, else minio on PATH,
// else the newest build in the tools cache of scripts/tools/minio.sh.
func findMinIO() (string, bool) {
	if path := os.Getenv("SEALFS_MINIO"); path != "" {
		_, err := os.Stat(path)
		return path, err == nil
	}
	if path, err := exec.LookPath("minio"); err == nil {
		return path, true
	}
	dir := os.Getenv("SEALFS_TOOLS_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".cache", "sealfs-tools")
	}
	found, _ := filepath.Glob(filepath.Join(dir, "minio-*", "minio"))
	if len(found) == 0 {
		return "", false
	}
	slices.Sort(found)
	return found[len(found)-1], true
}

// startMinIO starts MinIO on a free port with fresh credentials and data
// directory, waits until it is ready and stops it when the test ends. It
// skips the test (fails it under CI=true) when MinIO is not installed.
func startMinIO(t testing.TB) *minioServer {
	t.Helper()
	binary, ok := findMinIO()
	testenv.Require(t, "minio", ok, "set SEALFS_MINIO, put minio on PATH or run scripts/test.sh to build it")
	t.Setenv("AWS_CA_BUNDLE", "") // see /work/shared/INFRA.md
	m := &minioServer{
		binary:   binary,
		dataDir:  t.TempDir(),
		port:     testenv.FreePort(t),
		user:     "test-" + crand.Text()[:10],
		password: crand.Text(),
	}
	m.start(t)
	t.Cleanup(func() { m.stop(t) })
	return m
}

// endpoint returns MinIO's S3 URL.
func (m *minioServer) endpoint() string {
	return "http://127.0.0.1:" + strconv.Itoa(m.port)
}

// config returns a Config for bucket on this server, spooling to a
// temporary directory.
func (m *minioServer) config(t testing.TB, bucket, prefix string) Config {
	return Config{
		Bucket:    bucket,
		Prefix:    prefix,
		Endpoint:  m.endpoint(),
		AccessKey: m.user,
		SecretKey: m.password,
		PathStyle: true,
		SpoolDir:  t.TempDir(),
	}
}

// start runs MinIO (again, after stop: same port and data) and waits
// until it reports ready.
func (m *minioServer) start(t testing.TB) {
	t.Helper()
	console := testenv.FreePort(t)
	m.cmd = exec.Command(m.binary, "server", m.dataDir,
		"--address", "127.0.0.1:"+strconv.Itoa(m.port),
		"--console-address", "127.0.0.1:"+strconv.Itoa(console),
		"--quiet")
	m.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.user,
		"MINIO_ROOT_PASSWORD="+m.password,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	m.output = &syncBuffer{}
	m.cmd.Stdout, m.cmd.Stderr = m.output, m.output
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	m.exited = make(chan struct{})
	go func() {
		_ = m.cmd.Wait()
		close(m.exited)
	}()
	if err := m.waitReady(t.Context()); err != nil {
		m.stop(t)
		t.Fatalf("minio (%s) not ready: %v\noutput:\n%s", m.binary, err, m.output.String())
	}
}

// waitReady polls MinIO until its readiness endpoint answers 200 and its
// S3 API stops answering 503 (it does for a moment after reporting ready).
func (m *minioServer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, minioReadyTimeout)
	defer cancel()
	for {
		if m.answers(ctx, "/minio/health/ready", http.StatusOK) && m.answers(ctx, "/", http.StatusForbidden) {
			return nil
		}
		select {
		case <-m.exited:
			return fmt.Errorf("minio exited: %v", m.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// answers reports whether GET path answers with status (an anonymous
// request to "/" gets 403 once the S3 API is up).
func (m *minioServer) answers(ctx context.Context, path string, status int) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.endpoint()+path, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == status
}

// stop kills MinIO and waits for it to exit. Stopping a stopped server
// does nothing.
func (m *minioServer) stop(t testing.TB) {
	t.Helper()
	select {
	case <-m.exited:
		return
	default:
	}
	if err := m.cmd.Process.Kill(); err != nil {
		t.Errorf("kill minio: %v", err)
	}
	<-m.exited
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

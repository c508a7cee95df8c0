package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	sealfs "github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/retry"
	"github.com/sealfs/sealfs/remote/s3"
)

// The timeouts of the mounts under test: short, so that each failure
// surfaces within seconds (the defaults are 30 s per request and 5
// attempts, 100 ms..5 s apart).
const (
	requestTimeout = 2 * time.Second
	bucket         = "sealfs"
	prefix         = "vol"
)

// retryPolicy is the fast policy of the mounts under test; Logger is set
// per mount.
var retryPolicy = retry.Policy{Attempts: 4, BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond}

// retryMessage is what remote/retry logs for each retried failure.
const retryMessage = `msg="store unavailable, retrying"`

// rig is one test's world: MinIO, optionally Toxiproxy in front of it, and
// the sealfs mount under test.
type rig struct {
	t      *testing.T
	minio  *testenv.MinIO
	proxy  *testenv.Proxy // nil when the mount talks to MinIO directly
	volume [16]byte
	kek    []byte
	logs   *logBuffer // the mount's logs: retries and errors
	mount  *mount
}

// newRig starts MinIO, creates the bucket, puts Toxiproxy in front of it
// when viaProxy is set, and mounts sealfs through the proxy (or directly).
func newRig(t *testing.T, viaProxy bool) *rig {
	t.Helper()
	requireFUSE(t)
	r := &rig{t: t, minio: testenv.StartMinIO(t), kek: make([]byte, 32), logs: &logBuffer{}}
	rand.Read(r.kek)
	rand.Read(r.volume[:])
	t.Cleanup(func() { clear(r.kek) })
	createBucket(t, r.minio)
	endpoint := r.minio.Endpoint
	if viaProxy {
		tp := testenv.StartToxiproxy(t)
		r.proxy = tp.Proxy(t, "minio", strings.TrimPrefix(r.minio.Endpoint, "http://"))
		endpoint = "http://" + r.proxy.Listen
	}
	t.Cleanup(func() { // runs after the unmount, so its failure shows the log too
		if t.Failed() {
			t.Logf("mount log (tail):\n%s", r.logs.tail(16<<10))
		}
	})
	r.mount = r.mountAt(endpoint, r.logs)
	return r
}

func requireFUSE(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("fusermount3")
	testenv.Require(t, "fusermount3 (apt-get install fuse3)", err == nil || os.Geteuid() == 0, "FUSE mounts need fusermount3 or root")
	_, err = os.Stat("/dev/fuse")
	testenv.Require(t, "/dev/fuse", err == nil, "the kernel's FUSE device is missing")
}

// createBucket creates the test's bucket once MinIO serves requests.
func createBucket(t *testing.T, m *testenv.MinIO) {
	t.Helper()
	awaitBucket(t, m, true)
}

// awaitBucket waits until MinIO answers for the bucket (creating it if
// create is set): MinIO reports itself ready a moment before it stops
// answering 503 Service Unavailable. It gives up after readyAttempts.
func awaitBucket(t *testing.T, m *testenv.MinIO, create bool) {
	t.Helper()
	const readyAttempts = 100
	var err error
	for range readyAttempts {
		var s *s3.Store
		s, err = s3.New(context.Background(), s3.Config{Bucket: bucket, Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey,
			PathStyle: true, CreateBucket: create, SpoolDir: t.TempDir(), RequestTimeout: requestTimeout})
		if err == nil {
			s.Close()
			return
		}
		if !errors.Is(err, remote.ErrUnavailable) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("MinIO does not serve bucket %s: %v", bucket, err)
}

// mount is one in-process sealfs mount with its own, fresh state directory.
type mount struct {
	dir    string
	server *fuse.Server
	ring   *keyring.Keyring
	store  remote.Store
	once   sync.Once
}

// mountAt mounts the test's volume over the S3 endpoint with an empty
// state directory, logging into logs; it is unmounted when the test ends.
func (r *rig) mountAt(endpoint string, logs *logBuffer) *mount {
	t := r.t
	t.Helper()
	base := t.TempDir()
	m := &mount{dir: filepath.Join(base, "mnt")}
	state := filepath.Join(base, "state")
	for _, d := range []string{m.dir, state} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	m.store, m.ring = r.openStore(endpoint, state, logger)
	var err error
	m.server, err = sealfs.Mount(m.dir, sealfs.Options{
		Store:      m.store,
		Keyring:    m.ring,
		Volume:     r.volume,
		StagingDir: filepath.Join(state, "staging"),
		PendingDir: filepath.Join(state, "pending"),
		SpoolDir:   filepath.Join(state, "spool"),
		Logger:     logger,
	}, sealfs.MountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.unmount(t) })
	return m
}

// openStore opens the test's bucket at endpoint (with the mount
// command's retry policy, spooling under spool) and the test's keyring,
// both logging to logger.
func (r *rig) openStore(endpoint, spool string, logger *slog.Logger) (remote.Store, *keyring.Keyring) {
	t := r.t
	t.Helper()
	inner, err := s3.New(context.Background(), s3.Config{Bucket: bucket, Prefix: prefix, Endpoint: endpoint,
		AccessKey: r.minio.AccessKey, SecretKey: r.minio.SecretKey, PathStyle: true,
		SpoolDir: spool, RequestTimeout: requestTimeout, Logger: logger})
	if err != nil {
		t.Fatalf("open store at %s: %v", endpoint, err)
	}
	policy := retryPolicy
	policy.Logger = logger
	kek, err := keyring.NewKEK(1, keyring.Current, r.kek, "test")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.New(keyring.SlogAuditor{Logger: logger}, kek)
	if err != nil {
		t.Fatal(err)
	}
	return retry.Wrap(inner, policy), ring
}

func (m *mount) unmount(t *testing.T) {
	m.once.Do(func() {
		if err := testenv.UnmountServer(m.server, m.dir); err != nil {
			t.Errorf("unmount %s: %v", m.dir, err)
		}
		m.ring.Close()
		m.store.Close()
	})
}

// freshMount mounts the volume again, straight to MinIO (no proxy), with
// an empty state directory: what it reads is what the store holds.
func (r *rig) freshMount() *mount {
	return r.mountAt(r.minio.Endpoint, &logBuffer{})
}

// logBuffer collects a mount's logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many times sub occurs in the log so far.
func (b *logBuffer) count(sub string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Count(b.buf.Bytes(), []byte(sub))
}

// tail returns the last n bytes of the log.
func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.buf.Bytes()
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

// writePhase writes n new attachments through the mount under test and
// logs what happened, with the number of retries logged meanwhile.
func (r *rig) writePhase(phase string, n, workers int) []outcome {
	r.t.Helper()
	before := r.logs.count(retryMessage)
	out := writeMany(r.t, r.mount.dir, n, workers)
	report(r.t, phase, out, r.logs.count(retryMessage)-before)
	return out
}

// checkStoredEverywhere checks every successful write through the mount
// under test and through a fresh mount straight to MinIO.
func (r *rig) checkStoredEverywhere(outcomes []outcome) {
	r.t.Helper()
	checkStored(r.t, r.mount.dir, outcomes)
	checkStored(r.t, r.freshMount().dir, outcomes)
}

// requireAllStored fails the test now if any write of the phase failed.
func requireAllStored(t *testing.T, phase string, outcomes []outcome) {
	t.Helper()
	for _, o := range outcomes {
		if !o.ok() {
			t.Errorf("%s: write of %s failed at %s: %v", phase, o.rel, o.step, o.err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

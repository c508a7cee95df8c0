package fs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/sealfs/sealfs/cache"
	"github.com/sealfs/sealfs/cache/budget"
	"github.com/sealfs/sealfs/envelope"
	sealfs "github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// testMount is one in-process sealfs mount over a local store.
type testMount struct {
	t         *testing.T
	mnt       string
	storeDir  string
	stateDir  string
	ring      *keyring.Keyring
	volume    [16]byte
	server    *fuse.Server
	events    *eventLog
	logs      *syncWriter
	chunkSize int
	kek       []byte
	kind      string              // store kind: local, s3, gcs, azure
	openStore func() remote.Store // opens another handle on the test's store
	admin     remote.Store        // the test's own handle, behind the mount's back
	verifyMax int64               // Options.VerifyOpenMax; 0 = default
	budget    *budget.Budget
	meta      *cache.Meta
	writeBack *sealfs.WriteBack // set before mount for a write-back mount
	markers   *sealfs.DirMarkers
	// markerDelay is the lazy marker delay on object stores (0: the default).
	markerDelay time.Duration
	unmounted   bool
	// tweak, if set, adjusts the options of every mount; mountOpts are
	// its kernel-facing options.
	tweak     func(*sealfs.Options)
	mountOpts sealfs.MountOptions
}

// eventLog collects audit events.
type eventLog struct {
	mu     sync.Mutex
	events []keyring.Event
}

func (l *eventLog) Audit(e keyring.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) count(kind keyring.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestMain runs the tests, or the body of a helper process that a test
// started from this binary.
func TestMain(m *testing.M) {
	if spec, ok := os.LookupEnv("SEALFS_MAPPER"); ok {
		if err := runMapper(spec); err != nil {
			fmt.Fprintln(os.Stderr, "mapper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func requireFUSE(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("fusermount3")
	testenv.Require(t, "fusermount3 (apt-get install fuse3)", err == nil || os.Geteuid() == 0, "FUSE mounts need fusermount3 or root")
	_, err = os.Stat("/dev/fuse")
	testenv.Require(t, "/dev/fuse", err == nil, "the kernel's FUSE device is missing")
}

// newMount mounts a fresh local-tier store. chunkSize 0 means the default.
func newMount(t *testing.T, chunkSize int) *testMount {
	return newMountOn(t, storeKinds[0], chunkSize)
}

// newMountOn mounts a fresh store of the given kind.
func newMountOn(t *testing.T, kind storeKind, chunkSize int) *testMount {
	t.Helper()
	requireFUSE(t)
	base := t.TempDir()
	m := &testMount{t: t, kind: kind.name, mnt: filepath.Join(base, "mnt"), storeDir: filepath.Join(base, "store"), stateDir: filepath.Join(base, "state"), chunkSize: chunkSize, kek: bytes.Repeat([]byte{0x42}, 32)}
	mkdirs(t, m.mnt, m.stateDir)
	m.openStore = kind.start(t, base)
	m.admin = m.openStore()
	t.Cleanup(func() { m.admin.Close() })
	rand.Read(m.volume[:])
	m.mount()
	return m
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

func (m *testMount) mount() {
	t := m.t
	t.Helper()
	m.events = &eventLog{}
	kek, err := keyring.NewKEK(1, keyring.Current, m.kek, "test")
	if err != nil {
		t.Fatal(err)
	}
	m.ring, err = keyring.New(m.events, kek)
	if err != nil {
		t.Fatal(err)
	}
	store := m.openStore()
	m.meta, err = cache.OpenMeta(filepath.Join(m.stateDir, "meta"), m.ring, cache.MetaOptions{})
	if err == nil {
		err = m.meta.Clear() // as the mount command does
	}
	if err != nil {
		t.Fatal(err)
	}
	m.logs = &syncWriter{w: &bytes.Buffer{}}
	m.markers = nil
	if m.kind != "local" {
		m.markers = sealfs.NewDirMarkers(m.markerDelay) // as the mount command does
	}
	opts := sealfs.Options{
		Store:         store,
		Keyring:       m.ring,
		Volume:        m.volume,
		ChunkSize:     m.chunkSize,
		StagingDir:    filepath.Join(m.stateDir, "staging"),
		PendingDir:    filepath.Join(m.stateDir, "pending"),
		WriteBack:     m.writeBack,
		DirMarkers:    m.markers,
		SpoolDir:      filepath.Join(m.stateDir, "spool"),
		VerifyOpenMax: m.verifyMax,
		Budget:        m.budget,
		CommitBuffer:  1 << 20,
		Meta:          m.meta,
		ListLookups:   m.kind != "local",
		Logger:        slog.New(slog.NewTextHandler(m.logs, nil)),
	}
	if m.tweak != nil {
		m.tweak(&opts)
	}
	m.server, err = sealfs.Mount(m.mnt, opts, m.mountOpts)
	if err != nil {
		t.Fatal(err)
	}
	m.unmounted = false
	t.Cleanup(m.unmount)
}

func (m *testMount) unmount() {
	if m.unmounted {
		return
	}
	m.unmounted = true
	if err := testenv.UnmountServer(m.server, m.mnt); err != nil {
		m.t.Errorf("unmount: %v", err)
	}
	if m.markers != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := m.markers.Drain(ctx); err != nil {
			m.t.Errorf("directory markers drain: %v", err)
		}
		cancel()
	}
	if m.writeBack != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := m.writeBack.Drain(ctx); err != nil {
			m.t.Errorf("write-back drain: %v", err)
		}
		cancel()
		m.writeBack = nil
	}
	m.meta.Close()
	m.ring.Close()
}

// remount unmounts and mounts the same store again (cold caches).
func (m *testMount) remount() {
	m.unmount()
	m.mount()
}

func (m *testMount) path(rel string) string { return filepath.Join(m.mnt, rel) }

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

// contains reports whether the log so far contains s.
func (s *syncWriter) contains(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Contains(s.w.Bytes(), []byte(sub))
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

func ciphertextSize(plain int64, chunk int) int64 {
	if chunk == 0 {
		chunk = envelope.DefaultChunkSize
	}
	return envelope.CiphertextSize(plain, chunk)
}

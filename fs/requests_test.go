package fs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/s3"
)

// requestCounter is a reverse proxy in front of MinIO that counts the
// requests the mount sends, by kind (LIST, HEAD, GET, PUT, DELETE, POST).
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// take returns the counts so far and starts again from zero.
func (c *requestCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.counts
	c.counts = map[string]int{}
	return got
}

func requestKind(r *http.Request) string {
	if r.Method == http.MethodGet && r.URL.Query().Has("list-type") {
		return "LIST"
	}
	return r.Method
}

// startCountingProxy forwards to target and counts what passes.
func startCountingProxy(t *testing.T, target string) (*requestCounter, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &requestCounter{counts: map[string]int{}}
	forward := httputil.NewSingleHostReverseProxy(u)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.counts[requestKind(r)]++
		c.mu.Unlock()
		forward.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return c, "http://" + l.Addr().String()
}

// countedS3 is the s3 store kind with every request of the mount (and of
// the admin handle) counted by the returned counter.
func countedS3(counter **requestCounter) storeKind {
	return storeKind{"s3", func(t *testing.T, base string) func() remote.Store {
		m := testenv.StartMinIO(t)
		c, endpoint := startCountingProxy(t, m.Endpoint)
		*counter = c
		create := true
		return func() remote.Store {
			cfg := s3.Config{Bucket: "sealfs", Prefix: "vol", Endpoint: endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey,
				PathStyle: true, CreateBucket: create, SpoolDir: spoolDir(t, base)}
			create = false
			s, err := s3.New(context.Background(), cfg)
			return checked(t, s, err)
		}
	}}
}

// orthancName returns a random xx/yy/uuid path, as Orthanc names files.
func orthancName() string {
	var b [16]byte
	rand.Read(b[:])
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	return filepath.Join(id[0:2], id[2:4], id)
}

// orthancStore writes one file as Orthanc does: stat, mkdir of the missing
// parents, create, 4 KiB writes, fdatasync, close.
func orthancStore(t *testing.T, root, name string, data []byte) {
	t.Helper()
	path := filepath.Join(root, name)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat %s before writing: %v", name, err)
	}
	yy := filepath.Dir(path)
	if _, err := os.Stat(yy); errors.Is(err, os.ErrNotExist) {
		for _, d := range []string{filepath.Dir(yy), yy} {
			if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				t.Fatal(err)
			}
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 4096 {
		if _, err := f.Write(data[off:min(off+4096, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		t.Fatalf("fdatasync %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// orthancRemove deletes one file as Orthanc does: unlink, then rmdir of
// yy and xx, stopping at the first that is not empty.
func orthancRemove(t *testing.T, root, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(root, name)); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(name), filepath.Dir(filepath.Dir(name))} {
		err := syscall.Rmdir(filepath.Join(root, d))
		if errors.Is(err, syscall.ENOTEMPTY) {
			break
		}
		if err != nil {
			t.Fatalf("rmdir %s: %v", d, err)
		}
	}
}

// The Orthanc pattern on S3 costs one PUT per stored file and nothing else
// on its path (the top-level listing aside, once per listing TTL); a cold
// read costs one listing and one GET; a delete one DELETE and a listing
// per directory checked. Counted at the HTTP level, through a proxy.
func TestOrthancRequestsS3(t *testing.T) {
	if testing.Short() {
		t.Skip("cloud stores: skipped in -short mode")
	}
	var counter *requestCounter
	m := newMountOn(t, countedS3(&counter), 0)
	const files = 20
	names := make([]string, files)
	data := randomBytes(50_000)
	for i := range names {
		names[i] = orthancName()
	}

	counter.take()
	for _, name := range names {
		orthancStore(t, m.mnt, name, data)
	}
	got := counter.take()
	t.Logf("write, %d files: %v", files, got)
	if got["PUT"] != files || got["HEAD"] != 0 || got["GET"] != 0 || got["DELETE"] != 0 || got["LIST"] > 3 {
		t.Errorf("writing %d files sent %v; want %d PUT, at most 3 LIST (the top level), nothing else", files, got, files)
	}

	m.remount() // empty metadata and ciphertext caches
	counter.take()
	for _, name := range names {
		if got := mustRead(t, m.path(name)); !bytes.Equal(got, data) {
			t.Fatalf("%s: read back %d bytes, not what was written", name, len(got))
		}
	}
	got = counter.take()
	t.Logf("cold read, %d files: %v", files, got)
	if got["GET"] != files || got["HEAD"] != 0 || got["PUT"] != 0 || got["LIST"] > files+3 {
		t.Errorf("reading %d files cold sent %v; want %d GET, at most %d LIST, nothing else", files, got, files, files+3)
	}

	m.remount()
	counter.take()
	for _, name := range names {
		orthancRemove(t, m.mnt, name)
	}
	got = counter.take()
	t.Logf("delete, %d files: %v", files, got)
	if got["DELETE"] != files || got["HEAD"] != 0 || got["PUT"] != 0 || got["LIST"] > 3*files+3 {
		t.Errorf("deleting %d files sent %v; want %d DELETE (no markers to delete), at most %d LIST, nothing else", files, got, files, 3*files+3)
	}
	if keys := m.objectKeys(); len(keys) != 0 {
		t.Errorf("left in the store after deleting everything: %v", keys)
	}
}

// An open within the metadata TTL sends no stat; if another mount replaced
// the object since the lookup, the pinned read fails and the open reads
// the new version: never the old bytes, never an error.
func TestOpenAfterReplacementWithinTTL(t *testing.T) {
	forEachObjectStore(t, func(t *testing.T, kind storeKind) {
		a := newMountOn(t, kind, 0)
		b := a.second()
		v1, v2 := randomBytes(10_000), randomBytes(20_000)
		writeFile(t, a.path("f"), v1)
		a.remount()
		if st, err := os.Stat(a.path("f")); err != nil || st.Size() != int64(len(v1)) {
			t.Fatalf("stat on A: %v, %v", st, err)
		}
		writeFile(t, b.path("f"), v2)
		got, err := os.ReadFile(a.path("f"))
		if err != nil {
			t.Fatalf("read on A after B replaced the file: %v", err)
		}
		if string(got) != string(v2) {
			t.Fatalf("read on A: %d bytes, want B's %d (the old version was %d)", len(got), len(v2), len(v1))
		}
	})
}

package gcs_test

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/gcs"
)

// countingProxy forwards requests to a server and records their methods and paths.
type countingProxy struct {
	mu       sync.Mutex
	requests []string
}

// start serves the proxy on 127.0.0.1 until the test ends and returns its address.
func (p *countingProxy) start(t *testing.T, target string) string {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: target}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		p.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// take returns the requests recorded since the last call and forgets them.
func (p *countingProxy) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.requests
	p.requests = nil
	return r
}

// TestRequestCounts checks how many requests each operation costs: one
// multipart upload for a commit up to 16 MiB (the 537,600-byte object is
// a typical sealed DICOM instance), a resumable session above (whose
// chunks go to the session URL the server returns, which bypasses the
// proxy), one request per Open and per ReadAt.
func TestRequestCounts(t *testing.T) {
	server := startFakeGCS(t, memoryBackend)
	var proxy countingProxy
	addr := proxy.start(t, server.Addr)
	s, err := gcs.New(t.Context(), gcs.Config{Bucket: testBucket, Endpoint: addr, CreateBucket: true, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Close()
	proxy.take()
	tests := []struct {
		size       int
		uploadType string
	}{
		{537600, "uploadType=multipart"},
		{16 << 20, "uploadType=multipart"},
		{16<<20 + 1, "uploadType=resumable"},
	}
	for _, tt := range tests {
		data := bytes.Repeat([]byte{0xa5}, tt.size)
		up, err := s.Create(t.Context(), "count/obj")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := up.Write(data); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if _, err := up.Commit(t.Context(), remote.Condition{}); err != nil {
			t.Fatalf("Commit of %d bytes: %v", tt.size, err)
		}
		if reqs := proxy.take(); len(reqs) != 1 || !strings.Contains(reqs[0], tt.uploadType) {
			t.Errorf("Commit of %d bytes sent %d requests %q, want one with %s", tt.size, len(reqs), reqs, tt.uploadType)
		}
	}
	obj, err := s.Open(t.Context(), "count/obj", "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	if reqs := proxy.take(); len(reqs) != 1 {
		t.Errorf("Open took %d requests %q, want 1", len(reqs), reqs)
	}
	buf := make([]byte, 4096)
	if _, err := obj.ReadAt(buf, 1<<20); err != nil {
		t.Fatalf("ReadAt: %v", err)
	}
	if reqs := proxy.take(); len(reqs) != 1 {
		t.Errorf("ReadAt took %d requests %q, want 1", len(reqs), reqs)
	}
}

// TestUnreachable checks that a server that refuses connections yields
// remote.ErrUnavailable, from New and from every operation.
func TestUnreachable(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testenv.FreePort(t))) // closed again: nothing listens
	_, err := gcs.New(t.Context(), gcs.Config{Bucket: testBucket, Endpoint: addr, SpoolDir: t.TempDir()})
	if !errors.Is(err, remote.ErrUnavailable) {
		t.Fatalf("New against a closed port: %v, want ErrUnavailable", err)
	}
}

// TestMissingBucket checks that New names a missing bucket and does not create it.
func TestMissingBucket(t *testing.T) {
	server := startFakeGCS(t, memoryBackend)
	cfg := gcs.Config{Bucket: "no-such-bucket", Endpoint: server.Addr, SpoolDir: t.TempDir()}
	_, err := gcs.New(t.Context(), cfg)
	if !errors.Is(err, remote.ErrNotFound) || !bytes.Contains([]byte(err.Error()), []byte(`"no-such-bucket"`)) {
		t.Fatalf("New with a missing bucket: %v, want ErrNotFound naming the bucket", err)
	}
	if _, err := gcs.New(t.Context(), cfg); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("second New with a missing bucket: %v, want ErrNotFound (the first must not create it)", err)
	}
}

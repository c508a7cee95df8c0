package s3

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// losingProxy returns the URL of a proxy to m that, while armed, passes
// one commit request (PutObject or CompleteMultipartUpload) to MinIO and
// then closes the connection instead of answering: a lost answer.
func losingProxy(t *testing.T, m *minioServer, armed *atomic.Bool) string {
	t.Helper()
	target, err := url.Parse(m.endpoint())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isCommit := r.Method == http.MethodPut && strings.Contains(r.URL.RawQuery, "x-id=PutObject") ||
			r.Method == http.MethodPost && strings.Contains(r.URL.RawQuery, "uploadId=")
		if !isCommit || !armed.CompareAndSwap(true, false) {
			proxy.ServeHTTP(w, r)
			return
		}
		proxy.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestLostCommitAnswer checks Commit again after a commit whose answer
// was lost: it reports success if the lost attempt committed these bytes
// (instead of the condition now failing against them), and still fails
// if someone else wrote since.
func TestLostCommitAnswer(t *testing.T) {
	m := startMinIO(t)
	var armed atomic.Bool
	cfg := m.config(t, testBucket, "lost")
	cfg.Endpoint = losingProxy(t, m, &armed)
	cfg.CreateBucket = true
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Close()
	s.singlePutMax, s.partSize = minPartSize, minPartSize
	small, large := bytes.Repeat([]byte("s"), 100<<10), bytes.Repeat([]byte("L"), 2*minPartSize+5)
	old := mustPut(t, s, "lost/existing", []byte("old"))
	tests := []struct {
		name        string
		key         string
		data        []byte
		cond        remote.Condition
		interloper  bool // another writer replaces the object before the retry
		wantSuccess bool
	}{
		{"single IfAbsent", "lost/a", small, remote.Condition{IfAbsent: true}, false, true},
		{"multipart IfAbsent", "lost/b", large, remote.Condition{IfAbsent: true}, false, true},
		{"single IfMatch", "lost/existing", small, remote.Condition{IfMatch: old.Version}, false, true},
		{"single IfAbsent, then overwritten", "lost/c", small, remote.Condition{IfAbsent: true}, true, false},
	}
	for _, tt := range tests {
		up, err := s.Create(t.Context(), tt.key)
		if err != nil {
			t.Fatalf("%s: Create: %v", tt.name, err)
		}
		if _, err := up.Write(tt.data); err != nil {
			t.Fatalf("%s: Write: %v", tt.name, err)
		}
		armed.Store(true)
		if _, err := up.Commit(t.Context(), tt.cond); !errors.Is(err, remote.ErrUnavailable) {
			t.Fatalf("%s: Commit with its answer lost: got %v, want ErrUnavailable", tt.name, err)
		}
		want := tt.data
		if tt.interloper {
			want = []byte("interloper")
			mustPut(t, s, tt.key, want)
		}
		info, err := up.Commit(t.Context(), tt.cond)
		switch {
		case tt.wantSuccess && err != nil:
			t.Errorf("%s: Commit again: %v, want success", tt.name, err)
		case tt.wantSuccess && info.Size != int64(len(tt.data)):
			t.Errorf("%s: Commit again: Info %+v", tt.name, info)
		case !tt.wantSuccess && !errors.Is(err, remote.ErrPreconditionFailed):
			t.Errorf("%s: Commit again: got %v, want ErrPreconditionFailed", tt.name, err)
		}
		if got := mustRead(t, s, tt.key); !bytes.Equal(got, want) {
			t.Errorf("%s: content afterwards is wrong (%d bytes)", tt.name, len(got))
		}
		up.Abort()
	}
}

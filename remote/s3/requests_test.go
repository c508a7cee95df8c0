package s3

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// requestLog records the requests a reverse proxy passes to MinIO.
type requestLog struct {
	mu   sync.Mutex
	reqs []string

	// lateParts, if set, holds every UploadPart answer this long in the
	// proxy, and loses it (502) if the server was stopped meanwhile: the
	// window in which a part is stored but the store has not heard so.
	lateParts time.Duration
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.RawQuery)
}

// take returns and forgets the requests recorded so far.
func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	reqs := l.reqs
	l.reqs = nil
	return reqs
}

// countingProxy returns the URL of a proxy to m that records every request in log.
func countingProxy(t *testing.T, m *minioServer, log *requestLog) string {
	t.Helper()
	target, err := url.Parse(m.endpoint())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	if log.lateParts > 0 {
		proxy.ModifyResponse = func(resp *http.Response) error {
			if !strings.Contains(resp.Request.URL.RawQuery, "x-id=UploadPart") {
				return nil
			}
			time.Sleep(log.lateParts)
			select {
			case <-m.exited:
				return errors.New("the server stopped before answering")
			default:
				return nil
			}
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRequestCounts checks how many requests each operation costs: a put
// of a typical DICOM object is one PutObject, a whole read one HEAD and
// one GET.
func TestRequestCounts(t *testing.T) {
	m := startMinIO(t)
	var log requestLog
	cfg := m.config(t, testBucket, "counts")
	cfg.Endpoint = countingProxy(t, m, &log)
	cfg.CreateBucket = true
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Close()
	const size = 537600
	data := bytes.Repeat([]byte("sealfs"), size/6)
	log.take()

	tests := []struct {
		name string
		run  func() error
		want int
	}{
		{"put 537600 bytes IfAbsent", func() error {
			_, err := put(t, s, "aa/bb/obj.dcm", data, remote.Condition{IfAbsent: true})
			return err
		}, 1},
		{"stat", func() error { _, err := s.Stat(t.Context(), "aa/bb/obj.dcm"); return err }, 1},
		{"open and read whole", func() error {
			got := mustRead(t, s, "aa/bb/obj.dcm")
			if !bytes.Equal(got, data) {
				t.Error("read back different bytes")
			}
			return nil
		}, 2},
		{"delete", func() error { return s.Delete(t.Context(), "aa/bb/obj.dcm", remote.Condition{}) }, 1},
	}
	for _, tt := range tests {
		if err := tt.run(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if reqs := log.take(); len(reqs) != tt.want {
			t.Errorf("%s: %d requests %q, want %d", tt.name, len(reqs), reqs, tt.want)
		} else {
			t.Logf("%s: %d request(s) %q", tt.name, len(reqs), reqs)
		}
	}
}

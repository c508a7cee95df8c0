package s3

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// bodyProxy returns the URL of a proxy to m that records the payload
// headers of PUT requests and, while armed, flips one bit in the body of
// the next PUT.
func bodyProxy(t *testing.T, m *minioServer, headers *[]http.Header, mu *sync.Mutex, armed *atomic.Bool) string {
	t.Helper()
	target, err := url.Parse(m.endpoint())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.ContentLength > 0 {
			mu.Lock()
			*headers = append(*headers, r.Header.Clone())
			mu.Unlock()
			if armed.CompareAndSwap(true, false) {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					t.Errorf("read body: %v", err)
					return
				}
				body[len(body)/2] ^= 0x01
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestUnsignedPayloadWithChecksum checks that bodies go as
// UNSIGNED-PAYLOAD with a CRC32 checksum (no SHA-256 of the body), that
// the server refuses a body altered in transit because of that checksum,
// and that SignPayload signs the body's SHA-256 instead.
func TestUnsignedPayloadWithChecksum(t *testing.T) {
	m := startMinIO(t)
	var (
		mu      sync.Mutex
		headers []http.Header
		armed   atomic.Bool
	)
	for _, sign := range []bool{false, true} {
		cfg := m.config(t, testBucket, "payload")
		cfg.Endpoint = bodyProxy(t, m, &headers, &mu, &armed)
		cfg.CreateBucket = true
		cfg.SignPayload = sign
		s, err := New(t.Context(), cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		defer s.Close()
		s.singlePutMax, s.partSize = minPartSize, minPartSize
		mu.Lock()
		headers = nil
		mu.Unlock()
		small, large := randomBytes(1000), randomBytes(minPartSize+10)
		mustPut(t, s, "payload/small", small)
		mustPut(t, s, "payload/large", large)
		mu.Lock()
		seen := headers
		mu.Unlock()
		if len(seen) != 3 { // PutObject, two UploadPart
			t.Fatalf("sign=%v: %d PUT requests with a body, want 3", sign, len(seen))
		}
		for _, h := range seen {
			hash := h.Get("X-Amz-Content-Sha256")
			if (hash == unsignedPayload) == sign || h.Get("X-Amz-Checksum-Crc32") == "" {
				t.Errorf("sign=%v: payload hash %q, CRC32 %q", sign, hash, h.Get("X-Amz-Checksum-Crc32"))
			}
		}
		if !bytes.Equal(mustRead(t, s, "payload/small"), small) || !bytes.Equal(mustRead(t, s, "payload/large"), large) {
			t.Fatalf("sign=%v: read back different bytes", sign)
		}
		armed.Store(true)
		_, err = put(t, s, "payload/altered", small, remote.Condition{})
		if err == nil || errors.Is(err, remote.ErrUnavailable) {
			t.Errorf("sign=%v: put of a body altered in transit: got %v, want a refusal", sign, err)
		} else {
			t.Logf("sign=%v: altered body refused: %v", sign, err)
		}
		if _, err := s.Stat(t.Context(), "payload/altered"); !errors.Is(err, remote.ErrNotFound) {
			t.Errorf("sign=%v: the altered object was stored (%v)", sign, err)
		}
	}
}

package azure

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
)

// orthancSize is the size of a typical DICOM instance as stored (512 KiB
// of plaintext plus the envelope's overhead).
const orthancSize = 537600

// testAzureSpecific runs the tests that need a server but are not in the
// conformance suite.
func testAzureSpecific(t *testing.T, endpoint string) {
	t.Run("RequestCounts", func(t *testing.T) { testRequestCounts(t, endpoint) })
	t.Run("ListPages", func(t *testing.T) { testListPages(t, endpoint) })
	t.Run("Prefix", func(t *testing.T) { testPrefix(t, endpoint) })
	t.Run("SpoolCleanup", func(t *testing.T) { testSpoolCleanup(t, endpoint) })
	t.Run("RecommitAfterUnavailable", func(t *testing.T) { testRecommit(t, endpoint) })
	t.Run("NewErrors", func(t *testing.T) { testNewErrors(t, endpoint) })
	t.Run("BlocksStagedWhileWriting", func(t *testing.T) { testBlocksStagedWhileWriting(t, endpoint) })
}

// put uploads data to key under cond.
func put(t *testing.T, s *Store, key string, data []byte, cond remote.Condition) (remote.Info, error) {
	t.Helper()
	up, err := s.Create(t.Context(), key)
	if err != nil {
		t.Fatalf("Create %q: %v", key, err)
	}
	if _, err := up.Write(data); err != nil {
		t.Fatalf("Write %q: %v", key, err)
	}
	return up.Commit(t.Context(), cond)
}

// read returns the current content of key.
func read(t *testing.T, s *Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(t.Context(), key, "")
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	defer obj.Close()
	buf := make([]byte, obj.Info().Size)
	if n, err := obj.ReadAt(buf, 0); n != len(buf) || err != nil && err != io.EOF {
		t.Fatalf("ReadAt %q: %d, %v", key, n, err)
	}
	return buf
}

// testRequestCounts checks which requests each operation makes: one Put
// Blob for a typical object, blocks and a block list above 16 MiB, each
// carrying its condition.
func testRequestCounts(t *testing.T, endpoint string) {
	rt := &recordingTransport{}
	s := newTestStore(t, endpoint, func(c *Config) { c.transport = rt })
	defer s.Close()
	rt.take() // New's container check
	small := bytes.Repeat([]byte{7}, orthancSize)
	large := bytes.Repeat([]byte{9}, singlePutMax+1)
	steps := []struct {
		name string
		run  func() error
		want []request
	}{
		{"put 537600 bytes IfAbsent", func() error {
			_, err := put(t, s, "a/obj", small, remote.Condition{IfAbsent: true})
			return err
		}, []request{{method: "PUT", ifNoneMatch: "*"}}},
		{"stat", func() error { _, err := s.Stat(t.Context(), "a/obj"); return err },
			[]request{{method: "HEAD"}}},
		{"put 16 MiB + 1 unconditionally", func() error {
			_, err := put(t, s, "a/large", large, remote.Condition{})
			return err
		}, []request{{method: "PUT", query: "block"}, {method: "PUT", query: "block"}, {method: "PUT", query: "blocklist"}}},
		{"put 16 MiB + 1 IfAbsent over an object", func() error {
			_, err := put(t, s, "a/large", small, remote.Condition{IfAbsent: true})
			if !errors.Is(err, remote.ErrPreconditionFailed) {
				return fmt.Errorf("got %v, want ErrPreconditionFailed", err)
			}
			_, err = put(t, s, "a/large", large, remote.Condition{IfAbsent: true})
			if !errors.Is(err, remote.ErrPreconditionFailed) {
				return fmt.Errorf("got %v, want ErrPreconditionFailed", err)
			}
			return nil
		}, []request{{method: "PUT", ifNoneMatch: "*"}, {method: "PUT", query: "block"}, {method: "PUT", query: "block"}, {method: "PUT", query: "blocklist", ifNoneMatch: "*"}}},
		{"delete", func() error { return s.Delete(t.Context(), "a/obj", remote.Condition{}) },
			[]request{{method: "DELETE"}}},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got := rt.take()
		slices.SortStableFunc(got, func(a, b request) int { return strings.Compare(a.query, b.query) })
		if !slices.Equal(got, step.want) {
			t.Errorf("%s made requests %+v, want %+v", step.name, got, step.want)
		}
	}
	if got := read(t, s, "a/large"); !bytes.Equal(got, large) {
		t.Error("a/large does not hold the 16 MiB + 1 bytes committed")
	}
	if reqs := rt.take(); len(reqs) != 2 || reqs[1].method != "GET" || reqs[1].ifMatch == "" {
		t.Errorf("Open and one ReadAt made requests %+v, want HEAD then GET with If-Match", reqs)
	}
	// A large commit with IfMatch: the condition travels on the block list.
	st, err := s.Stat(t.Context(), "a/large")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "a/large", large, remote.Condition{IfMatch: st.Version}); err != nil {
		t.Fatalf("large IfMatch commit: %v", err)
	}
	if _, err := put(t, s, "a/large", large, remote.Condition{IfMatch: st.Version}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("large stale IfMatch commit: %v, want ErrPreconditionFailed", err)
	}
}

// testListPages checks that listings spanning many pages equal one-page listings.
func testListPages(t *testing.T, endpoint string) {
	s := newTestStore(t, endpoint, nil)
	defer s.Close()
	keys := []string{"a", "a-b", "a.b", "a/", "a/x", "a/y/", "a/y/z", "a0", "b/1", "b/2", "b/3", "b0", "c/", "c/d/e"}
	for _, k := range keys {
		if _, err := put(t, s, k, nil, remote.Condition{}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	list := func(pageSize int32, prefix string, recursive bool) []string {
		s.listPageSize = pageSize
		var got []string
		err := s.List(t.Context(), prefix, recursive, func(e remote.Entry) error {
			got = append(got, fmt.Sprintf("%s %v", e.Key, e.IsPrefix))
			return nil
		})
		if err != nil {
			t.Fatalf("List(%q, %v) with pages of %d: %v", prefix, recursive, pageSize, err)
		}
		return got
	}
	for _, prefix := range []string{"", "a", "a/", "b/", "c/"} {
		for _, recursive := range []bool{false, true} {
			want := list(defaultListPageSize, prefix, recursive)
			for _, size := range []int32{1, 2, 3} {
				if got := list(size, prefix, recursive); !slices.Equal(got, want) {
					t.Errorf("List(%q, %v) with pages of %d:\n got %q\nwant %q", prefix, recursive, size, got, want)
				}
			}
		}
	}
}

// testPrefix checks that a store's keys are blobs under its prefix, and
// that stores with other prefixes do not see them.
func testPrefix(t *testing.T, endpoint string) {
	one := newTestStore(t, endpoint, func(c *Config) { c.Prefix = "shared/one" })
	defer one.Close()
	two := newTestStore(t, endpoint, func(c *Config) { c.Prefix = "shared/two/" })
	defer two.Close()
	whole := newTestStore(t, endpoint, func(c *Config) { c.Prefix = "" })
	defer whole.Close()
	if _, err := put(t, one, "x/obj", []byte("one"), remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := two.Stat(t.Context(), "x/obj"); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("other prefix Stat: %v, want ErrNotFound", err)
	}
	if got := read(t, whole, "shared/one/x/obj"); string(got) != "one" {
		t.Errorf("blob shared/one/x/obj holds %q", got)
	}
	var keys []string
	if err := one.List(t.Context(), "", true, func(e remote.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"x/obj"}) {
		t.Errorf("listing of the prefixed store: %q, want [x/obj]", keys)
	}
}

// testSpoolCleanup checks that no spool file outlives its upload.
func testSpoolCleanup(t *testing.T, endpoint string) {
	spool := t.TempDir()
	s := newTestStore(t, endpoint, func(c *Config) { c.SpoolDir = spool })
	defer s.Close()
	if _, err := put(t, s, "k", []byte("x"), remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := put(t, s, "k", []byte("y"), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("IfAbsent over an object: %v", err)
	}
	up, err := s.Create(t.Context(), "aborted")
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Abort(); err != nil {
		t.Fatal(err)
	}
	if files, err := os.ReadDir(spool); err != nil || len(files) != 0 {
		t.Fatalf("spool directory holds %d files (%v), want none", len(files), err)
	}
}

// flakyTransport fails the first failures requests with a reset connection.
type flakyTransport struct {
	failures atomic.Int32
}

// Do fails while failures are left, then sends req.
func (ft *flakyTransport) Do(req *http.Request) (*http.Response, error) {
	if ft.failures.Add(-1) >= 0 {
		return nil, fmt.Errorf("read tcp: %w", syscall.ECONNRESET)
	}
	return http.DefaultClient.Do(req)
}

// testRecommit checks that a Commit failing with ErrUnavailable keeps
// the spooled bytes for a second Commit.
func testRecommit(t *testing.T, endpoint string) {
	for _, size := range []int{orthancSize, singlePutMax + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ft := &flakyTransport{}
			spool := t.TempDir()
			s := newTestStore(t, endpoint, func(c *Config) { c.transport, c.SpoolDir = ft, spool })
			defer s.Close()
			data := bytes.Repeat([]byte("sealfs"), size/6+1)[:size]
			up, err := s.Create(t.Context(), "retry/obj")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := up.Write(data); err != nil {
				t.Fatal(err)
			}
			if stream := up.(*spoolUpload).stream; stream != nil {
				// Let the blocks staged in the background land first, so
				// that the failure hits Commit's own request.
				if err := stream.stop(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			ft.failures.Store(1)
			if _, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrUnavailable) {
				t.Fatalf("Commit through a reset connection: %v, want ErrUnavailable", err)
			}
			info, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true})
			if err != nil {
				t.Fatalf("second Commit: %v", err)
			}
			if info.Size != int64(size) || !bytes.Equal(read(t, s, "retry/obj"), data) {
				t.Fatalf("recommitted object differs: %+v", info)
			}
			if files, _ := os.ReadDir(spool); len(files) != 0 {
				t.Fatalf("spool directory holds %d files after the commit", len(files))
			}
		})
	}
}

// testNewErrors checks New's failures: a missing container, wrong
// credentials (never echoed) and an unreachable endpoint.
func testNewErrors(t *testing.T, endpoint string) {
	const wrongKey = "V1JPTkdLRVlXUk9OR0tFWVdST05HS0VZV1JPTkdLRVk="
	tests := []struct {
		name     string
		cfg      Config
		want     error // nil: an error of none of remote's kinds
		contains string
	}{
		{"missing container", Config{Container: "no-such-container", ConnectionString: connectionString(endpoint)},
			remote.ErrNotFound, `"no-such-container"`},
		{"wrong key", Config{Container: testContainer, AccountName: azuriteAccount, AccountKey: wrongKey, Endpoint: endpoint},
			nil, "403"},
		{"bad SAS", Config{Container: testContainer, AccountName: azuriteAccount, SASToken: secretSAS, Endpoint: endpoint},
			nil, "403"},
		{"nothing listening", Config{Container: testContainer, AccountName: azuriteAccount, AccountKey: azuriteKey,
			Endpoint: fmt.Sprintf("http://127.0.0.1:%d/%s", testenv.FreePort(t), azuriteAccount)}, remote.ErrUnavailable, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.SpoolDir = t.TempDir()
			s, err := New(t.Context(), tt.cfg)
			if err == nil {
				s.Close()
				t.Fatal("New succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.contains) {
				t.Errorf("error %q does not mention %q", msg, tt.contains)
			}
			for _, secret := range []string{wrongKey, azuriteKey, "TOPSECRET"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q reveals a secret", msg)
				}
			}
			for _, kind := range []error{remote.ErrNotFound, remote.ErrUnavailable, remote.ErrPreconditionFailed} {
				if errors.Is(err, kind) != (kind == tt.want) {
					t.Errorf("error %q: errors.Is(%v) = %v", msg, kind, !(kind == tt.want))
				}
			}
		})
	}
}

package staging

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// TestLayouts runs write and truncate sequences and checks the contents,
// the size, and both again after Open.
func TestLayouts(t *testing.T) {
	const c = 4096
	type write struct {
		off int64
		n   int
	}
	tests := []struct {
		name     string
		writes   []write
		truncate int64 // applied after the writes when >= 0
		size     int64
	}{
		{"empty", nil, -1, 0},
		{"one byte", []write{{0, 1}}, -1, 1},
		{"exactly one chunk", []write{{0, c}}, -1, c},
		{"one chunk and a byte", []write{{0, c + 1}}, -1, c + 1},
		{"hole before data", []write{{5*c + 10, 20}}, -1, 5*c + 30},
		{"hole between data", []write{{0, 10}, {3 * c, 10}}, -1, 3*c + 10},
		{"hole inside a chunk", []write{{0, 10}, {100, 10}}, -1, 110},
		{"overwrite across chunks", []write{{0, 3 * c}, {c - 5, c + 10}}, -1, 3 * c},
		{"extend within the last chunk", []write{{0, 10}}, 1000, 1000},
		{"extend by many chunks", []write{{0, 10}}, 7*c + 3, 7*c + 3},
		{"extend to a chunk boundary", []write{{0, 10}}, 2 * c, 2 * c},
		{"shrink within the last chunk", []write{{0, 3000}}, 1000, 1000},
		{"shrink by chunks", []write{{0, 5*c + 7}}, c + 1, c + 1},
		{"shrink to a chunk boundary", []write{{0, 5*c + 7}}, 2 * c, 2 * c},
		{"shrink into a hole", []write{{0, 10}, {6 * c, 10}}, 3*c + 5, 3*c + 5},
		{"shrink into a short middle chunk", []write{{0, 10}, {6 * c, 10}}, 5, 5},
		{"shrink to zero", []write{{0, 3 * c}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring := newRing(t, nil, 7)
			s, osPath := createStaged(t, ring, "dir/"+tt.name, c)
			var want []byte
			for i, w := range tt.writes {
				p := pattern(w.n, byte(i))
				mustWrite(t, s, p, w.off)
				if end := int(w.off) + w.n; end > len(want) {
					want = append(want, make([]byte, end-len(want))...)
				}
				copy(want[w.off:], p)
			}
			if tt.truncate >= 0 {
				if err := s.Truncate(tt.truncate); err != nil {
					t.Fatal(err)
				}
				if int(tt.truncate) < len(want) {
					want = want[:tt.truncate]
				} else {
					want = append(want, make([]byte, int(tt.truncate)-len(want))...)
				}
			}
			if s.Size() != tt.size || int64(len(want)) != tt.size {
				t.Fatalf("Size = %d, model %d, want %d", s.Size(), len(want), tt.size)
			}
			if !bytes.Equal(readAll(t, s), want) {
				t.Fatal("contents differ")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			r := mustOpen(t, osPath, ring)
			if r.Size() != tt.size || !bytes.Equal(readAll(t, r), want) {
				t.Fatalf("after Open: size %d, want %d, or contents differ", r.Size(), tt.size)
			}
		})
	}
}

func TestOpenPreservesIdentity(t *testing.T) {
	ring := newRing(t, nil, 0xa1b2c3d4)
	path := "orthanc/db/" + strings.Repeat("ü", 100) + ".sqlite"
	s, osPath := createStaged(t, ring, path, 1<<16)
	mustWrite(t, s, pattern(100000, 3), 12345)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, osPath, ring)
	if r.Path() != path || r.Volume() != testVolume || r.KEKID() != 0xa1b2c3d4 || r.Size() != 112345 {
		t.Fatalf("Open: path %q volume %x kek %#x size %d", r.Path(), r.Volume(), r.KEKID(), r.Size())
	}
	got := make([]byte, 100000)
	if _, err := r.ReadAt(got, 12345); err != nil || !bytes.Equal(got, pattern(100000, 3)) {
		t.Fatalf("ReadAt after Open: %v or wrong bytes", err)
	}
}

func TestOpenAfterRotationUsesDecryptOnlyKEK(t *testing.T) {
	s, osPath := createStaged(t, newRing(t, nil, 1), "f", 4096)
	mustWrite(t, s, []byte("hello"), 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, osPath, newRing(t, nil, 2, 1))
	if got := readAll(t, r); string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
}

func TestOpenKeyErrors(t *testing.T) {
	s, osPath := createStaged(t, newRing(t, nil, 5), "f", 4096)
	mustWrite(t, s, []byte("data"), 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	otherKey, err := keyring.NewKEK(5, keyring.Current, testKEK(5, 0xff), "other")
	if err != nil {
		t.Fatal(err)
	}
	wrongRing, err := keyring.New(nil, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := keyring.NewKEK(5, keyring.Revoked, testKEK(5, 0), "revoked")
	if err != nil {
		t.Fatal(err)
	}
	revokedRing, err := keyring.New(nil, revoked)
	if err != nil {
		t.Fatal(err)
	}
	closedRing := newRing(t, nil, 5)
	_ = closedRing.Close()
	tests := []struct {
		name string
		ring *keyring.Keyring
		want error
	}{
		{"unknown KEK", newRing(t, nil, 6, 4), keyring.ErrUnknownKEK},
		{"same id, other key", wrongRing, ErrWrongKey},
		{"revoked KEK", revokedRing, keyring.ErrRevokedKEK},
		{"closed keyring", closedRing, keyring.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := openStaged(t, osPath, tt.ring); !errors.Is(err, tt.want) || r != nil {
				t.Fatalf("Open = %v, %v; want %v", r, err, tt.want)
			}
		})
	}
}

func TestOpenAuditsWrongKey(t *testing.T) {
	s, osPath := createStaged(t, newRing(t, nil, 5), "f", 4096)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var failures []keyring.Event
	audit := keyring.AuditorFunc(func(e keyring.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == keyring.UnwrapFailed {
			failures = append(failures, e)
		}
	})
	k, err := keyring.NewKEK(5, keyring.Current, testKEK(5, 0xff), "other")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.New(audit, k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openStaged(t, osPath, ring); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open error = %v, want ErrWrongKey", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failures) != 1 || failures[0].KEKID != 5 || failures[0].Object != osPath {
		t.Fatalf("unwrap-failed events = %+v, want one for %s", failures, osPath)
	}
}

func TestCreateRejects(t *testing.T) {
	ring := newRing(t, nil, 1)
	tests := []struct {
		name      string
		ring      *keyring.Keyring
		path      string
		chunkSize int
		existing  []byte
		want      error // nil: any error
	}{
		{"chunk too small", ring, "f", 2048, nil, nil},
		{"chunk too large", ring, "f", 2 << 20, nil, nil},
		{"chunk not a power of two", ring, "f", 5000, nil, nil},
		{"empty path", ring, "", 4096, nil, nil},
		{"path too long", ring, strings.Repeat("a", maxPathLen+1), 4096, nil, nil},
		{"file not empty", ring, "f", 4096, []byte("x"), fs.ErrExist},
		{"no current KEK", newRingWithoutCurrent(t), "f", 4096, nil, keyring.ErrNoCurrentKEK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			osPath := filepath.Join(t.TempDir(), "staged")
			if err := os.WriteFile(osPath, tt.existing, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(osPath, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, err := Create(f, tt.ring, testVolume, tt.path, tt.chunkSize)
			if err == nil || s != nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Create = %v, %v; want error %v", s, err, tt.want)
			}
			if got, _ := os.ReadFile(osPath); !bytes.Equal(got, tt.existing) {
				t.Fatalf("Create changed the file: %q", got)
			}
		})
	}
}

// newRingWithoutCurrent returns a keyring with only a decrypt-only KEK.
func newRingWithoutCurrent(tb testing.TB) *keyring.Keyring {
	k, err := keyring.NewKEK(1, keyring.DecryptOnly, testKEK(1, 0), "test")
	if err != nil {
		tb.Fatal(err)
	}
	r, err := keyring.New(nil, k)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestLongestPath(t *testing.T) {
	ring := newRing(t, nil, 1)
	path := strings.Repeat("p", maxPathLen)
	s, osPath := createStaged(t, ring, path, 4096)
	if s.dataStart != 8192 {
		t.Fatalf("data area starts at %d, want 8192", s.dataStart)
	}
	mustWrite(t, s, []byte("x"), 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := mustOpen(t, osPath, ring); r.Path() != path || r.Size() != 1 {
		t.Fatal("longest path did not survive Open")
	}
}

func TestInvalidArguments(t *testing.T) {
	s, _ := createStaged(t, newRing(t, nil, 1), "f", 4096)
	mustWrite(t, s, []byte("abc"), 0)
	if _, err := s.WriteAt([]byte("x"), -1); err == nil {
		t.Error("WriteAt at -1 succeeded")
	}
	if _, err := s.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at -1 succeeded")
	}
	if err := s.Truncate(-1); err == nil {
		t.Error("Truncate(-1) succeeded")
	}
	if _, err := s.WriteAt([]byte("x"), maxLogicalEnd); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("WriteAt past the size limit: %v, want EFBIG", err)
	}
	if err := s.Truncate(maxLogicalEnd + 1); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("Truncate past the size limit: %v, want EFBIG", err)
	}
	if n, err := s.WriteAt(nil, 1<<40); n != 0 || err != nil || s.Size() != 3 {
		t.Errorf("empty WriteAt past the end = %d, %v, size %d; want no change", n, err, s.Size())
	}
	if n, err := s.ReadAt(make([]byte, 4), 3); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
	}
}

func TestClose(t *testing.T) {
	s, _ := createStaged(t, newRing(t, nil, 1), "f", 4096)
	mustWrite(t, s, []byte("abc"), 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.key != [fileKeySize]byte{} || s.aead != nil {
		t.Fatal("Close left the file key in memory")
	}
	calls := map[string]func() error{
		"Close":    s.Close,
		"Sync":     s.Sync,
		"Truncate": func() error { return s.Truncate(1) },
		"ReadAt":   func() error { _, err := s.ReadAt(make([]byte, 1), 0); return err },
		"WriteAt":  func() error { _, err := s.WriteAt([]byte("x"), 0); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close: %v, want os.ErrClosed", name, err)
		}
	}
}

func TestTooManyWrites(t *testing.T) {
	s, _ := createStaged(t, newRing(t, nil, 1), "f", 4096)
	mustWrite(t, s, []byte("before"), 0)
	s.seals = maxSeals - 1
	mustWrite(t, s, []byte("last"), 0)
	if n, err := s.WriteAt([]byte("again"), 0); n != 0 || !errors.Is(err, ErrTooManyWrites) {
		t.Fatalf("WriteAt past the seal limit = %d, %v; want 0, ErrTooManyWrites", n, err)
	}
	if err := s.Truncate(100); !errors.Is(err, ErrTooManyWrites) {
		t.Fatalf("Truncate past the seal limit: %v, want ErrTooManyWrites", err)
	}
	if got := readAll(t, s); string(got) != "lastre" {
		t.Fatalf("contents = %q, want %q", got, "lastre")
	}
}

func TestConcurrentUse(t *testing.T) {
	const c, workers, rounds = 4096, 4, 50
	s, _ := createStaged(t, newRing(t, nil, 1), "f", c)
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for w := range workers {
		wg.Go(func() {
			want := pattern(c+100, byte(w))
			off := int64(w) * 3 * c
			for range rounds {
				if _, err := s.WriteAt(want, off); err != nil {
					errs <- err
					return
				}
				got := make([]byte, len(want))
				if _, err := s.ReadAt(got, off); err != nil || !bytes.Equal(got, want) {
					errs <- errors.Join(errors.New("read back differs"), err)
					return
				}
				_ = s.Size()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

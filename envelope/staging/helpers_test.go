package staging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// testVolume is the volume id used by the tests.
var testVolume = [16]byte{0x5e, 0xa1, 0xf5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}

// testKEK returns key material derived from id, so that rings built for the
// same id agree.
func testKEK(id uint32, seed byte) []byte {
	return bytes.Repeat([]byte{byte(id) ^ seed}, keyring.KeySize)
}

// newRing builds a keyring whose current KEK has id current; extra ids are
// loaded decrypt-only. audit may be nil.
func newRing(tb testing.TB, audit keyring.Auditor, current uint32, extra ...uint32) *keyring.Keyring {
	tb.Helper()
	k, err := keyring.NewKEK(current, keyring.Current, testKEK(current, 0), "test")
	if err != nil {
		tb.Fatal(err)
	}
	keks := []*keyring.KEK{k}
	for _, id := range extra {
		k, err := keyring.NewKEK(id, keyring.DecryptOnly, testKEK(id, 0), "test")
		if err != nil {
			tb.Fatal(err)
		}
		keks = append(keks, k)
	}
	r, err := keyring.New(audit, keks...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// createStaged makes a new staging file in a temporary directory and returns
// it with its OS path.
func createStaged(tb testing.TB, ring *keyring.Keyring, path string, chunkSize int) (*File, string) {
	tb.Helper()
	osPath := filepath.Join(tb.TempDir(), "staged")
	f, err := os.OpenFile(osPath, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Create(f, ring, testVolume, path, chunkSize)
	if err != nil {
		_ = f.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, osPath
}

// openStaged opens the staging file at osPath, returning Open's result. The
// OS file is closed on error and by Cleanup otherwise.
func openStaged(tb testing.TB, osPath string, ring *keyring.Keyring) (*File, error) {
	tb.Helper()
	f, err := os.OpenFile(osPath, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Open(f, ring)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, nil
}

// mustOpen is openStaged that fails the test on error.
func mustOpen(tb testing.TB, osPath string, ring *keyring.Keyring) *File {
	tb.Helper()
	s, err := openStaged(tb, osPath, ring)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// mustWrite writes p at off and fails the test on error or short write.
func mustWrite(tb testing.TB, s *File, p []byte, off int64) {
	tb.Helper()
	if n, err := s.WriteAt(p, off); err != nil || n != len(p) {
		tb.Fatalf("WriteAt(%d bytes at %d) = %d, %v", len(p), off, n, err)
	}
}

// readAll reads the whole logical file.
func readAll(tb testing.TB, s *File) []byte {
	tb.Helper()
	b := make([]byte, s.Size())
	if n, err := s.ReadAt(b, 0); err != nil || n != len(b) {
		tb.Fatalf("ReadAt(all %d bytes) = %d, %v", len(b), n, err)
	}
	return b
}

// pattern returns n bytes that differ from zero and from offset to offset.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed | 1
	}
	return b
}

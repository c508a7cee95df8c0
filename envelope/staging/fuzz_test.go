package staging

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Open as a staging file. It must never
// panic, must return no File with an error, and a File it returns must read
// back in full or fail with ErrCorrupt.
func FuzzOpen(f *testing.F) {
	ring := newRing(f, nil, 7)
	for _, chunk := range []int{4096, 8192} {
		s, osPath := createStaged(f, ring, "fuzz/seed.db", chunk)
		mustWrite(f, s, pattern(chunk+10, 1), 5)
		mustWrite(f, s, pattern(20, 2), 3*int64(chunk))
		if err := s.Close(); err != nil {
			f.Fatal(err)
		}
		raw, err := os.ReadFile(osPath)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add(raw[:s.headerLen])
		f.Add(raw[:s.dataStart+slotOverhead+10])
	}
	f.Add([]byte{})
	f.Add([]byte(magic))
	f.Add([]byte(magic + "\x01\x0c\x00\x00\x00\x00\x00\x07"))

	osPath := filepath.Join(f.TempDir(), "staged") // one per fuzz process; calls run one at a time
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(osPath, data, 0o600); err != nil {
			t.Fatal(err)
		}
		osFile, err := os.OpenFile(osPath, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer osFile.Close()
		s, err := Open(osFile, ring)
		if err != nil {
			if s != nil {
				t.Fatalf("Open returned a File with error %v", err)
			}
			return
		}
		if s.Size() > int64(len(data)) {
			t.Fatalf("size %d from a %d-byte file", s.Size(), len(data))
		}
		p := make([]byte, s.Size())
		if n, err := s.ReadAt(p, 0); err != nil && (!errors.Is(err, ErrCorrupt) || n != 0) {
			t.Fatalf("ReadAt = %d, %v", n, err)
		}
	})
}

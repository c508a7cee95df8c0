package fs_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
)

// Large objects are read through 8 MiB windows fetched ahead while reads
// are sequential. A sequential read returns the file's bytes; a window
// whose ciphertext was altered fails the read that reaches the altered
// chunk with EIO, after only intact bytes, and a later read elsewhere in
// the file still works.
func TestReadAheadLargeObject(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		if kind.name == "local" {
			t.Skip("the local tier is read in place, not in windows")
		}
		m := newMountOn(t, kind, 0)
		m.unmount()
		m.verifyMax = 1 << 20 // smaller than the file: verified as it streams
		m.mount()
		data := randomBytes(26 << 20) // four windows of ciphertext
		writeFile(t, m.path("big"), data)
		m.remount()
		if got := mustRead(t, m.path("big")); !bytes.Equal(got, data) {
			t.Fatal("sequential read of a large object returned different bytes")
		}

		const chunk, header, tampered = 64 << 10, 160, 300 // chunk 300 lies in window 2
		raw := m.readObject("big")
		raw[header+tampered*(chunk+16)+100] ^= 0x01
		m.writeObject("big", raw)
		m.remount()
		f, err := os.Open(m.path("big"))
		if err != nil {
			t.Fatalf("open of a large object with a bad chunk: %v", err)
		}
		defer f.Close()
		got, err := io.ReadAll(f)
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("sequential read over an altered chunk: %d bytes, %v; want EIO", len(got), err)
		}
		if len(got) > tampered*chunk || !bytes.Equal(got, data[:len(got)]) {
			t.Fatalf("read returned %d bytes before failing; want at most the %d intact ones, unaltered", len(got), tampered*chunk)
		}
		tail := make([]byte, 4096)
		if _, err := f.ReadAt(tail, int64(len(data)-len(tail))); err != nil || !bytes.Equal(tail, data[len(data)-len(tail):]) {
			t.Fatalf("read of an intact chunk after the failure: %v", err)
		}
	})
}

package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// testRoundTrip writes objects of awkward sizes and reads them back,
// through the upload's ReadAt, Stat and Open.
func testRoundTrip(t *testing.T, open func(*testing.T) remote.Store) {
	sizes := []int{0, 1, 4095, 4096, 65536 + 17, 5 << 20, 64<<20 + 1}
	for i, size := range sizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			if size > 5<<20 && testing.Short() {
				t.Skip("large object skipped in -short mode")
			}
			s := open(t)
			ctx := t.Context()
			data := pattern(uint64(i), size)
			key := fmt.Sprintf("rt/%02x/obj-%d", i, size)
			up, err := s.Create(ctx, key)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			for rest := data; len(rest) > 0; {
				n := min(len(rest), writeChunk)
				if w, err := up.Write(rest[:n]); err != nil || w != n {
					t.Fatalf("Write: %d, %v", w, err)
				}
				rest = rest[n:]
			}
			if up.Size() != int64(size) {
				t.Fatalf("Upload.Size = %d, want %d", up.Size(), size)
			}
			if size > 0 {
				back := make([]byte, min(size, 4097))
				off := int64(size - len(back))
				if n, err := up.ReadAt(back, off); n != len(back) || (err != nil && err != io.EOF) {
					t.Fatalf("Upload.ReadAt: %d, %v", n, err)
				}
				if !bytes.Equal(back, data[off:]) {
					t.Fatal("Upload.ReadAt returned bytes that were not written")
				}
			}
			info, err := up.Commit(ctx, remote.Condition{})
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if info.Key != key || info.Size != int64(size) || info.Version == "" {
				t.Fatalf("Commit Info = %+v, want key %q, size %d, a version", info, key, size)
			}
			st, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if st.Size != int64(size) || st.Version != info.Version {
				t.Fatalf("Stat = %+v, want size %d, version %q", st, size, info.Version)
			}
			wantContent(t, s, key, data)
		})
	}
}

// testStat checks Stat's fields and that the version changes on overwrite.
func testStat(t *testing.T, s remote.Store) {
	ctx := t.Context()
	const key = "stat/a"
	first := mustPut(t, s, key, []byte("first version"))
	st, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.Key != key || st.Size != 13 || st.Version == "" || st.ModTime.IsZero() {
		t.Fatalf("Stat = %+v, want key %q, size 13, a version and a time", st, key)
	}
	if st.Version != first.Version {
		t.Fatalf("Stat version %q differs from Commit's %q", st.Version, first.Version)
	}
	second := mustPut(t, s, key, []byte("second, longer version"))
	st, err = s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat after overwrite: %v", err)
	}
	if st.Version == first.Version || st.Version != second.Version || st.Size != 22 {
		t.Fatalf("after overwrite Stat = %+v; first version %q, second %q", st, first.Version, second.Version)
	}
}

// testReadAtRanges checks ReadAt at chunk boundaries and the end.
func testReadAtRanges(t *testing.T, s remote.Store) {
	const size = 3*4096 + 123
	data := pattern(7, size)
	mustPut(t, s, "ranges/obj", data)
	obj, err := s.Open(t.Context(), "ranges/obj", "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	if obj.Info().Size != size {
		t.Fatalf("Info().Size = %d, want %d", obj.Info().Size, size)
	}
	tests := []struct {
		off, len int64
		wantN    int
		wantEOF  bool // io.EOF required (a read cut short by the end)
	}{
		{0, 100, 100, false},
		{4095, 2, 2, false},
		{4096, 4096, 4096, false},
		{size - 1, 1, 1, false},
		{size - 10, 20, 10, true},
		{size, 1, 0, true},
		{size + 4096, 10, 0, true},
	}
	for _, tt := range tests {
		buf := make([]byte, tt.len)
		n, err := obj.ReadAt(buf, tt.off)
		if n != tt.wantN {
			t.Errorf("ReadAt(len %d, off %d) = %d bytes, want %d (err %v)", tt.len, tt.off, n, tt.wantN, err)
			continue
		}
		if tt.wantEOF && !errors.Is(err, io.EOF) || !tt.wantEOF && err != nil && err != io.EOF {
			t.Errorf("ReadAt(len %d, off %d) error = %v, wantEOF %v", tt.len, tt.off, err, tt.wantEOF)
		}
		if !bytes.Equal(buf[:n], data[min(tt.off, size):min(tt.off, size)+int64(n)]) {
			t.Errorf("ReadAt(len %d, off %d) returned wrong bytes", tt.len, tt.off)
		}
	}
}

// testOpenPinned checks that a handle opened before an overwrite never
// returns the new bytes: it reads the old ones or fails with
// ErrPreconditionFailed.
func testOpenPinned(t *testing.T, s remote.Store) {
	const key, size, piece = "pin/obj", 256 << 10, 32 << 10
	old, replacement := pattern(1, size), pattern(2, size)
	mustPut(t, s, key, old)
	obj, err := s.Open(t.Context(), key, "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	// Read part before the overwrite, as a reader in the middle of a file would.
	buf := make([]byte, piece)
	if n, err := obj.ReadAt(buf, 0); n != piece || err != nil {
		t.Fatalf("ReadAt before overwrite: %d, %v", n, err)
	}
	mustPut(t, s, key, replacement)
	for off := 0; off < size; off += piece {
		n, err := obj.ReadAt(buf, int64(off))
		if errors.Is(err, remote.ErrPreconditionFailed) {
			continue
		}
		if err != nil && err != io.EOF {
			t.Fatalf("ReadAt(off %d) after overwrite: %v, want old bytes or ErrPreconditionFailed", off, err)
		}
		if !bytes.Equal(buf[:n], old[off:off+n]) || n != piece {
			t.Fatalf("ReadAt(off %d) after overwrite returned %d bytes that are not the opened version's", off, n)
		}
	}
	wantContent(t, s, key, replacement)
}

// testOpenStale checks Open with a version that is no longer current.
func testOpenStale(t *testing.T, s remote.Store) {
	ctx := t.Context()
	v1 := mustPut(t, s, "stale/obj", []byte("one"))
	v2 := mustPut(t, s, "stale/obj", []byte("two"))
	if _, err := s.Open(ctx, "stale/obj", v1.Version); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("Open with stale version: got %v, want ErrPreconditionFailed", err)
	}
	obj, err := s.Open(ctx, "stale/obj", v2.Version)
	if err != nil {
		t.Fatalf("Open with current version: %v", err)
	}
	defer obj.Close()
	got, err := readObject(obj)
	if err != nil || string(got) != "two" || obj.Info().Version != v2.Version {
		t.Fatalf("read current version: %q, %v, info %+v", got, err, obj.Info())
	}
}

package staging

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// TestAgainstModel applies random writes, reads, truncations and reopens
// to a staging file and to a plain byte slice, and compares them.
func TestAgainstModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run("", func(t *testing.T) {
			const chunk = 4096
			rng := rand.New(rand.NewPCG(seed, 0x5ea1))
			ring := newRing(t, nil, 7)
			s, osPath := createStaged(t, ring, "model/file.db", chunk)
			var model []byte
			randomOffset := func() int64 { return rng.Int64N(int64(len(model)) + 2*chunk + 1) }
			randomLen := func() int {
				if rng.IntN(4) == 0 {
					return rng.IntN(8) // tiny writes and reads, including empty ones
				}
				return rng.IntN(3*chunk + 1)
			}
			for op := range 1500 {
				switch r := rng.IntN(100); {
				case r < 50:
					off, p := randomOffset(), make([]byte, randomLen())
					for i := range p {
						p[i] = byte(rng.Uint32())
					}
					mustWrite(t, s, p, off)
					// An empty write changes nothing, even past the end.
					if end := int(off) + len(p); len(p) > 0 && end > len(model) {
						model = append(model, make([]byte, end-len(model))...)
					}
					if len(p) > 0 {
						copy(model[off:], p)
					}
				case r < 85:
					off, n := randomOffset(), randomLen()
					checkRead(t, s, model, off, n)
				case r < 97:
					size := randomOffset()
					if err := s.Truncate(size); err != nil {
						t.Fatalf("op %d: Truncate(%d): %v", op, size, err)
					}
					if int(size) < len(model) {
						model = model[:size]
					} else {
						model = append(model, make([]byte, int(size)-len(model))...)
					}
				default:
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
					s = mustOpen(t, osPath, ring)
				}
				if s.Size() != int64(len(model)) {
					t.Fatalf("op %d: Size = %d, model %d", op, s.Size(), len(model))
				}
			}
			if got := readAll(t, s); !bytes.Equal(got, model) {
				t.Fatal("final contents differ from the model")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, mustOpen(t, osPath, ring)); !bytes.Equal(got, model) {
				t.Fatal("contents after reopen differ from the model")
			}
		})
	}
}

// checkRead compares ReadAt(n bytes at off) with the model, io.EOF included.
func checkRead(t *testing.T, s *File, model []byte, off int64, n int) {
	t.Helper()
	got := make([]byte, n)
	gotN, err := s.ReadAt(got, off)
	wantN := max(0, min(n, len(model)-int(off)))
	wantEOF := wantN < n
	if gotN != wantN || (err != nil) != wantEOF || (wantEOF && !errors.Is(err, io.EOF)) {
		t.Fatalf("ReadAt(%d at %d) of %d = %d, %v; want %d, EOF %v", n, off, len(model), gotN, err, wantN, wantEOF)
	}
	if wantN > 0 && !bytes.Equal(got[:gotN], model[off:int(off)+wantN]) {
		t.Fatalf("ReadAt(%d at %d): wrong bytes", n, off)
	}
}

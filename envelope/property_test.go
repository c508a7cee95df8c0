package envelope

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestRandomObjectsAndRanges seals objects of random sizes near chunk
// boundaries in random pieces and compares random read ranges with the
// plaintext. The generator is seeded, so a failure reproduces.
func TestRandomObjectsAndRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 11))
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	for range iterations {
		c := []int{MinChunkSize, 8 << 10, 16 << 10}[rng.IntN(3)]
		size := max(0, rng.IntN(20)*c+rng.IntN(5)-2)
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(rng.Uint32())
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, ring, id, WriterOptions{ChunkSize: c})
		if err != nil {
			t.Fatal(err)
		}
		for rest := plain; len(rest) > 0; {
			k := min(len(rest), rng.IntN(2*c)+1)
			if _, err := w.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := openObject(out.Bytes(), ring, id)
		if err != nil {
			t.Fatalf("C=%d P=%d: Open: %v", c, size, err)
		}
		for range 20 {
			off := rng.IntN(size + 10)
			n := rng.IntN(3 * c)
			checkReadAt(t, r, plain, off, n)
		}
		_ = r.Close()
	}
}

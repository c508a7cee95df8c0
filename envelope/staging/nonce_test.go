package staging

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestNoncesNeverRepeat seals slots many times (rewrites of one slot,
// random writes, truncations) and collects the nonce of every seal from the
// OS file.
func TestNoncesNeverRepeat(t *testing.T) {
	const chunk = 4096
	s, _ := createStaged(t, newRing(t, nil, 1), "f", chunk)
	seen := make(map[[nonceSize]byte]int64)
	record := func(slot int64) {
		t.Helper()
		var head [slotHeadSize]byte
		if _, err := s.f.ReadAt(head[:], s.slotOffset(slot)); err != nil {
			t.Fatal(err)
		}
		if binary.BigEndian.Uint32(head[:]) == 0 {
			t.Fatalf("slot %d was not sealed", slot)
		}
		nonce := [nonceSize]byte(head[slotLenSize:])
		if prev, ok := seen[nonce]; ok {
			t.Fatalf("nonce %x of slot %d repeats a nonce of slot %d", nonce, slot, prev)
		}
		seen[nonce] = slot
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 3000 {
		var slot int64
		switch i % 3 {
		case 0: // the same byte of the same slot, as an fsync-heavy journal does
			mustWrite(t, s, []byte{byte(i)}, 10)
		case 1:
			slot = rng.Int64N(8)
			mustWrite(t, s, []byte{byte(i), 1, 2}, slot*chunk+rng.Int64N(chunk-3))
		case 2: // shrink or extend to a size that ends in slot 8
			size := 8*chunk + 1 + rng.Int64N(chunk)
			if err := s.Truncate(size); err != nil {
				t.Fatal(err)
			}
			slot = 8
		}
		record(slot)
	}
	if uint64(len(seen)) != s.seals {
		t.Fatalf("recorded %d nonces for %d seals", len(seen), s.seals)
	}
}

func TestFreshKeysPerFile(t *testing.T) {
	ring := newRing(t, nil, 1)
	a, _ := createStaged(t, ring, "f", 4096)
	b, _ := createStaged(t, ring, "f", 4096)
	if a.key == b.key || a.key == [fileKeySize]byte{} {
		t.Fatal("two staging files share a file key")
	}
}

package envelope

import (
	"bytes"
	"fmt"
	"testing"
)

// sealRecorder records every (key, nonce) pair passed to the seal observer.
type sealRecorder struct {
	seen    map[string]int
	repeats []string
	seals   int
}

func (s *sealRecorder) observe(key, nonce []byte) {
	k := string(key) + "|" + string(nonce)
	s.seen[k]++
	s.seals++
	if s.seen[k] == 2 {
		s.repeats = append(s.repeats, fmt.Sprintf("key %.8x… nonce %x", key, nonce))
	}
}

// TestNoKeyNonceRepeats seals many objects of various sizes and chunk sizes
// with production randomness and rewraps one several times; no (key, nonce)
// pair may be used twice.
func TestNoKeyNonceRepeats(t *testing.T) {
	rec := &sealRecorder{seen: map[string]int{}}
	hooks := sealHooks{observeSeal: rec.observe}
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	wantSeals := 0
	var objects [][]byte
	for _, c := range []int{MinChunkSize, 8 << 10, DefaultChunkSize} {
		for _, size := range []int{0, 1, c - 1, c, c + 1, 3*c + 5} {
			for range 3 { // the same plaintext several times: fresh keys each time
				objects = append(objects, sealObject(t, ring, id, c, pattern(size), hooks))
				wantSeals += 1 + int(geometryForPlaintext(int64(size), c).chunks)
			}
		}
	}
	rotated := ringWith(t, nil, kek1Old, kek2Current)
	for _, obj := range objects[:4] {
		header := obj[:HeaderSize]
		for range 5 {
			next, err := rewrap(header, rotated, id, hooks)
			if err != nil {
				t.Fatal(err)
			}
			header = next
			wantSeals++
		}
	}
	if rec.seals != wantSeals {
		t.Fatalf("observed %d seals, want %d", rec.seals, wantSeals)
	}
	if len(rec.repeats) > 0 {
		t.Fatalf("%d (key, nonce) pairs repeated, e.g. %s", len(rec.repeats), rec.repeats[0])
	}
}

// TestRecorderSeesRepeats shows the recorder does catch a repeat: two writers
// fed the same (test-only) randomness reuse every pair.
func TestRecorderSeesRepeats(t *testing.T) {
	rec := &sealRecorder{seen: map[string]int{}}
	ring := ringWith(t, nil, kek1Current)
	a := sealObject(t, ring, vectorIdentity(), MinChunkSize, pattern(5000), sealHooks{rand: newCounterStream("same"), observeSeal: rec.observe})
	b := sealObject(t, ring, vectorIdentity(), MinChunkSize, pattern(5000), sealHooks{rand: newCounterStream("same"), observeSeal: rec.observe})
	if !bytes.Equal(a, b) || len(rec.repeats) != 3 { // wrap + 2 chunks
		t.Fatalf("recorder saw %d repeats, want 3", len(rec.repeats))
	}
}

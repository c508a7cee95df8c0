package orthanca1

import (
	"bytes"
	"testing"
)

// FuzzDecrypt checks that Decrypt never panics, returns nil plaintext with
// every error, and accepts only objects that are exactly what Encrypt
// writes for the recovered IV, DEK and plaintext.
func FuzzDecrypt(f *testing.F) {
	for _, v := range vectors {
		f.Add(loadHex(f, v.file))
	}
	ring := newRing(f, nil, standardKeys)
	f.Fuzz(func(t *testing.T, obj []byte) {
		got, err := Decrypt(obj, ring, "fuzz")
		if err != nil {
			if got != nil {
				t.Fatalf("Decrypt returned %d bytes with error %v", len(got), err)
			}
			return
		}
		id, err := KeyID(obj)
		if err != nil {
			t.Fatalf("Decrypt accepted what KeyID refuses: %v", err)
		}
		kek, err := ring.ForDecrypt(id, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		block, err := kek.Block()
		if err != nil {
			t.Fatal(err)
		}
		ks := keystream(block)
		iv, dek := make([]byte, maskSize), make([]byte, maskSize)
		xorInto(iv, obj[eivOffset:edekOffset], ks)
		xorInto(dek, obj[edekOffset:prefixSize], ks)
		again, err := Encrypt(got, kek, iv, dek)
		if err != nil || !bytes.Equal(again, obj) {
			t.Fatalf("accepted object is not the canonical encryption of its plaintext (%v)", err)
		}
	})
}

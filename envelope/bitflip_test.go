package envelope

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// TestEveryBitFlipFails flips each bit of a two-chunk object in turn (header,
// both chunks, both tags). Every flipped object must be refused by Open, or
// else by both Verify and a full ReadAt, which must return no plaintext.
func TestEveryBitFlipFails(t *testing.T) {
	const c = MinChunkSize
	id := vectorIdentity()
	ring := ringWith(t, nil, kek1Current, kek2Old)
	plain := pattern(c + 20)
	obj := sealObject(t, ring, id, c, plain, sealHooks{})
	if r, err := openObject(obj, ring, id); err != nil || r.Verify() != nil {
		t.Fatalf("unmodified object does not open and verify: %v", err)
	}
	buf := make([]byte, len(plain))
	damaged := bytes.Clone(obj)
	for bit := range len(obj) * 8 {
		at, mask := bit/8, byte(1)<<(bit%8)
		damaged[at] ^= mask
		err := bitFlipFailure(damaged, ring, id, buf)
		damaged[at] ^= mask
		if err == nil {
			t.Fatalf("flipping bit %d (byte %d) went unnoticed", bit%8, at)
		}
		if !errors.Is(err, ErrIntegrity) && !errors.Is(err, keyring.ErrUnknownKEK) {
			t.Fatalf("flipping bit %d of byte %d: %v is neither ErrIntegrity nor ErrUnknownKEK", bit%8, at, err)
		}
	}
}

// bitFlipFailure returns the error that refused obj, or nil if obj was accepted
// anywhere. buf must be zeroed and as long as the plaintext.
func bitFlipFailure(obj []byte, ring *keyring.Keyring, id Identity, buf []byte) error {
	r, err := openObject(obj, ring, id)
	if err != nil {
		return err
	}
	defer r.Close()
	verifyErr := r.Verify()
	n, readErr := r.ReadAt(buf, 0)
	if verifyErr == nil || readErr == nil || n != 0 || !bytes.Equal(buf, make([]byte, len(buf))) {
		return nil
	}
	return verifyErr
}

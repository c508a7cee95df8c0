package orthanca1

import (
	"encoding/binary"
	"fmt"

	"github.com/sealfs/sealfs/keyring"
)

// Encrypt writes plaintext as an A1 object under kek (whose id becomes the
// object's key id), reproducing the Orthanc plugin's writer byte for byte
// for a given 32-byte IV and 32-byte DEK.
//
// It lives in a _test.go file on purpose: sealfs never writes A1 objects,
// and a caller that reuses an IV or DEK, or lets either be seen, breaks
// every object under the same KEK, so no production code can call it.
func Encrypt(plaintext []byte, kek *keyring.KEK, iv, dek []byte) ([]byte, error) {
	if len(iv) != maskSize || len(dek) != maskSize {
		return nil, fmt.Errorf("orthanca1: IV and DEK must be %d bytes each, got %d and %d", maskSize, len(iv), len(dek))
	}
	block, err := kek.Block()
	if err != nil {
		return nil, fmt.Errorf("orthanca1: key id %d: %w", kek.ID(), err)
	}
	aead, err := newGCM(dek)
	if err != nil {
		return nil, err
	}
	ks := keystream(block)
	defer clear(ks)

	obj := make([]byte, prefixSize, len(plaintext)+Overhead)
	copy(obj, versionA1)
	binary.LittleEndian.PutUint32(obj[keyIDOffset:eivOffset], kek.ID())
	xorInto(obj[eivOffset:edekOffset], iv, ks)
	xorInto(obj[edekOffset:prefixSize], dek, ks)
	return aead.Seal(obj, iv, plaintext, obj[:prefixSize]), nil
}

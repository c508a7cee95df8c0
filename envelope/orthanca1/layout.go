package orthanca1

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

const (
	versionA1   = "A1"
	keyIDOffset = 2
	eivOffset   = 6
	edekOffset  = 38
	prefixSize  = 70 // version ‖ key id ‖ EIV ‖ EDEK: the GCM additional data
	maskSize    = 32 // size of KS, the IV and the DEK
	tagSize     = 16

	// Overhead is the number of bytes an A1 object adds to its plaintext.
	Overhead = prefixSize + tagSize
)

// KeyID returns the master key id of an A1 object (uint32 little-endian at
// offset 2). It fails with ErrNotA1 if obj is not an A1 object.
func KeyID(obj []byte) (uint32, error) {
	id, err := keyID(obj)
	if err != nil {
		return 0, fmt.Errorf("orthanca1: %w", err)
	}
	return id, nil
}

// keyID is KeyID with errors that the caller prefixes.
func keyID(obj []byte) (uint32, error) {
	if len(obj) < Overhead {
		return 0, fmt.Errorf("%w: %d bytes, want at least %d", ErrNotA1, len(obj), Overhead)
	}
	if string(obj[:len(versionA1)]) != versionA1 {
		return 0, fmt.Errorf("%w: version bytes %x", ErrNotA1, obj[:len(versionA1)])
	}
	return binary.LittleEndian.Uint32(obj[keyIDOffset:eivOffset]), nil
}

// keystream returns KS: the first 32 bytes of AES-256-CTR under the KEK
// block with an all-zero IV. The caller zeroes it.
func keystream(kek cipher.Block) []byte {
	ks := make([]byte, maskSize)
	cipher.NewCTR(kek, make([]byte, kek.BlockSize())).XORKeyStream(ks, ks)
	return ks
}

// xorInto sets dst[i] = a[i] ^ b[i] for i < len(dst).
func xorInto(dst, a, b []byte) {
	for i := range dst {
		dst[i] = a[i] ^ b[i]
	}
}

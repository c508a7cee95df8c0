package envelope

import "fmt"

// geometry is the chunk layout of one object.
type geometry struct {
	chunkSize int64 // C, plaintext bytes per non-final chunk
	chunks    int64 // n = max(1, ceil(P/C))
	plaintext int64 // P
}

// chunkLog returns log2(size) if size is a valid chunk size, else 0, false.
func chunkLog(size int) (uint8, bool) {
	for l := uint8(minChunkLog); l <= maxChunkLog; l++ {
		if size == 1<<l {
			return l, true
		}
	}
	return 0, false
}

// geometryForCiphertext maps an object size to its layout, or says why none exists.
func geometryForCiphertext(size int64, chunkSize int) (geometry, error) {
	if _, ok := chunkLog(chunkSize); !ok {
		return geometry{}, fmt.Errorf("chunk size %d is not a power of two in %d..%d: %w", chunkSize, MinChunkSize, MaxChunkSize, ErrOutOfRange)
	}
	if size < minObjectSize {
		return geometry{}, fmt.Errorf("object is %d bytes, a complete object has at least %d: %w", size, minObjectSize, ErrTruncated)
	}
	c := int64(chunkSize)
	body := size - HeaderSize
	full, rem := body/(c+tagSize), body%(c+tagSize)
	n := full
	if rem > 0 {
		n++
	}
	if n > maxChunks {
		return geometry{}, fmt.Errorf("object of %d bytes would hold %d chunks, at most %d allowed: %w", size, n, int64(maxChunks), ErrOutOfRange)
	}
	switch {
	case rem == 0:
		return geometry{chunkSize: c, chunks: n, plaintext: full * c}, nil
	case full == 0 && rem == tagSize:
		return geometry{chunkSize: c, chunks: 1, plaintext: 0}, nil
	case rem <= tagSize:
		return geometry{}, fmt.Errorf("object of %d bytes ends in a %d-byte chunk, shorter than a non-empty sealed chunk: %w", size, rem, ErrInvalidLength)
	}
	return geometry{chunkSize: c, chunks: n, plaintext: full*c + rem - tagSize}, nil
}

// geometryForPlaintext returns the layout of a P-byte object; chunkSize must be valid.
func geometryForPlaintext(p int64, chunkSize int) geometry {
	c := int64(chunkSize)
	n := p / c
	if p%c != 0 || n == 0 {
		n++
	}
	return geometry{chunkSize: c, chunks: n, plaintext: p}
}

// ciphertextSize is S = HeaderSize + P + 16·n.
func (g geometry) ciphertextSize() int64 { return HeaderSize + g.plaintext + tagSize*g.chunks }

// plainLen is the plaintext length of chunk i.
func (g geometry) plainLen(i int64) int64 {
	if i < g.chunks-1 {
		return g.chunkSize
	}
	return g.plaintext - (g.chunks-1)*g.chunkSize
}

// sealedLen is the ciphertext length of chunk i (plaintext + tag).
func (g geometry) sealedLen(i int64) int64 { return g.plainLen(i) + tagSize }

// sealedOffset is where chunk i starts in the object.
func (g geometry) sealedOffset(i int64) int64 { return HeaderSize + i*(g.chunkSize+tagSize) }

// PlaintextSize returns the plaintext size of an object of ciphertextSize
// bytes sealed with chunkSize-byte chunks, without reading it. It fails with
// ErrTruncated below the smallest object, ErrOutOfRange for an invalid chunk
// size or more than 2^32 chunks, and ErrInvalidLength for a size that no
// plaintext produces.
func PlaintextSize(ciphertextSize int64, chunkSize int) (int64, error) {
	g, err := geometryForCiphertext(ciphertextSize, chunkSize)
	if err != nil {
		return 0, fmt.Errorf("envelope: %w", err)
	}
	return g.plaintext, nil
}

// CiphertextSize returns the object size for plaintextSize bytes sealed with
// chunkSize-byte chunks: HeaderSize + P + 16·max(1, ⌈P/C⌉). It returns -1 if
// chunkSize is not a power of two from MinChunkSize to MaxChunkSize, if
// plaintextSize is negative, or if the object would need more than 2^32 chunks.
func CiphertextSize(plaintextSize int64, chunkSize int) int64 {
	if _, ok := chunkLog(chunkSize); !ok || plaintextSize < 0 {
		return -1
	}
	g := geometryForPlaintext(plaintextSize, chunkSize)
	if g.chunks > maxChunks {
		return -1
	}
	return g.ciphertextSize()
}

// MaxPlaintextSize is the largest file an object with chunkSize-byte
// chunks can hold (2^32 chunks).
func MaxPlaintextSize(chunkSize int) int64 { return maxChunks * int64(chunkSize) }

package staging

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	slotLenSize   = 4
	nonceSize     = 12
	tagSize       = 16
	slotHeadSize  = slotLenSize + nonceSize
	slotOverhead  = slotHeadSize + tagSize
	maxSeals      = 1 << 30 // per file key; see the package doc
	maxLogicalEnd = 1 << 50 // keeps every slot offset far inside int64
)

// slotBuffers is the per-call scratch space: one sealed slot and one chunk
// of plaintext.
type slotBuffers struct {
	sealed []byte
	plain  []byte
}

// getBuffers returns scratch space for one slot from the File's pool;
// return it with putBuffers.
func (s *File) getBuffers() *slotBuffers {
	if buf, ok := s.buffers.Get().(*slotBuffers); ok {
		return buf
	}
	return &slotBuffers{sealed: make([]byte, s.chunkSize+slotOverhead), plain: make([]byte, s.chunkSize)}
}

// putBuffers returns scratch space to the pool.
func (s *File) putBuffers(buf *slotBuffers) { s.buffers.Put(buf) }

// slotOffset returns where slot i starts in the OS file.
func (s *File) slotOffset(i int64) int64 {
	return s.dataStart + i*int64(s.chunkSize+slotOverhead)
}

// slotEnd returns where the sealed bytes of slot i end when it holds n bytes.
func (s *File) slotEnd(i int64, n int) int64 {
	return s.slotOffset(i) + int64(slotOverhead+n)
}

// slotAAD returns the additional data of slot i holding n bytes.
func slotAAD(i int64, n int) []byte {
	aad := binary.BigEndian.AppendUint64(make([]byte, 0, 12), uint64(i))
	return binary.BigEndian.AppendUint32(aad, uint32(n))
}

// readSlot reads and opens slot i into buf.plain and returns its plaintext
// (buf.plain[:L]; empty for a hole). Any failed check is ErrCorrupt.
func (s *File) readSlot(i int64, buf *slotBuffers) ([]byte, error) {
	n, err := s.f.ReadAt(buf.sealed, s.slotOffset(i))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("staging: reading slot %d: %w", i, err)
	}
	clear(buf.sealed[n:])
	length := binary.BigEndian.Uint32(buf.sealed)
	switch {
	case length == 0:
		if !allZero(buf.sealed) {
			return nil, fmt.Errorf("%w: slot %d is empty but not zero", ErrCorrupt, i)
		}
		return buf.plain[:0], nil
	case length > uint32(s.chunkSize):
		return nil, fmt.Errorf("%w: slot %d length %d exceeds chunk size %d", ErrCorrupt, i, length, s.chunkSize)
	case n < slotOverhead+int(length):
		return nil, fmt.Errorf("%w: slot %d is truncated", ErrCorrupt, i)
	}
	nonce := buf.sealed[slotLenSize:slotHeadSize]
	sealed := buf.sealed[slotHeadSize : slotOverhead+int(length)]
	plain, err := s.aead.Open(buf.plain[:0], nonce, sealed, slotAAD(i, int(length)))
	if err != nil {
		return nil, fmt.Errorf("%w: slot %d fails authentication", ErrCorrupt, i)
	}
	return plain, nil
}

// writeSlot seals plain (1..C bytes) as slot i with a fresh random nonce
// and writes it with one positioned write. The caller holds the write lock.
func (s *File) writeSlot(i int64, plain []byte, buf *slotBuffers) error {
	if s.seals >= maxSeals {
		return ErrTooManyWrites
	}
	s.seals++
	sealed := buf.sealed[:slotHeadSize]
	binary.BigEndian.PutUint32(sealed, uint32(len(plain)))
	nonce := sealed[slotLenSize:slotHeadSize]
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("staging: nonce: %w", err)
	}
	sealed = s.aead.Seal(sealed, nonce, plain, slotAAD(i, len(plain)))
	if _, err := s.f.WriteAt(sealed, s.slotOffset(i)); err != nil {
		return fmt.Errorf("staging: writing slot %d: %w", i, err)
	}
	return nil
}

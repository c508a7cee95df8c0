package envelope

import (
	"encoding/binary"
	"fmt"
)

// objectHeader is a version 1 header, byte for byte.
type objectHeader [HeaderSize]byte

// parseHeader validates the fields of b's first HeaderSize bytes that need
// no key, in the order docs/format.md gives, and returns a copy.
func parseHeader(b []byte) (*objectHeader, error) {
	if len(b) < HeaderSize {
		return nil, fmt.Errorf("header is %d bytes, want %d: %w", len(b), HeaderSize, ErrTruncated)
	}
	if string(b[offMagic:offMagic+len(magic)]) != magic {
		return nil, ErrNotSealfs
	}
	if v := b[offVersion]; v != formatVersion {
		return nil, fmt.Errorf("version %d: %w", v, ErrUnsupportedVersion)
	}
	if s := b[offSuite]; s != suiteAESGCM {
		return nil, fmt.Errorf("suite %d: %w", s, ErrUnsupportedSuite)
	}
	if r := b[offReserved]; r != 0 {
		return nil, fmt.Errorf("reserved byte is %#02x, want 0: %w", r, ErrOutOfRange)
	}
	switch n := binary.BigEndian.Uint16(b[offHeaderLen:]); {
	case n > maxHeaderSize:
		return nil, fmt.Errorf("header length %d exceeds %d: %w", n, maxHeaderSize, ErrOutOfRange)
	case n != HeaderSize:
		return nil, fmt.Errorf("header length %d, version 1 wants %d: %w", n, HeaderSize, ErrOutOfRange)
	}
	if l := b[offChunkLog]; l < minChunkLog || l > maxChunkLog {
		return nil, fmt.Errorf("log2 chunk size %d outside %d..%d: %w", l, minChunkLog, maxChunkLog, ErrOutOfRange)
	}
	h := new(objectHeader)
	copy(h[:], b)
	return h, nil
}

// newHeader starts a header with the immutable part filled in.
func newHeader(chunkLog uint8, bodySalt []byte) *objectHeader {
	h := new(objectHeader)
	copy(h[offMagic:], magic)
	h[offVersion] = formatVersion
	h[offSuite] = suiteAESGCM
	h[offChunkLog] = chunkLog
	binary.BigEndian.PutUint16(h[offHeaderLen:], HeaderSize)
	copy(h[offBodySalt:offBodySalt+saltSize], bodySalt)
	return h
}

func (h *objectHeader) immutable() []byte  { return h[:immutableSize] }
func (h *objectHeader) chunkSize() int     { return 1 << h[offChunkLog] }
func (h *objectHeader) bodySalt() []byte   { return h[offBodySalt : offBodySalt+saltSize] }
func (h *objectHeader) kekID() uint32      { return binary.BigEndian.Uint32(h[offKEKID:]) }
func (h *objectHeader) kekIDBytes() []byte { return h[offKEKID : offKEKID+4] }
func (h *objectHeader) wrapSalt() []byte   { return h[offWrapSalt : offWrapSalt+saltSize] }
func (h *objectHeader) kcv() []byte        { return h[offKCV : offKCV+checkValueSize] }
func (h *objectHeader) wrappedDEK() []byte { return h[offWrappedDEK : offWrappedDEK+wrappedDEKLen] }
func (h *objectHeader) icv() []byte        { return h[offICV : offICV+checkValueSize] }

// wrapAAD is the associated data of the DEK wrap: immutable part ‖ kek_id.
func (h *objectHeader) wrapAAD() []byte { return h[:offKEKID+4] }

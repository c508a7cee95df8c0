package staging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	magic          = "sealfs-stage"
	formatVersion  = 1
	minChunkLog    = 12
	maxChunkLog    = 20
	maxPathLen     = 4096
	saltSize       = 32
	kcvSize        = 16
	fileKeySize    = 32
	wrappedKeySize = fileKeySize + 16
	dataAlign      = 4096

	// Offsets of the header fields.
	offVersion  = 12
	offChunkLog = 13
	offReserved = 14
	offKEKID    = 16
	offSalt     = 20
	offKCV      = offSalt + saltSize
	offVolume   = offKCV + kcvSize
	offPathLen  = offVolume + 16
	fixedSize   = offPathLen + 2 // header bytes before the path
)

// header is the decoded staging header.
type header struct {
	chunkLog uint8
	kekID    uint32
	salt     [saltSize]byte
	kcv      [kcvSize]byte
	volume   [16]byte
	path     string
	wrapped  [wrappedKeySize]byte
}

// size returns the encoded header length.
func (h *header) size() int { return fixedSize + len(h.path) + wrappedKeySize }

// dataStart returns the offset of slot 0: the header length rounded up to 4096.
func (h *header) dataStart() int64 {
	return (int64(h.size()) + dataAlign - 1) / dataAlign * dataAlign
}

// marshal encodes the header. The additional data of the key wrap is
// everything but the last wrappedKeySize bytes.
func (h *header) marshal() []byte {
	b := make([]byte, h.size())
	copy(b, magic)
	b[offVersion] = formatVersion
	b[offChunkLog] = h.chunkLog
	binary.BigEndian.PutUint32(b[offKEKID:], h.kekID)
	copy(b[offSalt:], h.salt[:])
	copy(b[offKCV:], h.kcv[:])
	copy(b[offVolume:], h.volume[:])
	binary.BigEndian.PutUint16(b[offPathLen:], uint16(len(h.path)))
	copy(b[fixedSize:], h.path)
	copy(b[fixedSize+len(h.path):], h.wrapped[:])
	return b
}

// wrapAAD returns the header bytes the key wrap authenticates.
func wrapAAD(raw []byte) []byte { return raw[:len(raw)-wrappedKeySize] }

// readHeader reads and checks the header of r, bounding every length before
// allocating. It returns the header and its raw bytes.
func readHeader(r io.ReaderAt) (*header, []byte, error) {
	fixed := make([]byte, fixedSize)
	n, err := r.ReadAt(fixed, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("staging: reading header: %w", err)
	}
	if n < len(magic) || string(fixed[:len(magic)]) != magic {
		return nil, nil, ErrNotStaging
	}
	if n < offVersion+1 {
		return nil, nil, fmt.Errorf("%w: header truncated at %d bytes", ErrCorrupt, n)
	}
	if v := fixed[offVersion]; v != formatVersion {
		return nil, nil, fmt.Errorf("%w: version %d, want %d", ErrUnsupportedVersion, v, formatVersion)
	}
	if n < fixedSize {
		return nil, nil, fmt.Errorf("%w: header truncated at %d bytes", ErrCorrupt, n)
	}
	h := &header{chunkLog: fixed[offChunkLog], kekID: binary.BigEndian.Uint32(fixed[offKEKID:])}
	if h.chunkLog < minChunkLog || h.chunkLog > maxChunkLog {
		return nil, nil, fmt.Errorf("%w: log2 chunk size %d outside %d..%d", ErrCorrupt, h.chunkLog, minChunkLog, maxChunkLog)
	}
	if fixed[offReserved] != 0 || fixed[offReserved+1] != 0 {
		return nil, nil, fmt.Errorf("%w: reserved header bytes are not zero", ErrCorrupt)
	}
	pathLen := int(binary.BigEndian.Uint16(fixed[offPathLen:]))
	if pathLen == 0 || pathLen > maxPathLen {
		return nil, nil, fmt.Errorf("%w: path length %d outside 1..%d", ErrCorrupt, pathLen, maxPathLen)
	}
	raw := make([]byte, fixedSize+pathLen+wrappedKeySize)
	copy(raw, fixed)
	if n, err := r.ReadAt(raw[fixedSize:], fixedSize); n < len(raw)-fixedSize {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("%w: header truncated", ErrCorrupt)
		}
		return nil, nil, fmt.Errorf("staging: reading header: %w", err)
	}
	copy(h.salt[:], raw[offSalt:])
	copy(h.kcv[:], raw[offKCV:])
	copy(h.volume[:], raw[offVolume:])
	h.path = string(raw[fixedSize : fixedSize+pathLen])
	copy(h.wrapped[:], raw[fixedSize+pathLen:])
	return h, raw, nil
}

// checkPadding verifies that the bytes between the header and the data
// area, as far as the file has them, are zero.
func checkPadding(r io.ReaderAt, h *header) error {
	pad := make([]byte, h.dataStart()-int64(h.size()))
	n, err := r.ReadAt(pad, int64(h.size()))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("staging: reading header padding: %w", err)
	}
	if !allZero(pad[:n]) {
		return fmt.Errorf("%w: header padding is not zero", ErrCorrupt)
	}
	return nil
}

// allZero reports whether every byte of b is zero.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

package envelope

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/sealfs/sealfs/keyring"
)

// runChunks is how many contiguous chunks ReadAt fetches with one src.ReadAt.
const runChunks = 16

// Reader gives authenticated random access to one object. It is safe for
// concurrent use; Close makes every later call fail.
type Reader struct {
	src    io.ReaderAt
	id     Identity
	object string // id.String(), for errors and audit lines
	kekID  uint32
	geo    geometry
	audit  keyring.Auditor
	pool   sync.Pool // *scratch; holds no plaintext when idle

	mu   sync.RWMutex
	aead cipher.AEAD // keyed by K_body; nil once closed
}

// Open checks an object of size bytes read from src, sealed for id: the
// header fields, the key slot (the keyring refuses unknown and revoked KEK
// ids), the key check value, the wrapped DEK, the identity check value and
// the final chunk, which authenticates the length. Other chunks are checked
// as ReadAt touches them, or all at once by Verify.
func Open(src io.ReaderAt, size int64, ring *keyring.Keyring, id Identity) (*Reader, error) {
	object := id.String()
	// Failures before the key slot is read are audited here; the key slot
	// and the chunks audit their own.
	refuse := func(err error) error {
		if errors.Is(err, ErrIntegrity) {
			ring.Auditor().Audit(keyring.Event{Kind: keyring.IntegrityFailed, Object: object, Err: err})
		}
		return err
	}
	if size < minObjectSize {
		return nil, refuse(fmt.Errorf("envelope: opening %s: object is %d bytes, a complete object has at least %d: %w", object, size, minObjectSize, ErrTruncated))
	}
	var raw [HeaderSize]byte
	if err := readFull(src, raw[:], 0); err != nil {
		return nil, refuse(fmt.Errorf("envelope: opening %s: header: %w", object, err))
	}
	h, err := parseHeader(raw[:])
	if err != nil {
		return nil, refuse(fmt.Errorf("envelope: opening %s: %w", object, err))
	}
	geo, err := geometryForCiphertext(size, h.chunkSize())
	if err != nil {
		return nil, refuse(fmt.Errorf("envelope: opening %s: %w", object, err))
	}
	dek, kBody, err := unlockKeySlot(h, ring, id)
	if err != nil {
		return nil, err
	}
	clear(dek)
	aead, err := newAEAD(kBody)
	clear(kBody)
	if err != nil {
		return nil, fmt.Errorf("envelope: opening %s: %w", object, err)
	}
	r := &Reader{src: src, id: id, object: object, kekID: h.kekID(), geo: geo, audit: ring.Auditor(), aead: aead}
	s := r.getScratch(2*geo.chunkSize + tagSize)
	defer r.pool.Put(s)
	if err := r.verifyFinal(aead, s); err != nil {
		return nil, err
	}
	return r, nil
}

// Size returns the plaintext size.
func (r *Reader) Size() int64 { return r.geo.plaintext }

// KEKID returns the id of the KEK that wraps the object's data key.
func (r *Reader) KEKID() uint32 { return r.kekID }

// ChunkSize returns the object's plaintext chunk size.
func (r *Reader) ChunkSize() int { return int(r.geo.chunkSize) }

// ReadAt reads plaintext at off with io.ReaderAt semantics (io.EOF at or
// past the end). It fetches only the chunks the range touches, up to 16
// contiguous chunks per src.ReadAt, and authenticates each. If any touched
// chunk fails it returns 0 and the error, and p holds no plaintext.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("envelope: %s: read at negative offset %d: %w", r.object, off, fs.ErrInvalid)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.aead == nil {
		return 0, fmt.Errorf("envelope: %s: read after Close: %w", r.object, fs.ErrClosed)
	}
	if off >= r.geo.plaintext {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.geo.plaintext-off))
	if n == 0 {
		return 0, nil
	}
	if err := r.readRange(p[:n], off); err != nil {
		clear(p[:n])
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readRange fills p (non-empty, inside the plaintext) with the plaintext at off.
func (r *Reader) readRange(p []byte, off int64) error {
	c, stride := r.geo.chunkSize, r.geo.chunkSize+tagSize
	end := off + int64(len(p))
	first, last := off/c, (end-1)/c
	s := r.getScratch(min(last-first+1, runChunks) * stride)
	defer r.pool.Put(s)
	for run := first; run <= last; run += runChunks {
		runLast := min(run+runChunks-1, last)
		start := r.geo.sealedOffset(run)
		sealedRun := s.buf[:r.geo.sealedOffset(runLast)+r.geo.sealedLen(runLast)-start]
		if err := readFull(r.src, sealedRun, start); err != nil {
			return r.readFailure(run, err)
		}
		for i := run; i <= runLast; i++ {
			at := (i - run) * stride
			sealed := sealedRun[at : at+r.geo.sealedLen(i)]
			nonce := s.chunkNonce(i, i == r.geo.chunks-1)
			plainStart, plainLen := i*c, r.geo.plainLen(i)
			if plainStart >= off && plainStart+plainLen <= end {
				// The whole chunk is wanted: decrypt straight into p.
				to := plainStart - off
				if _, err := r.aead.Open(p[to:to:to+plainLen], nonce, sealed, nil); err != nil {
					return r.chunkFailure(i, ErrChunkTampered)
				}
				continue
			}
			plain, err := r.aead.Open(sealed[:0], nonce, sealed, nil)
			if err != nil {
				return r.chunkFailure(i, ErrChunkTampered)
			}
			lo, hi := max(off, plainStart), min(end, plainStart+plainLen)
			copy(p[lo-off:hi-off], plain[lo-plainStart:hi-plainStart])
			clear(plain)
		}
	}
	return nil
}

// Verify authenticates every chunk in order, with memory for one chunk,
// keeping no plaintext. It returns the first failure.
func (r *Reader) Verify() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.aead == nil {
		return fmt.Errorf("envelope: %s: verify after Close: %w", r.object, fs.ErrClosed)
	}
	s := r.getScratch(2*r.geo.chunkSize + tagSize)
	defer r.pool.Put(s)
	stride := r.geo.chunkSize + tagSize
	for i := int64(0); i < r.geo.chunks-1; i++ {
		sealed := s.buf[:stride]
		if err := readFull(r.src, sealed, r.geo.sealedOffset(i)); err != nil {
			return r.readFailure(i, err)
		}
		plain, err := r.aead.Open(sealed[:0], s.chunkNonce(i, false), sealed, nil)
		if err != nil {
			return r.chunkFailure(i, ErrChunkTampered)
		}
		clear(plain)
	}
	return r.verifyFinal(r.aead, s)
}

// Close drops the body key: Open already zeroed its copy of K_body, and the
// AES key schedule inside the cipher, which Go cannot zero, is released to
// the garbage collector. Later calls fail. Close is idempotent.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aead = nil
	return nil
}

// verifyFinal authenticates the final chunk, using s (at least 2C+16
// bytes). On failure it tells a cut at a chunk boundary (ErrTruncated) and
// appended chunks (ErrTrailingData) from other damage (ErrChunkTampered).
func (r *Reader) verifyFinal(aead cipher.AEAD, s *scratch) error {
	stride := r.geo.chunkSize + tagSize
	last := r.geo.chunks - 1
	sealed := s.buf[:r.geo.sealedLen(last)]
	plain := s.buf[stride:stride]
	if err := readFull(r.src, sealed, r.geo.sealedOffset(last)); err != nil {
		return r.readFailure(last, err)
	}
	opens := func(index int64, final bool, sealed []byte) bool {
		out, err := aead.Open(plain, s.chunkNonce(index, final), sealed, nil)
		clear(out)
		return err == nil
	}
	if opens(last, true, sealed) {
		return nil
	}
	switch {
	case int64(len(sealed)) == stride && opens(last, false, sealed):
		return r.chunkFailure(last, ErrTruncated)
	case last > 0:
		prev := s.buf[:stride]
		if readFull(r.src, prev, r.geo.sealedOffset(last-1)) == nil && opens(last-1, true, prev) {
			return r.chunkFailure(last, ErrTrailingData)
		}
	}
	return r.chunkFailure(last, ErrChunkTampered)
}

// chunkFailure wraps an integrity sentinel with the chunk's context and audits it.
func (r *Reader) chunkFailure(index int64, sentinel error) error {
	err := fmt.Errorf("envelope: %s: kek %d: chunk %d: %w", r.object, r.kekID, index, sentinel)
	r.audit.Audit(keyring.Event{Kind: keyring.IntegrityFailed, KEKID: r.kekID, Object: r.object, Err: err})
	return err
}

// readFailure reports a failed fetch of chunks starting at index: a source
// shorter than the object's size is an integrity failure, anything else an
// I/O error.
func (r *Reader) readFailure(index int64, err error) error {
	if errors.Is(err, ErrTruncated) {
		return r.chunkFailure(index, err)
	}
	return fmt.Errorf("envelope: %s: reading chunk %d: %w", r.object, index, err)
}

// scratch is one pooled work area of a Reader: room for sealed chunks and a
// nonce (kept here so that it does not escape to the heap on every chunk).
type scratch struct {
	buf   []byte
	nonce [nonceSize]byte
}

// chunkNonce sets and returns the nonce of chunk index.
func (s *scratch) chunkNonce(index int64, last bool) []byte {
	s.nonce = chunkNonce(uint64(index), last)
	return s.nonce[:]
}

// getScratch returns a work area with at least n bytes of buffer, from the
// pool when one there is large enough. Return it with r.pool.Put.
func (r *Reader) getScratch(n int64) *scratch {
	if s, ok := r.pool.Get().(*scratch); ok && int64(cap(s.buf)) >= n {
		s.buf = s.buf[:n]
		return s
	}
	return &scratch{buf: make([]byte, n)}
}

// readFull reads exactly len(b) bytes at off. A source that ends early is
// reported as ErrTruncated.
func readFull(src io.ReaderAt, b []byte, off int64) error {
	n, err := src.ReadAt(b, off)
	switch {
	case n == len(b):
		return nil
	case err == nil || errors.Is(err, io.EOF):
		return fmt.Errorf("source ended after %d of %d bytes at offset %d: %w", n, len(b), off, ErrTruncated)
	}
	return err
}

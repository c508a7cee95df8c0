package envelope

import (
	"crypto/cipher"
	"fmt"
	"io"
	"io/fs"

	"github.com/sealfs/sealfs/keyring"
)

// WriterOptions tunes a Writer.
type WriterOptions struct {
	// ChunkSize is the plaintext chunk size: 0 for DefaultChunkSize, else a
	// power of two from MinChunkSize to MaxChunkSize.
	ChunkSize int

	hooks sealHooks // test-only seams; always zero outside this package's tests
}

// Writer seals a plaintext stream into one object version, in one pass, with
// memory for one chunk. It is not safe for concurrent use.
type Writer struct {
	dst       io.Writer
	id        Identity
	hooks     sealHooks
	chunkSize int
	aead      cipher.AEAD
	kBody     []byte
	buf       []byte          // chunkSize+16: the pending plaintext chunk, sealed in place
	pending   int             // plaintext bytes in buf
	index     uint64          // index of the pending chunk
	nonce     [nonceSize]byte // the nonce of the chunk being sealed
	size      int64           // plaintext bytes accepted
	err       error           // first failure; the writer is unusable after it
	closed    bool
}

// NewWriter starts a new object version for id: it draws a fresh DEK and
// salts, wraps the DEK under ring.Current() and writes the header to dst at
// once. Write the plaintext, then Close to seal the final chunk. A
// ChunkSize that is not 0 or a valid chunk size fails with ErrOutOfRange.
func NewWriter(dst io.Writer, ring *keyring.Keyring, id Identity, opts WriterOptions) (*Writer, error) {
	chunkSize := opts.ChunkSize
	if chunkSize == 0 {
		chunkSize = DefaultChunkSize
	}
	log, ok := chunkLog(chunkSize)
	if !ok {
		return nil, fmt.Errorf("envelope: chunk size %d is not a power of two in %d..%d: %w", chunkSize, MinChunkSize, MaxChunkSize, ErrOutOfRange)
	}
	kek, err := ring.Current()
	if err != nil {
		return nil, fmt.Errorf("envelope: sealing %s: %w", id, err)
	}

	var dek, bodySalt [keySize]byte
	defer clear(dek[:])
	if err := opts.hooks.random(dek[:]); err != nil {
		return nil, fmt.Errorf("envelope: sealing %s: %w", id, err)
	}
	if err := opts.hooks.random(bodySalt[:]); err != nil {
		return nil, fmt.Errorf("envelope: sealing %s: %w", id, err)
	}
	h := newHeader(log, bodySalt[:])
	if err := sealKeySlot(h, kek, dek[:], opts.hooks); err != nil {
		return nil, fmt.Errorf("envelope: sealing %s: %w", id, err)
	}
	kBody, icv, err := deriveBodyKey(dek[:], h, id)
	if err != nil {
		return nil, fmt.Errorf("envelope: sealing %s: %w", id, err)
	}
	copy(h.icv(), icv)
	aead, err := newAEAD(kBody)
	if err != nil {
		clear(kBody)
		return nil, fmt.Errorf("envelope: sealing %s: %w", id, err)
	}
	if err := writeAll(dst, h[:]); err != nil {
		clear(kBody)
		return nil, fmt.Errorf("envelope: writing header of %s: %w", id, err)
	}
	return &Writer{
		dst:       dst,
		id:        id,
		hooks:     opts.hooks,
		chunkSize: chunkSize,
		aead:      aead,
		kBody:     kBody,
		buf:       make([]byte, chunkSize+tagSize),
	}, nil
}

// Write accepts plaintext. A chunk is sealed and written to dst only once a
// byte of the next chunk arrives, so the final chunk is sealed by Close.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		if w.pending == w.chunkSize {
			if err := w.sealChunk(w.buf[:w.pending], false); err != nil {
				return written, err
			}
			w.pending = 0
		}
		if w.pending == 0 && len(p) > w.chunkSize {
			// A whole chunk with more after it: seal it straight from p.
			if err := w.sealChunk(p[:w.chunkSize], false); err != nil {
				return written, err
			}
			p = p[w.chunkSize:]
			written += w.chunkSize
			w.size += int64(w.chunkSize)
			continue
		}
		n := copy(w.buf[w.pending:w.chunkSize], p)
		w.pending += n
		p = p[n:]
		written += n
		w.size += int64(n)
	}
	return written, nil
}

// ReadFrom reads r to EOF straight into the chunk buffer (io.Copy uses it).
// It returns the number of bytes read and the first read or write error.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	var total int64
	for {
		// Read up to one tag's length past the chunk: a byte there proves
		// the pending chunk is not the final one, so it can be sealed.
		n, rerr := r.Read(w.buf[w.pending:])
		w.pending += n
		total += int64(n)
		w.size += int64(n)
		if w.pending > w.chunkSize {
			var ahead [tagSize]byte
			k := copy(ahead[:], w.buf[w.chunkSize:w.pending])
			w.pending = w.chunkSize
			if err := w.sealChunk(w.buf[:w.chunkSize], false); err != nil {
				return total, err
			}
			w.pending = copy(w.buf, ahead[:k])
		}
		switch {
		case rerr == io.EOF:
			return total, nil
		case rerr != nil:
			return total, rerr
		}
	}
}

// Close seals and writes the final chunk, then zeroes the keys. It does not
// close dst. Calling it again returns the first call's result.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if w.err == nil {
		_ = w.sealChunk(w.buf[:w.pending], true) // sets w.err on failure
	}
	w.closed = true
	w.pending = 0
	clear(w.buf)
	clear(w.kBody)
	w.kBody, w.aead = nil, nil
	return w.err
}

// Size returns the number of plaintext bytes written so far.
func (w *Writer) Size() int64 { return w.size }

// usable returns why the writer cannot take more data, if it cannot.
func (w *Writer) usable() error {
	if w.closed {
		return fmt.Errorf("envelope: write to %s after Close: %w", w.id, fs.ErrClosed)
	}
	return w.err
}

// sealChunk seals plaintext as the pending chunk index into buf and writes it
// to dst. plaintext is either buf's own prefix (sealed in place) or a slice
// of the caller's data. Any failure is sticky.
func (w *Writer) sealChunk(plaintext []byte, last bool) error {
	if !last && w.index >= maxChunks-1 {
		w.err = fmt.Errorf("envelope: %s: more than %d chunks: %w", w.id, int64(maxChunks), ErrOutOfRange)
		return w.err
	}
	w.nonce = chunkNonce(w.index, last)
	w.hooks.observe(w.kBody, w.nonce[:])
	sealed := w.aead.Seal(w.buf[:0], w.nonce[:], plaintext, nil)
	if err := writeAll(w.dst, sealed); err != nil {
		w.err = fmt.Errorf("envelope: writing chunk %d of %s: %w", w.index, w.id, err)
		return w.err
	}
	w.index++
	return nil
}

// writeAll writes b to dst, turning a silent short write into an error.
func writeAll(dst io.Writer, b []byte) error {
	n, err := dst.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
}

package fs

import (
	"io"
	"sync"
)

// readWindow is how much of a large remote object one ranged request
// fetches when reads are sequential.
const readWindow = 8 << 20

// windowReader reads a remote object through one window of ciphertext
// fetched with a single ranged request: a sequential reader then costs one
// request per window instead of one per FUSE read. The window's memory is
// taken from the budget while the reader is open.
type windowReader struct {
	src  io.ReaderAt
	size int64

	mu      sync.Mutex
	buf     []byte
	off     int64 // offset of buf[0] in the object
	n       int   // valid bytes in buf
	release func()
}

func newWindowReader(src io.ReaderAt, size int64, window int, reserve func(int64) func()) *windowReader {
	w := int(min(int64(window), size))
	return &windowReader{src: src, size: size, buf: make([]byte, w), release: reserve(int64(w))}
}

// ReadAt serves p from the window, refilling it from off when p is not
// inside. Reads larger than the window go straight to the source.
func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > len(w.buf) {
		return w.src.ReadAt(p, off)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if off < w.off || off+int64(len(p)) > w.off+int64(w.n) {
		n, err := w.src.ReadAt(w.buf, off)
		if err != nil && err != io.EOF {
			w.n = 0
			return 0, err
		}
		w.off, w.n = off, n
	}
	start := int(off - w.off)
	n := copy(p, w.buf[start:w.n])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close gives the window back to the budget.
func (w *windowReader) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = nil
	w.release()
	return nil
}

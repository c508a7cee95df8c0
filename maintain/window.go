package maintain

import (
	"fmt"
	"io"
)

// readWindow is how much of an object one store read fetches: verify and
// rotate read objects front to back, in chunk-sized (verify) or buffer-sized
// (rotate) pieces, and on object stores every ReadAt is a request.
const readWindow = 1 << 20

// windowReader serves ReadAt calls from one window of the object, fetched
// with a single ReadAt of up to len(buf) bytes at the first offset that
// misses it. Sequential reads thus cost one store request per window. Not
// safe for concurrent use (Reader.Verify and io.Copy read sequentially).
type windowReader struct {
	src  io.ReaderAt
	size int64
	buf  []byte
	off  int64 // object offset of buf[0]
	n    int   // valid bytes in buf
}

func newWindowReader(src io.ReaderAt, size int64, buf []byte) *windowReader {
	return &windowReader{src: src, size: size, buf: buf}
}

// ReadAt implements io.ReaderAt.
func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at negative offset %d", off)
	}
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		if pos >= w.size {
			return done, io.EOF
		}
		if pos < w.off || pos >= w.off+int64(w.n) {
			if len(p)-done >= len(w.buf) {
				// A read as large as the window gains nothing from it.
				n, err := w.src.ReadAt(p[done:], pos)
				done += n
				if err != nil {
					return done, err
				}
				continue
			}
			if err := w.fill(pos); err != nil {
				return done, err
			}
		}
		done += copy(p[done:], w.buf[pos-w.off:w.n])
	}
	return done, nil
}

// fill reads the window starting at pos.
func (w *windowReader) fill(pos int64) error {
	want := int(min(int64(len(w.buf)), w.size-pos))
	w.n = 0
	n, err := w.src.ReadAt(w.buf[:want], pos)
	if n == want && err == io.EOF {
		err = nil
	}
	if err != nil {
		return err
	}
	w.off, w.n = pos, n
	return nil
}

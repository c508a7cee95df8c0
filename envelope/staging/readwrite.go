package staging

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// errNegativeOffset is returned for negative offsets and sizes.
var errNegativeOffset = errors.New("negative offset")

// ReadAt reads len(p) bytes at plaintext offset off, with io.ReaderAt
// semantics: fewer bytes only at the end of the file, with io.EOF. Holes
// read as zeros. If any slot fails its check the result is an error
// wrapping ErrCorrupt, n is 0 and p is zeroed: never wrong bytes.
func (s *File) ReadAt(p []byte, off int64) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("staging: read %s at %d: %w", s.path, off, errNegativeOffset)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= s.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), s.size) // off < size, so no overflow
	chunk := int64(s.chunkSize)
	buf := s.getBuffers()
	defer s.putBuffers(buf)
	for i := off / chunk; i*chunk < end; i++ {
		plain, err := s.readSlot(i, buf)
		if err != nil {
			clear(p)
			return 0, fmt.Errorf("staging: read %s: %w", s.path, err)
		}
		lo, hi := max(off, i*chunk), min(end, (i+1)*chunk)
		dst := p[lo-off : hi-off]
		n := copy(dst, plain[min(lo-i*chunk, int64(len(plain))):])
		clear(dst[n:])
	}
	if n := int(end - off); n < len(p) {
		return n, io.EOF
	}
	return len(p), nil
}

// WriteAt writes p at plaintext offset off, sealing every slot it touches
// again under a fresh nonce (read-modify-write for partly covered slots).
// Writing past the end leaves holes that read as zeros. It returns the
// number of bytes written, whole slots at a time, and an error if that is
// less than len(p).
func (s *File) WriteAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("staging: write %s at %d: %w", s.path, off, errNegativeOffset)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off > maxLogicalEnd || int64(len(p)) > maxLogicalEnd-off {
		return 0, fmt.Errorf("staging: write %s: end past %d bytes: %w", s.path, int64(maxLogicalEnd), syscall.EFBIG)
	}
	end := off + int64(len(p))
	chunk := int64(s.chunkSize)
	buf := s.getBuffers()
	defer s.putBuffers(buf)
	written := 0
	for i := off / chunk; i*chunk < end; i++ {
		start := i * chunk
		lo, hi := max(off, start)-start, min(end, start+chunk)-start
		plain, err := s.slotForUpdate(i, lo == 0 && hi == chunk, buf)
		if err != nil {
			return written, fmt.Errorf("staging: write %s: %w", s.path, err)
		}
		oldLen := int64(len(plain))
		plain = buf.plain[:max(oldLen, hi)]
		if oldLen < lo {
			clear(plain[oldLen:lo]) // a hole between the old end and the write
		}
		copy(plain[lo:hi], p[start+lo-off:])
		if err := s.writeSlot(i, plain, buf); err != nil {
			return written, fmt.Errorf("staging: write %s: %w", s.path, err)
		}
		written += int(hi - lo)
		s.size = max(s.size, start+hi)
	}
	return written, nil
}

// slotForUpdate returns the current plaintext of slot i before it is
// rewritten: nothing if the write covers the whole slot or the slot lies
// past the end of the file, else the verified slot contents.
func (s *File) slotForUpdate(i int64, whole bool, buf *slotBuffers) ([]byte, error) {
	if whole || i*int64(s.chunkSize) >= s.size {
		return buf.plain[:0], nil
	}
	return s.readSlot(i, buf)
}

// Truncate changes the logical size. Extending writes the new last slot
// (zero-filled, so the size survives a crash); shrinking rewrites the new
// last slot shorter if needed; both then cut the OS file after that slot.
func (s *File) Truncate(size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("staging: truncate %s to %d: %w", s.path, size, errNegativeOffset)
	}
	if size > maxLogicalEnd {
		return fmt.Errorf("staging: truncate %s to %d: %w", s.path, size, syscall.EFBIG)
	}
	if size == s.size {
		return nil
	}
	if size == 0 {
		return s.cutAfter(s.headerLen, 0)
	}
	chunk := int64(s.chunkSize)
	last := (size - 1) / chunk
	want := int(size - last*chunk)
	buf := s.getBuffers()
	defer s.putBuffers(buf)
	plain, err := s.slotForUpdate(last, false, buf)
	if err != nil {
		return fmt.Errorf("staging: truncate %s: %w", s.path, err)
	}
	if len(plain) != want {
		oldLen := min(len(plain), want)
		plain = buf.plain[:want]
		clear(plain[oldLen:])
		if err := s.writeSlot(last, plain, buf); err != nil {
			return fmt.Errorf("staging: truncate %s: %w", s.path, err)
		}
	}
	return s.cutAfter(s.slotEnd(last, want), size)
}

// cutAfter truncates the OS file to osSize and records the new logical
// size. If the OS truncation fails, old slots past the new end may remain,
// so the File refuses every later call rather than risk reading them back.
func (s *File) cutAfter(osSize, size int64) error {
	if err := s.f.Truncate(osSize); err != nil {
		s.broken = fmt.Errorf("truncating %s: %w", s.f.Name(), err)
		return fmt.Errorf("staging: truncate %s: %w", s.path, s.broken)
	}
	s.size = size
	return nil
}

package staging

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/keyring"
)

// File is an open staging file. It is safe for concurrent use: reads run in
// parallel, writes and truncations one at a time. Each call uses memory
// proportional to the chunk size, not to the file size.
type File struct {
	f         *os.File
	path      string
	volume    [16]byte
	kekID     uint32
	chunkSize int
	headerLen int64
	dataStart int64

	mu    sync.RWMutex
	key   [fileKeySize]byte
	aead  cipher.AEAD
	size  int64
	seals uint64

	buffers sync.Pool // of *slotBuffers: memory O(chunk) per call in flight
	broken  error     // set when the OS file may no longer match size; every later call fails
	closed  bool
}

// Create starts a staging file in f, which must be empty, for the file at
// path (1..4096 bytes) of volume. It wraps a fresh random file key under
// ring.Current(), writes the header and syncs f. chunkSize must be a power
// of two from 4096 to 1048576. On success the File owns f; the caller
// still syncs the directory that holds it.
func Create(f *os.File, ring *keyring.Keyring, volume [16]byte, path string, chunkSize int) (*File, error) {
	if chunkSize < 1<<minChunkLog || chunkSize > 1<<maxChunkLog || chunkSize&(chunkSize-1) != 0 {
		return nil, fmt.Errorf("staging: chunk size %d is not a power of two from %d to %d", chunkSize, 1<<minChunkLog, 1<<maxChunkLog)
	}
	if len(path) == 0 || len(path) > maxPathLen {
		return nil, fmt.Errorf("staging: path length %d outside 1..%d", len(path), maxPathLen)
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	if info.Size() != 0 {
		return nil, fmt.Errorf("staging: %s is not empty (%d bytes): %w", f.Name(), info.Size(), fs.ErrExist)
	}
	kek, err := ring.Current()
	if err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	h := &header{chunkLog: uint8(bits.TrailingZeros(uint(chunkSize))), kekID: kek.ID(), volume: volume, path: path}
	if _, err := rand.Read(h.salt[:]); err != nil {
		return nil, fmt.Errorf("staging: wrap salt: %w", err)
	}
	s := newFile(f, h)
	if _, err := rand.Read(s.key[:]); err != nil {
		return nil, fmt.Errorf("staging: file key: %w", err)
	}
	raw, err := sealKeySlot(kek, h, &s.key)
	if err == nil {
		err = s.initCipher()
	}
	if err != nil {
		s.dropKey()
		return nil, err
	}
	if _, err := f.WriteAt(raw, 0); err != nil {
		s.dropKey()
		return nil, fmt.Errorf("staging: writing header: %w", err)
	}
	if err := f.Sync(); err != nil {
		s.dropKey()
		return nil, fmt.Errorf("staging: syncing header: %w", err)
	}
	return s, nil
}

// Open recovers a staging file from f: it parses the header (bounded
// before any allocation), gets the KEK by the file's kek_id with
// ring.ForDecrypt, unwraps the file key and finds the size from the slots,
// verifying the last one. Failed checks are audited. On success the File
// owns f.
func Open(f *os.File, ring *keyring.Keyring) (*File, error) {
	h, raw, err := readHeader(f)
	if err != nil {
		return nil, fmt.Errorf("staging: %s: %w", f.Name(), err)
	}
	if err := checkPadding(f, h); err != nil {
		return nil, fmt.Errorf("staging: %s: %w", f.Name(), err)
	}
	kek, err := ring.ForDecrypt(h.kekID, f.Name())
	if err != nil {
		return nil, fmt.Errorf("staging: %s: %w", f.Name(), err)
	}
	s := newFile(f, h)
	if err := openKeySlot(kek, h, raw, &s.key); err != nil {
		err = fmt.Errorf("staging: %s: %w", f.Name(), err)
		if errors.Is(err, ErrWrongKey) || errors.Is(err, ErrCorrupt) {
			ring.ReportUnwrapFailure(h.kekID, f.Name(), err)
		}
		return nil, err
	}
	if err := s.initCipher(); err != nil {
		s.dropKey()
		return nil, err
	}
	if s.size, err = s.recoverSize(); err != nil {
		s.dropKey()
		return nil, fmt.Errorf("staging: %s: %w", f.Name(), err)
	}
	return s, nil
}

// newFile returns a File for header h with no key yet.
func newFile(f *os.File, h *header) *File {
	return &File{
		f:         f,
		path:      h.path,
		volume:    h.volume,
		kekID:     h.kekID,
		chunkSize: 1 << h.chunkLog,
		headerLen: int64(h.size()),
		dataStart: h.dataStart(),
	}
}

// initCipher builds the slot cipher from the file key.
func (s *File) initCipher() error {
	block, err := aes.NewCipher(s.key[:])
	if err != nil {
		return fmt.Errorf("staging: file key: %w", err)
	}
	s.aead, err = cipher.NewGCM(block)
	return err
}

// dropKey zeroes the file key and drops the cipher. The expanded AES key
// inside the dropped cipher is left to the garbage collector: Go offers no
// way to zero it.
func (s *File) dropKey() {
	clear(s.key[:])
	s.aead = nil
}

// recoverSize finds the last slot with data, scanning back from the end of
// the OS file, and verifies it. Trailing slots must be zero holes.
func (s *File) recoverSize() (int64, error) {
	info, err := s.f.Stat()
	if err != nil {
		return 0, err
	}
	if info.Size() <= s.dataStart {
		return 0, nil
	}
	slotSize := int64(s.chunkSize + slotOverhead)
	buf := s.getBuffers()
	defer s.putBuffers(buf)
	for i := (info.Size() - s.dataStart + slotSize - 1) / slotSize; i > 0; i-- {
		plain, err := s.readSlot(i-1, buf)
		if err != nil {
			return 0, err
		}
		if len(plain) > 0 {
			size := (i-1)*int64(s.chunkSize) + int64(len(plain))
			if size > maxLogicalEnd {
				return 0, fmt.Errorf("%w: size %d exceeds the limit", ErrCorrupt, size)
			}
			return size, nil
		}
	}
	return 0, nil
}

// Path returns the logical path the file is staged for.
func (s *File) Path() string { return s.path }

// Volume returns the id of the volume the file belongs to.
func (s *File) Volume() [16]byte { return s.volume }

// KEKID returns the id of the KEK that wraps the file key.
func (s *File) KEKID() uint32 { return s.kekID }

// Size returns the logical (plaintext) size of the file.
func (s *File) Size() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.size
}

// Sync makes written slots and the file size durable (fdatasync).
func (s *File) Sync() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.usable(); err != nil {
		return err
	}
	conn, err := s.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("staging: sync %s: %w", s.f.Name(), err)
	}
	var syncErr error
	if err := conn.Control(func(fd uintptr) {
		for {
			syncErr = unix.Fdatasync(int(fd))
			if syncErr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("staging: sync %s: %w", s.f.Name(), err)
	}
	if syncErr != nil {
		return fmt.Errorf("staging: fdatasync %s: %w", s.f.Name(), syncErr)
	}
	return nil
}

// Close zeroes the file key and closes the OS file. Later calls fail with
// an error wrapping os.ErrClosed.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("staging: close %s: %w", s.path, os.ErrClosed)
	}
	s.closed = true
	s.dropKey()
	return s.f.Close()
}

// usable returns an error if the file is closed or broken. The caller
// holds the lock.
func (s *File) usable() error {
	if s.closed {
		return fmt.Errorf("staging: %s: %w", s.path, os.ErrClosed)
	}
	if s.broken != nil {
		return fmt.Errorf("staging: %s is unusable after an earlier failure: %w", s.path, s.broken)
	}
	return nil
}

package local

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// lockStripes is the number of independent locks keys hash onto.
const lockStripes = 256

// keyLocks serializes the check-and-replace steps of writes and deletes
// of one key, within this process (a mutex per stripe) and across
// processes sharing the directory (an open-file-description byte-range
// lock on byte i of the lock file for stripe i). The in-process mutex is
// needed because OFD locks taken through one descriptor never conflict
// with each other.
type keyLocks struct {
	file    *os.File
	stripes [lockStripes]sync.Mutex
}

// openKeyLocks opens (creating if needed) the lock file in the temp
// directory tmpFD; path names it in messages.
func openKeyLocks(tmpFD int, path string) (*keyLocks, error) {
	fd, err := unix.Openat(tmpFD, lockFileName, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("local: open lock file %s: %w", path, err)
	}
	return &keyLocks{file: os.NewFile(uintptr(fd), path)}, nil
}

// close releases the lock file.
func (l *keyLocks) close() error {
	return l.file.Close()
}

// lock takes key's stripe lock and returns the function that releases it.
// Waiting for another process honours ctx.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	h := fnv.New32a()
	h.Write([]byte(key))
	stripe := h.Sum32() % lockStripes
	mu := &l.stripes[stripe]
	mu.Lock()
	if err := l.lockByte(ctx, int64(stripe)); err != nil {
		mu.Unlock()
		return nil, opError("lock", key, err)
	}
	return func() {
		// Unlocking a held range of an open descriptor cannot fail in a
		// way we could act on; closing the file would release it anyway.
		_ = l.setLock(unix.F_UNLCK, int64(stripe))
		mu.Unlock()
	}, nil
}

// lockByte takes the exclusive OFD lock on byte off, polling with a short
// backoff while another process holds it (hold times are one rename).
func (l *keyLocks) lockByte(ctx context.Context, off int64) error {
	wait := 100 * time.Microsecond
	for {
		err := l.setLock(unix.F_WRLCK, off)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINTR) {
			return err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// setLock sets (F_WRLCK) or clears (F_UNLCK) the OFD lock on byte off
// without waiting.
func (l *keyLocks) setLock(typ int16, off int64) error {
	raw, err := l.file.SyscallConn()
	if err != nil {
		return err
	}
	lk := unix.Flock_t{Type: typ, Whence: 0, Start: off, Len: 1}
	var lockErr error
	if err := raw.Control(func(fd uintptr) {
		lockErr = unix.FcntlFlock(fd, unix.F_OFD_SETLK, &lk)
	}); err != nil {
		return err
	}
	return lockErr
}

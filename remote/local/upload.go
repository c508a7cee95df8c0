package local

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// Create starts an upload to key. An object's bytes go to a new temp file
// in root/.sealfs-tmp; a directory marker takes no bytes. An object's
// upload keeps the store's descriptors open until it is committed or
// aborted, even across Close.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	isMarker, err := s.begin(ctx, "create", key)
	if err != nil {
		return nil, err
	}
	if isMarker {
		s.fds.release()
		return &markerUpload{store: s, key: key}, nil
	}
	f, name, err := createTemp(s.tmpFD, s.tmpDir)
	if err != nil {
		s.fds.release()
		return nil, opError("create", key, err)
	}
	return &fileUpload{store: s, key: key, file: f, name: name}, nil
}

// fileUpload is an object being written to a temp file. It holds a
// reference on the store's descriptors until it is done.
type fileUpload struct {
	store *Store
	key   string
	file  *os.File // never reassigned; closed when the upload is done
	name  string   // the temp file's name in the temp directory

	mu   sync.Mutex
	size int64
	done bool
}

// Write appends p to the upload.
func (u *fileUpload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, opError("write", u.key, fs.ErrClosed)
	}
	n, err := u.file.Write(p)
	u.size += int64(n)
	if err != nil {
		return n, opError("write", u.key, err)
	}
	return n, nil
}

// ReadAt reads back bytes written so far; io.EOF marks their end.
func (u *fileUpload) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.file.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, opError("read", u.key, err)
	}
	return n, err
}

// Size returns the number of bytes written so far.
func (u *fileUpload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

// Commit makes the upload durable and visible at its key, subject to
// cond. Whether it succeeds or fails, the upload is done afterwards and
// its temp file gone.
func (u *fileUpload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return remote.Info{}, opError("commit", u.key, fs.ErrClosed)
	}
	u.done = true
	defer u.store.fds.release()
	info, err := u.store.commitFile(ctx, u.key, u.file, u.name, cond)
	if err != nil {
		if discardErr := u.discard(); discardErr != nil {
			u.store.log.Warn("local: remove temp file of failed commit", "key", u.key, "err", discardErr)
		}
		return remote.Info{}, err
	}
	if err := u.file.Close(); err != nil {
		// The data is already durable under its key: report, don't fail.
		u.store.log.Warn("local: close committed temp file", "key", u.key, "err", err)
	}
	return info, nil
}

// Abort discards the upload. Aborting a finished upload does nothing.
func (u *fileUpload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	defer u.store.fds.release()
	return u.discard()
}

// discard closes and removes the temp file.
func (u *fileUpload) discard() error {
	closeErr := u.file.Close()
	if err := unix.Unlinkat(u.store.tmpFD, u.name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return opError("discard upload", u.key, err)
	}
	if closeErr != nil {
		return opError("discard upload", u.key, closeErr)
	}
	return nil
}

package local

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/sealfs/sealfs/remote"
)

// Create starts an upload to key. An object's bytes go to a new temp file
// in root/.sealfs-tmp; a directory marker takes no bytes.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	isMarker, err := s.begin(ctx, "create", key)
	if err != nil {
		return nil, err
	}
	if isMarker {
		return &markerUpload{store: s, key: key}, nil
	}
	f, err := createTemp(s.tmpDir)
	if err != nil {
		return nil, opError("create", key, err)
	}
	return &fileUpload{store: s, key: key, file: f}, nil
}

// fileUpload is an object being written to a temp file.
type fileUpload struct {
	store *Store
	key   string
	file  *os.File // never reassigned; closed when the upload is done

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
	info, err := u.store.commitFile(ctx, u.key, u.file, cond)
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
	return u.discard()
}

// discard closes and removes the temp file.
func (u *fileUpload) discard() error {
	closeErr := u.file.Close()
	if err := os.Remove(u.file.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return opError("discard upload", u.key, err)
	}
	if closeErr != nil {
		return opError("discard upload", u.key, closeErr)
	}
	return nil
}

package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/sealfs/sealfs/remote"
)

// Create starts an upload to key, staged in a new spool file.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	name, isMarker, err := s.begin(ctx, "create", key)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.spoolDir, "azure-upload-*")
	if err != nil {
		return nil, opError("create", key, fmt.Errorf("spool file: %w", err))
	}
	return &spoolUpload{store: s, key: key, name: name, isMarker: isMarker, file: f}, nil
}

// spoolUpload is an object being written to a spool file.
type spoolUpload struct {
	store    *Store
	key      string
	name     string // blob name
	isMarker bool
	file     *os.File // never reassigned; removed when the upload is done

	mu     sync.Mutex
	size   int64
	stream *blockStream // set once size passes singlePutMax
	done   bool
}

// Write appends p to the spool file. A directory marker takes no bytes.
func (u *spoolUpload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.done:
		return 0, opError("write", u.key, fs.ErrClosed)
	case u.isMarker && len(p) > 0:
		return 0, fmt.Errorf("azure: write %q: a directory marker holds no data: %w", u.key, remote.ErrInvalidKey)
	}
	n, err := u.file.Write(p)
	u.size += int64(n)
	if err != nil {
		return n, opError("write", u.key, err)
	}
	if u.stream == nil && u.size > u.store.singlePutMax {
		u.stream = u.store.startStream(u.key, u.name, u.file)
	}
	if u.stream != nil {
		u.stream.grew(u.size)
	}
	return n, nil
}

// ReadAt reads back bytes written so far; io.EOF marks their end.
func (u *spoolUpload) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.file.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, opError("read", u.key, err)
	}
	return n, err
}

// Size returns the number of bytes written so far.
func (u *spoolUpload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

// Commit sends the spool file to the blob, subject to cond. After a
// failure wrapping remote.ErrUnavailable the spool file is kept and
// Commit may be called again; after any other outcome it is removed.
func (u *spoolUpload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return remote.Info{}, opError("commit", u.key, fs.ErrClosed)
	}
	if u.store.closed.Load() {
		return remote.Info{}, opError("commit", u.key, errClosed)
	}
	var info remote.Info
	var err error
	if u.stream == nil {
		info, err = u.store.commit(ctx, u.key, u.name, u.file, u.size, cond)
	} else if err = u.stream.stop(ctx); err != nil {
		err = opError("commit", u.key, err)
	} else {
		info, err = u.stream.finish(ctx, u.size, cond)
	}
	if errors.Is(err, remote.ErrUnavailable) {
		return remote.Info{}, err
	}
	u.done = true
	if u.stream != nil {
		u.stream.close()
	}
	if discardErr := u.discard(); discardErr != nil {
		u.store.log.Warn("azure: remove spool file", "key", u.key, "err", discardErr)
	}
	return info, err
}

// Abort discards the upload. Aborting a finished upload does nothing.
func (u *spoolUpload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	if u.stream != nil {
		u.stream.close()
	}
	return u.discard()
}

// discard closes and removes the spool file.
func (u *spoolUpload) discard() error {
	closeErr := u.file.Close()
	if err := os.Remove(u.file.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return opError("discard upload", u.key, err)
	}
	if closeErr != nil {
		return opError("discard upload", u.key, closeErr)
	}
	return nil
}

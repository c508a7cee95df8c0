package gcs

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"sync"

	"github.com/sealfs/sealfs/remote"
)

// castagnoli is the CRC32C table, the checksum GCS verifies.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Create validates key and starts an upload staged in a spool file.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	if _, err := checkKey(key); err != nil {
		return nil, err
	}
	name, err := s.objectName(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("create", key, err)
	}
	f, err := os.CreateTemp(s.cfg.SpoolDir, "gcs-upload-*")
	if err != nil {
		return nil, opError("create", key, fmt.Errorf("spool file: %w", err))
	}
	return &upload{store: s, key: key, name: name, spool: f}, nil
}

// upload is a remote.Upload staged in a spool file, with a running CRC32C.
type upload struct {
	store *Store
	key   string
	name  string

	mu    sync.Mutex
	spool *os.File // nil once the upload is done
	size  int64
	crc   uint32
}

// Write appends p to the spool file.
func (u *upload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.spool == nil {
		return 0, opError("write", u.key, errUploadDone)
	}
	n, err := u.spool.WriteAt(p, u.size)
	u.crc = crc32.Update(u.crc, castagnoli, p[:n])
	u.size += int64(n)
	if err != nil {
		return n, opError("write", u.key, fmt.Errorf("spool file: %w", err))
	}
	return n, nil
}

// ReadAt reads back what was written.
func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.spool == nil {
		return 0, opError("read back", u.key, errUploadDone)
	}
	if off < 0 {
		return 0, opError("read back", u.key, errNegativeOffset)
	}
	// The spool file ends where the writes end, so os.File.ReadAt
	// already returns io.EOF at the right place.
	return u.spool.ReadAt(p, off)
}

// Size returns the number of bytes written.
func (u *upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

// Abort removes the spool file. Aborting a finished upload does nothing.
func (u *upload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.finish()
}

// finish closes and removes the spool file; the upload is then done.
// Callers hold u.mu.
func (u *upload) finish() error {
	if u.spool == nil {
		return nil
	}
	f := u.spool
	u.spool = nil
	err := errors.Join(f.Close(), os.Remove(f.Name()))
	if err != nil {
		u.store.log.Warn("gcs: removing spool file", "key", u.key, "err", err)
		return opError("abort", u.key, fmt.Errorf("spool file: %w", err))
	}
	return nil
}

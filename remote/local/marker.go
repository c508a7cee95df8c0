package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// markerUpload creates a directory marker: a directory, with no bytes.
type markerUpload struct {
	store *Store
	key   string

	mu   sync.Mutex
	done bool
}

// Write accepts no data: a marker is empty.
func (u *markerUpload) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return 0, fmt.Errorf("local: write %q: a directory marker holds no data: %w", u.key, remote.ErrInvalidKey)
}

// ReadAt reports the end of the (empty) upload.
func (u *markerUpload) ReadAt(p []byte, off int64) (int, error) {
	return emptyObject{info: remote.Info{Key: u.key}}.ReadAt(p, off)
}

// Size is always 0.
func (u *markerUpload) Size() int64 { return 0 }

// Commit creates the marker's directory (and its parents). It becomes
// durable with the first object committed below it.
func (u *markerUpload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return remote.Info{}, opError("commit", u.key, fs.ErrClosed)
	}
	u.done = true
	return u.store.commitMarker(ctx, u.key, cond)
}

// Abort discards the upload.
func (u *markerUpload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.done = true
	return nil
}

// commitMarker makes key's directory exist, subject to cond, and notes
// the directories whose entries changed for a later fsync.
func (s *Store) commitMarker(ctx context.Context, key string, cond remote.Condition) (remote.Info, error) {
	if cond.IfAbsent && cond.IfMatch != "" {
		return remote.Info{}, opError("commit", key, errContradictoryCondition)
	}
	if err := s.hold(ctx); err != nil {
		return remote.Info{}, opError("commit", key, err)
	}
	defer s.fds.release()
	parent, name := splitKey(key)
	dir := joinRel(parent, name)
	var toSync []string
	d, err := s.openDir(parent, pathFlags)
	if isMissing(err) {
		d, err = s.makeDirs(parent, pathFlags, &toSync)
	}
	if err != nil {
		return remote.Info{}, commitPathError(key, err)
	}
	defer d.close()
	switch {
	case cond.IfAbsent:
		err := unix.Mkdirat(d.fd, name, 0o700)
		switch {
		case errors.Is(err, unix.EEXIST):
			return remote.Info{}, preconditionFailed("commit", key, "directory exists")
		case err != nil:
			return remote.Info{}, opError("commit", key, fmt.Errorf("create directory: %w", err))
		}
		toSync = append(toSync, parent, dir)
	case cond.IfMatch != "":
		// The marker exists with that version: nothing to write.
		if err := s.checkVersion("commit", key, true, cond.IfMatch, d, name); err != nil {
			return remote.Info{}, err
		}
	default:
		err := unix.Mkdirat(d.fd, name, 0o700)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return remote.Info{}, opError("commit", key, fmt.Errorf("create directory: %w", err))
		}
		toSync = append(toSync, parent, dir)
	}
	st, err := s.lstatIn("commit", key, true, d, name)
	if errors.Is(err, remote.ErrNotFound) {
		return remote.Info{}, opError("commit", key, fmt.Errorf("a non-directory is in the way: %w", unix.EEXIST))
	}
	if err != nil {
		return remote.Info{}, err
	}
	// Like mkdir(2), a marker is durable once its directory's parent is
	// fsynced: that happens when the first object below it commits (see
	// syncPath), not here, which saves Orthanc two directory fsyncs per
	// new xx/yy directory.
	s.unsynced.add(toSync...)
	return statInfo(key, &st), nil
}

// deleteMarker removes the directory name in d, key's, which must be
// empty.
func (s *Store) deleteMarker(key string, d dirFD, name string) (removed bool, err error) {
	err = unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR)
	switch {
	case err == nil:
		return true, nil
	case isMissing(err):
		return false, nil
	case errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST):
		return false, fmt.Errorf("local: delete %q: %w", key, remote.ErrNotEmpty)
	default:
		return false, opError("delete", key, err)
	}
}

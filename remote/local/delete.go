package local

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// errIfAbsentDelete rejects Delete with Condition.IfAbsent, which has no meaning there.
var errIfAbsentDelete = fmt.Errorf("IfAbsent is not a delete condition: %w", errors.ErrUnsupported)

// Delete removes key's file (or, for a marker, its empty directory) under
// key's lock, after checking cond.IfMatch. The deletion of an object is
// made durable (its directory is fsynced) before Delete returns; that of
// a marker is not, like rmdir(2): a crash can at worst bring back an empty
// directory, and the device flush it would cost is half of what Orthanc's
// deletion of an instance (unlink, then rmdir of its emptied directories)
// spends. A missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string, cond remote.Condition) error {
	isMarker, err := s.begin(ctx, "delete", key)
	if err != nil {
		return err
	}
	if cond.IfAbsent {
		return opError("delete", key, errIfAbsentDelete)
	}
	removed, err := s.removeLocked(ctx, key, isMarker, cond.IfMatch)
	if err != nil || !removed || isMarker {
		return err
	}
	if err := syncDir(filepath.Dir(s.path(key))); err != nil && !isMissing(err) {
		return opError("delete", key, err)
	}
	return nil
}

// removeLocked does Delete's check and removal under key's lock and
// reports whether anything was removed.
func (s *Store) removeLocked(ctx context.Context, key string, isMarker bool, ifMatch string) (bool, error) {
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return false, opError("delete", key, err)
	}
	defer unlock()
	if ifMatch != "" {
		if err := s.checkVersion("delete", key, isMarker, ifMatch); err != nil {
			return false, err
		}
	}
	if isMarker {
		return s.deleteMarker(key)
	}
	err = unix.Unlink(s.path(key))
	switch {
	case err == nil:
		return true, nil
	case isMissing(err) || errors.Is(err, unix.EISDIR):
		return false, nil // no object by that name; a directory is another key
	default:
		return false, opError("delete", key, err)
	}
}

package local

import (
	"context"
	"errors"
	"fmt"

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
	defer s.fds.release()
	if cond.IfAbsent {
		return opError("delete", key, errIfAbsentDelete)
	}
	dir, name := splitKey(key)
	// An object's directory is fsynced after the unlink; a marker's
	// parent only serves as the base of the *at calls.
	flags := dirFlags
	if isMarker {
		flags = pathFlags
	}
	d, err := s.openDir(dir, flags)
	switch {
	case isMissing(err) && cond.IfMatch != "":
		return preconditionFailed("delete", key, "object does not exist")
	case isMissing(err):
		return nil
	case err != nil:
		return resolveError("delete", key, err)
	}
	defer d.close()
	removed, err := s.removeLocked(ctx, key, isMarker, cond.IfMatch, d, name)
	if err != nil || !removed || isMarker {
		return err
	}
	if err := fsyncDir(d); err != nil {
		return opError("delete", key, err)
	}
	return nil
}

// removeLocked does Delete's check and removal of the entry name in the
// directory d under key's lock and reports whether anything was removed.
// A symbolic link there is refused, not removed.
func (s *Store) removeLocked(ctx context.Context, key string, isMarker bool, ifMatch string, d dirFD, name string) (bool, error) {
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return false, opError("delete", key, err)
	}
	defer unlock()
	if ifMatch != "" {
		if err := s.checkVersion("delete", key, isMarker, ifMatch, d, name); err != nil {
			return false, err
		}
	}
	var st unix.Stat_t
	if err := statAt(d, name, &st); err != nil {
		if isMissing(err) {
			return false, nil
		}
		return false, opError("delete", key, err)
	}
	switch {
	case isSymlink(&st):
		return false, outsideRoot("delete", key, nil)
	case isMarker && !isDir(&st), !isMarker && isDir(&st):
		return false, nil // no such key; an entry of the other kind is another key
	case isMarker:
		return s.deleteMarker(key, d, name)
	}
	err = unix.Unlinkat(d.fd, name, 0)
	switch {
	case err == nil:
		return true, nil
	case isMissing(err) || errors.Is(err, unix.EISDIR):
		return false, nil // gone, or replaced by a directory meanwhile
	default:
		return false, opError("delete", key, err)
	}
}

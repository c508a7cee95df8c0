package local

import (
	"context"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// Stat returns the Info of key, or an error wrapping remote.ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (remote.Info, error) {
	isMarker, err := s.begin(ctx, "stat", key)
	if err != nil {
		return remote.Info{}, err
	}
	defer s.fds.release()
	st, err := s.lstat("stat", key, isMarker)
	if err != nil {
		return remote.Info{}, err
	}
	return statInfo(key, &st), nil
}

// lstat stats key's file (or, for a marker, directory) without following
// symbolic links, for operation op. A file of the other kind at the path
// counts as missing; a symbolic link fails with ErrOutsideRoot.
func (s *Store) lstat(op, key string, isMarker bool) (unix.Stat_t, error) {
	dir, name := splitKey(key)
	d, err := s.openDir(dir, pathFlags)
	if err != nil {
		return unix.Stat_t{}, resolveError(op, key, err)
	}
	defer d.close()
	return s.lstatIn(op, key, isMarker, d, name)
}

// lstatIn is lstat of key, whose entry is name in the directory d.
func (s *Store) lstatIn(op, key string, isMarker bool, d dirFD, name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := statAt(d, name, &st); err != nil {
		return st, resolveError(op, key, err)
	}
	switch {
	case isSymlink(&st):
		return st, outsideRoot(op, key, nil)
	case isMarker && !isDir(&st) || !isMarker && !isRegular(&st):
		return st, notFound(op, key, nil)
	}
	return st, nil
}

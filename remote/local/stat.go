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
	st, err := s.lstat(key, isMarker)
	if err != nil {
		return remote.Info{}, err
	}
	return statInfo(key, &st), nil
}

// lstat stats key's file (or, for a marker, directory) without following
// symlinks. A file of the other kind at the path counts as missing.
func (s *Store) lstat(key string, isMarker bool) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Lstat(s.path(key), &st); err != nil {
		if isMissing(err) {
			return st, notFound("stat", key, err)
		}
		return st, opError("stat", key, err)
	}
	if isMarker && !isDir(&st) || !isMarker && !isRegular(&st) {
		return st, notFound("stat", key, nil)
	}
	return st, nil
}

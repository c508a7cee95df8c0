package local

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// Space reports the size of the store's filesystem and the bytes still
// available to it.
func (s *Store) Space(ctx context.Context) (total, free uint64, err error) {
	if err := s.hold(ctx); err != nil {
		return 0, 0, fmt.Errorf("local: statfs: %w", err)
	}
	defer s.fds.release()
	var st unix.Statfs_t
	if err := unix.Fstatfs(s.rootFD, &st); err != nil {
		return 0, 0, fmt.Errorf("local: statfs: %w", err)
	}
	unit := uint64(st.Frsize)
	if unit == 0 {
		unit = uint64(st.Bsize)
	}
	return st.Blocks * unit, st.Bavail * unit, nil
}

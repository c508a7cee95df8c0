package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// errContradictoryCondition rejects a Condition with both IfAbsent and IfMatch.
var errContradictoryCondition = fmt.Errorf("condition sets both IfAbsent and IfMatch: %w", errors.ErrUnsupported)

// commitFile makes the temp file f durable and renames it to key, subject
// to cond, then fsyncs every directory whose entries changed. The data is
// synced before the rename, so key never names a partial object, even
// after a crash. Once the rename is done, ctx is no longer consulted: the
// commit finishes making itself durable. If an fsync after the rename
// fails, the object is visible but Commit returns the error, since its
// durability is unknown.
func (s *Store) commitFile(ctx context.Context, key string, f *os.File, cond remote.Condition) (remote.Info, error) {
	if cond.IfAbsent && cond.IfMatch != "" {
		return remote.Info{}, opError("commit", key, errContradictoryCondition)
	}
	if err := s.ready(ctx); err != nil {
		return remote.Info{}, opError("commit", key, err)
	}
	target := s.path(key)
	var toSync []string
	var st unix.Stat_t
	var err error
	if cond.IfAbsent {
		// A new key replaces nothing, so the rename may come first: then
		// one fsync commits the data and the rename together (ext4 and
		// XFS journal both in one transaction), instead of two journal
		// commits. It is fsync, not fdatasync: the rename changed only
		// the inode's ctime, which fdatasync may skip if the data was
		// written back already. Until it returns the object is visible
		// but not durable, as a new file on any filesystem is before
		// fsync; a crash in that window leaves an object that fails
		// verification, never one that replaced acknowledged data.
		if err = stamp(f); err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
		err = s.renameInto(key, f.Name(), target, unix.RENAME_NOREPLACE, &toSync)
		if errors.Is(err, unix.EEXIST) {
			return remote.Info{}, preconditionFailed("commit", key, "object exists")
		}
		if err != nil {
			return remote.Info{}, err
		}
		if st, err = syncAndStat(f, unix.Fsync); err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
	} else {
		// A replacement must never expose a partial object: data first.
		if err = stamp(f); err == nil {
			st, err = syncAndStat(f, unix.Fdatasync)
		}
		if err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
		if err := s.ready(ctx); err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
		if err := s.replace(ctx, key, f.Name(), target, cond.IfMatch, &toSync); err != nil {
			return remote.Info{}, err
		}
	}
	toSync = append(toSync, filepath.Dir(target))
	if cond.IfAbsent && s.ordered {
		// The object's fsync came after its rename and after the mkdir
		// of every directory on its path: the journal committed them.
		s.unsynced.takeAncestors(s.root, filepath.Dir(target))
		return statInfo(key, &st), nil
	}
	if err := s.syncPath(key, toSync); err != nil {
		return remote.Info{}, opError("commit", key, err)
	}
	return statInfo(key, &st), nil
}

// stamp sets f's modification time from the wall clock in nanoseconds,
// so its version token cannot repeat one of an earlier inode with the same
// number.
func stamp(f *os.File) error {
	now := unix.NsecToTimespec(time.Now().UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, f.Name(), []unix.Timespec{now, now}, 0); err != nil {
		return fmt.Errorf("stamp modification time: %w", err)
	}
	return nil
}

// syncAndStat syncs f with sync (unix.Fsync or unix.Fdatasync) and
// returns its stat.
func syncAndStat(f *os.File, sync func(fd int) error) (unix.Stat_t, error) {
	var st unix.Stat_t
	fd := int(f.Fd())
	if err := sync(fd); err != nil {
		return st, fmt.Errorf("sync: %w", err)
	}
	if err := unix.Fstat(fd, &st); err != nil {
		return st, fmt.Errorf("fstat: %w", err)
	}
	return st, nil
}

// replace renames tmp over key's file under key's lock, first checking,
// if ifMatch is set, that the current version equals it.
func (s *Store) replace(ctx context.Context, key, tmp, target, ifMatch string, toSync *[]string) error {
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return opError("commit", key, err)
	}
	defer unlock()
	if ifMatch != "" {
		if err := s.checkVersion("commit", key, false, ifMatch); err != nil {
			return err
		}
	}
	return s.renameInto(key, tmp, target, 0, toSync)
}

// renameInto renames tmp to target (key's path) with renameat2 flags,
// creating the missing parent directories of target (and noting in
// *toSync the directories to fsync for them) if the first attempt finds
// none. Errors other than EEXIST are wrapped with the key.
func (s *Store) renameInto(key, tmp, target string, flags uint, toSync *[]string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, target, flags)
	if errors.Is(err, unix.ENOENT) {
		if err := makeDirs(s.root, filepath.Dir(target), toSync); err != nil {
			return opError("commit", key, err)
		}
		err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, target, flags)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST) && flags&unix.RENAME_NOREPLACE != 0:
		return err
	default:
		return opError("commit", key, fmt.Errorf("rename into place: %w", err))
	}
}

// checkVersion fails with remote.ErrPreconditionFailed unless key exists
// (as a marker if isMarker) with version want. Callers hold key's lock.
func (s *Store) checkVersion(op, key string, isMarker bool, want string) error {
	st, err := s.lstat(key, isMarker)
	switch {
	case errors.Is(err, remote.ErrNotFound):
		return preconditionFailed(op, key, "object does not exist")
	case err != nil:
		return err
	}
	if got := statInfo(key, &st).Version; got != want {
		return preconditionFailed(op, key, "version is "+got+", not "+want)
	}
	return nil
}

package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// errContradictoryCondition rejects a Condition with both IfAbsent and IfMatch.
var errContradictoryCondition = fmt.Errorf("condition sets both IfAbsent and IfMatch: %w", errors.ErrUnsupported)

// commitFile makes the temp file f (named tmpName in the temp directory)
// durable and renames it to key, subject to cond, then fsyncs every
// directory whose entries changed. The data is synced before the rename,
// so key never names a partial object, even after a crash. Once the
// rename is done, ctx is no longer consulted: the commit finishes making
// itself durable. If an fsync after the rename fails, the object is
// visible but Commit returns the error, since its durability is unknown.
// The caller holds a reference on the store's descriptors.
func (s *Store) commitFile(ctx context.Context, key string, f *os.File, tmpName string, cond remote.Condition) (remote.Info, error) {
	if cond.IfAbsent && cond.IfMatch != "" {
		return remote.Info{}, opError("commit", key, errContradictoryCondition)
	}
	if err := s.ready(ctx); err != nil {
		return remote.Info{}, opError("commit", key, err)
	}
	dir, name := splitKey(key)
	t := target{store: s, key: key, dir: dir, name: name, tmpName: tmpName, flags: dirFlags}
	if cond.IfAbsent && s.ordered {
		t.flags = pathFlags // see below: the directory is not fsynced
	}
	defer t.close()
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
		if err = s.stamp(tmpName); err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
		err = t.rename(unix.RENAME_NOREPLACE)
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
		if err = s.stamp(tmpName); err == nil {
			st, err = syncAndStat(f, unix.Fdatasync)
		}
		if err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
		if err := s.ready(ctx); err != nil {
			return remote.Info{}, opError("commit", key, err)
		}
		if err := s.replace(ctx, &t, cond.IfMatch); err != nil {
			return remote.Info{}, err
		}
	}
	if cond.IfAbsent && s.ordered {
		// The object's fsync came after its rename and after the mkdir
		// of every directory on its path: the journal committed them.
		s.unsynced.takeAncestors(dir)
		return statInfo(key, &st), nil
	}
	if err := s.syncPath(dir, t.dirFD, t.toSync); err != nil {
		return remote.Info{}, opError("commit", key, err)
	}
	return statInfo(key, &st), nil
}

// stamp sets the modification time of the temp file tmpName from the
// wall clock in nanoseconds, so its version token cannot repeat one of an
// earlier inode with the same number.
func (s *Store) stamp(tmpName string) error {
	now := unix.NsecToTimespec(time.Now().UnixNano())
	if err := unix.UtimesNanoAt(s.tmpFD, tmpName, []unix.Timespec{now, now}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
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

// replace renames the temp file over t's key under the key's lock, first
// checking, if ifMatch is set, that the current version equals it.
func (s *Store) replace(ctx context.Context, t *target, ifMatch string) error {
	if ifMatch != "" {
		// No directory, no object: fail without creating any.
		d, err := s.openDir(t.dir, t.flags)
		switch {
		case isMissing(err):
			return preconditionFailed("commit", t.key, "object does not exist")
		case err != nil:
			return commitPathError(t.key, err)
		}
		t.dirFD, t.opened = d, true
	}
	if err := t.open(); err != nil {
		return err
	}
	unlock, err := s.locks.lock(ctx, t.key)
	if err != nil {
		return opError("commit", t.key, err)
	}
	defer unlock()
	if ifMatch != "" {
		if err := s.checkVersion("commit", t.key, false, ifMatch, t.dirFD, t.name); err != nil {
			return err
		}
	}
	return t.rename(0)
}

// target is where a commit renames its temp file: the entry name in the
// directory dir (relative to the root), opened, and created if missing,
// on first use.
type target struct {
	store     *Store
	key       string
	dir, name string
	tmpName   string
	flags     int // dirFlags, or pathFlags if the directory is not fsynced
	dirFD     dirFD
	opened    bool
	toSync    []string // directories (relative) whose entries changed
}

// open opens the target's directory, creating it and its parents if
// needed, unless it is open already.
func (t *target) open() error {
	if t.opened {
		return nil
	}
	d, err := t.store.openDir(t.dir, t.flags)
	if isMissing(err) {
		d, err = t.store.makeDirs(t.dir, t.flags, &t.toSync)
	}
	if err != nil {
		return commitPathError(t.key, err)
	}
	t.dirFD, t.opened = d, true
	return nil
}

// rename renames the temp file to the target with renameat2 flags. If
// the directory vanished meanwhile (an empty directory removed by a
// concurrent delete), it is created again, once. Errors other than
// EEXIST are wrapped with the key.
func (t *target) rename(flags uint) error {
	for attempt := 0; ; attempt++ {
		if err := t.open(); err != nil {
			return err
		}
		err := unix.Renameat2(t.store.tmpFD, t.tmpName, t.dirFD.fd, t.name, flags)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EEXIST) && flags&unix.RENAME_NOREPLACE != 0:
			return err
		case errors.Is(err, unix.ENOENT) && attempt == 0:
			t.close()
			continue
		}
		return opError("commit", t.key, fmt.Errorf("rename into place: %w", err))
	}
}

// close closes the target's directory, if open.
func (t *target) close() {
	if t.opened {
		t.dirFD.close()
		t.opened = false
	}
}

// commitPathError maps the failure to open or create a commit's
// directory.
func commitPathError(key string, err error) error {
	if isEscape(err) {
		return outsideRoot("commit", key, err)
	}
	return opError("commit", key, err)
}

// checkVersion fails with remote.ErrPreconditionFailed unless key exists
// (as a marker if isMarker) with version want; key's entry is name in the
// directory d. Callers hold key's lock.
func (s *Store) checkVersion(op, key string, isMarker bool, want string, d dirFD, name string) error {
	st, err := s.lstatIn(op, key, isMarker, d, name)
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

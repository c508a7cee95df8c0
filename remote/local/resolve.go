package local

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrOutsideRoot means that a key's path would leave the store's root:
// through a symbolic link met anywhere on it (the root itself aside), or
// through a ".." or absolute key (those also wrap remote.ErrInvalidKey).
// Nothing outside the root is read, created or removed.
var ErrOutsideRoot = errors.New("path leaves the store root or goes through a symbolic link")

// resolveBeneath are openat2's resolve flags for every key: stay below the
// root directory and follow no symbolic link, magic or not.
const resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// dirFlags open a directory that can be read and fsynced; pathFlags one
// that only serves as the base of *at calls (and fstat), which is cheaper.
const (
	dirFlags  = unix.O_RDONLY | unix.O_DIRECTORY
	pathFlags = unix.O_PATH | unix.O_DIRECTORY
)

// dirFD is an open directory: the store's root (borrowed, never closed
// here) or one opened below it (owned).
type dirFD struct {
	fd    int
	owned bool
}

// close closes d if it is owned.
func (d dirFD) close() {
	if d.owned {
		unix.Close(d.fd)
	}
}

// probeOpenat2 reports whether the kernel (and any seccomp filter) lets
// the process use openat2, trying it on rootFD itself.
func probeOpenat2(rootFD int) bool {
	fd, err := unix.Openat2(rootFD, ".", &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveBeneath,
	})
	if err != nil {
		// ENOSYS before Linux 5.6; EPERM from seccomp filters written
		// before openat2 existed. Anything else is not about support.
		return !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM)
	}
	unix.Close(fd)
	return true
}

// openBeneath opens rel, a "/"-separated path of valid key components,
// relative to the root, with flags (O_CLOEXEC is added). No symbolic
// link is followed, the last component's included: one met fails with
// ELOOP.
func (s *Store) openBeneath(rel string, flags int) (int, error) {
	flags |= unix.O_CLOEXEC
	if s.useOpenat2 {
		// RESOLVE_NO_SYMLINKS refuses a final link too, with ELOOP; adding
		// O_NOFOLLOW would turn that into ENOTDIR under O_DIRECTORY.
		how := unix.OpenHow{Flags: uint64(flags), Resolve: resolveBeneath}
		for range 4 {
			fd, err := unix.Openat2(s.rootFD, rel, &how)
			// EAGAIN: the kernel saw a concurrent rename and could not
			// prove the lookup stayed beneath; retrying is the cure.
			// ENOSYS (New found openat2, so hardly ever): walk instead.
			if errors.Is(err, unix.ENOSYS) {
				break
			}
			if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
				return fd, err
			}
		}
	}
	return s.walk(rel, flags)
}

// walk opens rel component by component below the root with openat and
// O_NOFOLLOW, the fallback where openat2 is missing. Components were
// validated (no "", "." or ".."), so each step stays inside its parent.
func (s *Store) walk(rel string, flags int) (int, error) {
	cur := dirFD{fd: s.rootFD}
	for {
		name, rest, more := strings.Cut(rel, "/")
		if !more {
			fd, err := openNoFollow(cur.fd, name, flags)
			cur.close()
			return fd, err
		}
		next, err := openDirAt(cur.fd, name, pathFlags)
		cur.close()
		if err != nil {
			return -1, err
		}
		cur, rel = dirFD{fd: next, owned: true}, rest
	}
}

// openDirAt opens the directory name in dirfd with flags (dirFlags or
// pathFlags), following no symbolic link: one fails with ELOOP.
func openDirAt(dirfd int, name string, flags int) (int, error) {
	return openNoFollow(dirfd, name, flags|unix.O_CLOEXEC)
}

// openNoFollow opens name in dirfd with flags and O_NOFOLLOW, retrying
// on EINTR. A symbolic link fails with ELOOP, also under O_DIRECTORY
// (where openat says ENOTDIR).
func openNoFollow(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW, 0)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOTDIR) && flags&unix.O_DIRECTORY != 0:
			var st unix.Stat_t
			if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && isSymlink(&st) {
				return -1, fmt.Errorf("%s is a symbolic link: %w", name, unix.ELOOP)
			}
		}
		return fd, err
	}
}

// openDir opens the directory rel below the root with flags (dirFlags
// or pathFlags); "" is the root itself, borrowed.
func (s *Store) openDir(rel string, flags int) (dirFD, error) {
	if rel == "" {
		return dirFD{fd: s.rootFD}, nil
	}
	fd, err := s.openBeneath(rel, flags)
	if err != nil {
		return dirFD{}, err
	}
	return dirFD{fd: fd, owned: true}, nil
}

// makeDirs opens the directory rel below the root with flags (dirFlags
// or pathFlags), creating it and its missing ancestors (mode 0700) on the
// way, and appends to *toSync the parent of every directory it created or
// found just created by someone else (EEXIST: a concurrent commit that may
// not have made it durable). Callers sync rel itself after using it.
func (s *Store) makeDirs(rel string, flags int, toSync *[]string) (dirFD, error) {
	cur := dirFD{fd: s.rootFD}
	done := ""
	for rest := rel; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, "/")
		step := pathFlags
		if rest == "" {
			step = flags
		}
		next, err := openDirAt(cur.fd, name, step)
		if errors.Is(err, unix.ENOENT) {
			err = unix.Mkdirat(cur.fd, name, 0o700)
			if err == nil || errors.Is(err, unix.EEXIST) {
				*toSync = append(*toSync, done)
				next, err = openDirAt(cur.fd, name, step)
			}
		}
		cur.close()
		if err != nil {
			return dirFD{}, fmt.Errorf("create directory %s: %w", joinRel(done, name), err)
		}
		cur, done = dirFD{fd: next, owned: true}, joinRel(done, name)
	}
	return cur, nil
}

// splitKey returns the directory (relative to the root, "" for the root)
// holding key's file, or a marker's directory, and that entry's name.
func splitKey(key string) (dir, name string) {
	p := strings.TrimSuffix(key, "/")
	slash := strings.LastIndexByte(p, '/')
	return p[:max(slash, 0)], p[slash+1:]
}

// parentRel returns the directory holding rel ("" for a top-level one).
func parentRel(rel string) string {
	return rel[:max(strings.LastIndexByte(rel, '/'), 0)]
}

// joinRel joins a directory relative to the root ("" for the root) and
// a name.
func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// isEscape reports whether a resolution error means a symbolic link was
// met (ELOOP) or the path left the root (EXDEV from RESOLVE_BENEATH).
func isEscape(err error) bool {
	return errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV)
}

// outsideRoot builds the ErrOutsideRoot error of operation op on key.
func outsideRoot(op, key string, cause error) error {
	if cause == nil {
		return fmt.Errorf("local: %s %q: %w", op, key, ErrOutsideRoot)
	}
	return fmt.Errorf("local: %s %q: %w (%w)", op, key, ErrOutsideRoot, cause)
}

// resolveError maps the failure to resolve key's path: a symbolic link
// or an escape gives ErrOutsideRoot, a missing component ErrNotFound.
func resolveError(op, key string, err error) error {
	switch {
	case isEscape(err):
		return outsideRoot(op, key, err)
	case isMissing(err):
		return notFound(op, key, err)
	default:
		return opError(op, key, err)
	}
}

// statAt stats name in d without following a symbolic link.
func statAt(d dirFD, name string, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(d.fd, name, st, unix.AT_SYMLINK_NOFOLLOW)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// isSymlink reports whether st describes a symbolic link.
func isSymlink(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFLNK }

// openatRetry is openat, retried on EINTR.
func openatRetry(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

package local

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// List calls fn for every key under prefix in lexical key order. A prefix
// ending in "/" lists that directory; any other prefix lists the names in
// its parent directory that start with its last component. Non-recursive
// listings report each subdirectory once, as an Entry with IsPrefix set;
// recursive ones report files and, as empty objects, the markers of empty
// directories. The temp directory is never listed, nor the prefix's own
// marker, nor symbolic links and other entries that are neither files nor
// directories (they are logged). A prefix whose directory path goes
// through a symbolic link fails with ErrOutsideRoot. An error from fn
// stops the listing and is returned as is.
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	dirKey, namePrefix, err := splitPrefix(prefix)
	if err != nil {
		return err
	}
	if err := s.hold(ctx); err != nil {
		return opError("list", prefix, err)
	}
	defer s.fds.release()
	rel := strings.TrimSuffix(dirKey, "/")
	if rel == "" {
		rel = "."
	}
	fd, err := s.openBeneath(rel, dirFlags)
	switch {
	case isMissing(err):
		return nil
	case err != nil:
		return resolveError("list", prefix, err)
	}
	d := dirFD{fd: fd, owned: true}
	defer d.close()
	l := lister{store: s, ctx: ctx, recursive: recursive, fn: fn}
	items, err := l.readDir(d, dirKey)
	if err != nil {
		return err
	}
	return l.walk(d, dirKey, items, namePrefix)
}

// lister carries one List call's parameters through its walk.
type lister struct {
	store     *Store
	ctx       context.Context
	recursive bool
	fn        func(remote.Entry) error
}

// dirItem is one usable entry of a directory.
type dirItem struct {
	name  string
	isDir bool
}

// sortKey orders items as their keys sort: a directory's keys all start
// with its name and "/", so the name and "/" stands for all of them.
func (it dirItem) sortKey() string {
	if it.isDir {
		return it.name + "/"
	}
	return it.name
}

// walk reports items of the directory dirKey, open as d, whose names
// start with namePrefix, in key order, descending into subdirectories if
// recursive.
func (l *lister) walk(d dirFD, dirKey string, items []dirItem, namePrefix string) error {
	for _, it := range items {
		if !strings.HasPrefix(it.name, namePrefix) {
			continue
		}
		if err := l.ctx.Err(); err != nil {
			return opError("list", dirKey, err)
		}
		if err := l.visit(d, dirKey, it); err != nil {
			return err
		}
	}
	return nil
}

// visit reports one item of the directory dirKey, open as d: a file, or
// a directory (whose key ends in "/").
func (l *lister) visit(d dirFD, dirKey string, it dirItem) error {
	key := dirKey + it.sortKey()
	switch {
	case it.isDir && !l.recursive:
		return l.fn(remote.Entry{Info: remote.Info{Key: key}, IsPrefix: true})
	case it.isDir:
		fd, err := openDirAt(d.fd, it.name, dirFlags)
		switch {
		case isMissing(err):
			return nil // removed, or replaced by a file, since read
		case isEscape(err):
			l.store.log.Warn("local: skipping symbolic link", "key", key)
			return nil
		case err != nil:
			return opError("list", key, err)
		}
		sub := dirFD{fd: fd, owned: true}
		defer sub.close()
		children, err := l.readDir(sub, key)
		if err != nil {
			return err
		}
		if len(children) > 0 {
			return l.walk(sub, key, children, "")
		}
		return l.emit(d, key, it.name, true) // an empty directory is a marker
	default:
		return l.emit(d, key, it.name, false)
	}
}

// emit stats key, the entry name in d, and reports it as an object; a key
// that vanished (or changed kind) since the directory was read is skipped.
func (l *lister) emit(d dirFD, key, name string, isMarker bool) error {
	st, err := l.store.lstatIn("list", key, isMarker, d, name)
	switch {
	case errors.Is(err, remote.ErrNotFound):
		return nil
	case errors.Is(err, ErrOutsideRoot):
		l.store.log.Warn("local: skipping symbolic link", "key", key)
		return nil
	case err != nil:
		return err
	}
	return l.fn(remote.Entry{Info: statInfo(key, &st)})
}

// readDir returns the files and directories in dirKey's directory, open
// as d, sorted by key, leaving out the temp directory and anything else
// (symbolic links, devices) with a warning.
func (l *lister) readDir(d dirFD, dirKey string) ([]dirItem, error) {
	var items []dirItem
	err := readDirAt(d.fd, func(name string, typ uint8) {
		if typ == unix.DT_UNKNOWN {
			var st unix.Stat_t
			if statAt(d, name, &st) != nil {
				return // gone since read
			}
			typ = dtype(&st)
		}
		switch {
		case dirKey == "" && name == tmpDirName:
		case typ == unix.DT_REG:
			items = append(items, dirItem{name: name})
		case typ == unix.DT_DIR:
			items = append(items, dirItem{name: name, isDir: true})
		default:
			l.store.log.Warn("local: skipping entry that is neither file nor directory", "key", dirKey+name, "type", typ)
		}
	})
	if err != nil {
		return nil, opError("list", dirKey, err)
	}
	slices.SortFunc(items, func(a, b dirItem) int { return cmp.Compare(a.sortKey(), b.sortKey()) })
	return items, nil
}

// dtype returns the directory entry type (DT_*) of st.
func dtype(st *unix.Stat_t) uint8 {
	return uint8((st.Mode & unix.S_IFMT) >> 12)
}

// readDirAt calls fn with the name and type (DT_*) of every entry of the
// directory open as fd, but "." and "..", reading from fd's offset, which
// must be fd's own (a descriptor shared with concurrent readers would
// interleave). Nothing is resolved by name.
func readDirAt(fd int, fn func(name string, typ uint8)) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		const nameOff = 19
		for off := 0; off+nameOff <= n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen <= nameOff || off+reclen > n {
				return unix.EBADMSG
			}
			typ := buf[off+18]
			name := buf[off+nameOff : off+reclen]
			if i := slices.Index(name, 0); i >= 0 {
				name = name[:i]
			}
			off += reclen
			if s := string(name); s != "." && s != ".." {
				fn(s, typ)
			}
		}
	}
}

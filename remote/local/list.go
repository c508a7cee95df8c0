package local

import (
	"cmp"
	"context"
	"errors"
	"os"
	"slices"
	"strings"

	"github.com/sealfs/sealfs/remote"
)

// List calls fn for every key under prefix in lexical key order. A prefix
// ending in "/" lists that directory; any other prefix lists the names in
// its parent directory that start with its last component. Non-recursive
// listings report each subdirectory once, as an Entry with IsPrefix set;
// recursive ones report files and, as empty objects, the markers of empty
// directories. The temp directory is never listed, nor the prefix's own
// marker. An error from fn stops the listing and is returned as is.
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	dirKey, namePrefix, err := splitPrefix(prefix)
	if err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return opError("list", prefix, err)
	}
	l := lister{store: s, ctx: ctx, recursive: recursive, fn: fn}
	items, err := l.readDir(dirKey)
	if err != nil {
		return err
	}
	return l.walk(dirKey, items, namePrefix)
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

// walk reports items of the directory dirKey whose names start with
// namePrefix, in key order, descending into subdirectories if recursive.
func (l *lister) walk(dirKey string, items []dirItem, namePrefix string) error {
	for _, it := range items {
		if !strings.HasPrefix(it.name, namePrefix) {
			continue
		}
		if err := l.ctx.Err(); err != nil {
			return opError("list", dirKey, err)
		}
		key := dirKey + it.sortKey()
		if err := l.visit(key, it); err != nil {
			return err
		}
	}
	return nil
}

// visit reports one item (a file, or a directory with key ending in "/").
func (l *lister) visit(key string, it dirItem) error {
	switch {
	case it.isDir && !l.recursive:
		return l.fn(remote.Entry{Info: remote.Info{Key: key}, IsPrefix: true})
	case it.isDir:
		children, err := l.readDir(key)
		if err != nil {
			return err
		}
		if len(children) > 0 {
			return l.walk(key, children, "")
		}
		return l.emit(key, true) // an empty directory is a marker
	default:
		return l.emit(key, false)
	}
}

// emit stats key and reports it as an object; a key that vanished since
// the directory was read is skipped.
func (l *lister) emit(key string, isMarker bool) error {
	st, err := l.store.lstat(key, isMarker)
	if err != nil {
		if errors.Is(err, remote.ErrNotFound) {
			return nil
		}
		return err
	}
	return l.fn(remote.Entry{Info: statInfo(key, &st)})
}

// readDir returns the files and directories in dirKey's directory, sorted
// by key, leaving out the temp directory and anything else (symlinks,
// devices) with a warning. A missing directory has no entries.
func (l *lister) readDir(dirKey string) ([]dirItem, error) {
	path := l.store.root
	if dirKey != "" {
		path = l.store.path(dirKey)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		if isMissing(err) {
			return nil, nil
		}
		return nil, opError("list", dirKey, err)
	}
	items := make([]dirItem, 0, len(entries))
	for _, e := range entries {
		name, mode := e.Name(), e.Type()
		switch {
		case dirKey == "" && name == tmpDirName:
		case mode.IsRegular():
			items = append(items, dirItem{name: name})
		case mode.IsDir():
			items = append(items, dirItem{name: name, isDir: true})
		default:
			l.store.log.Warn("local: skipping entry that is neither file nor directory", "key", dirKey+name, "type", mode.String())
		}
	}
	slices.SortFunc(items, func(a, b dirItem) int { return cmp.Compare(a.sortKey(), b.sortKey()) })
	return items, nil
}

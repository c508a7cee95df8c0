package fs

import (
	"context"
	"errors"

	"github.com/sealfs/sealfs/cache"
	"github.com/sealfs/sealfs/remote"
)

// entryKind is what a name stands for in the store.
type entryKind int

const (
	absent entryKind = iota
	isFile
	isDir
)

// resolve says what logical is, from the metadata cache when it knows,
// else from the store (and remembers the answer). Nothing from the cache
// is trusted for content: objects are verified at open whatever it says.
func (f *filesystem) resolve(ctx context.Context, logical string) (entryKind, remote.Info, error) {
	if f.meta != nil {
		switch a, l := f.meta.Get(logical); l {
		case cache.Hit:
			if a.IsDir {
				return isDir, remote.Info{}, nil
			}
			return isFile, remote.Info{Key: objectKey(logical), Size: a.Size, Version: a.Version, ModTime: a.ModTime}, nil
		case cache.Negative:
			return absent, remote.Info{}, nil
		}
	}
	kind, info, err := f.resolveInStore(ctx, logical)
	if err != nil {
		return absent, info, err
	}
	f.remember(logical, kind, info)
	return kind, info, nil
}

// resolveInStore asks the store. On the local tier two stats are cheapest;
// on object stores one listing from the name answers both questions (is
// there an object, is there anything below name/) in one request, since
// keys sort name < name-x < name/ < name0.
func (f *filesystem) resolveInStore(ctx context.Context, logical string) (entryKind, remote.Info, error) {
	key := objectKey(logical)
	if !f.opts.ListLookups {
		info, err := f.store.Stat(ctx, key)
		switch {
		case err == nil:
			return isFile, info, nil
		case !errors.Is(err, remote.ErrNotFound):
			return absent, info, err
		}
		dir, err := f.dirExists(ctx, logical)
		if err != nil || !dir {
			return absent, remote.Info{}, err
		}
		return isDir, remote.Info{}, nil
	}
	kind, info := absent, remote.Info{}
	err := f.store.List(ctx, key, false, func(e remote.Entry) error {
		switch {
		case e.Key == key && !e.IsPrefix:
			kind, info = isFile, e.Info
		case e.Key == key+"/":
			if kind == absent {
				kind = isDir
			}
		case e.Key > key+"/":
			return errStopListing
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopListing) {
		return absent, remote.Info{}, err
	}
	if kind == isFile && info.Version == "" {
		return isFile, info, nil // listings of this store carry no version: open will stat
	}
	return kind, info, nil
}

// remember records what the store said about logical.
func (f *filesystem) remember(logical string, kind entryKind, info remote.Info) {
	if f.meta == nil {
		return
	}
	switch kind {
	case absent:
		f.meta.PutNegative(logical)
	case isFile:
		f.meta.Put(logical, cache.Attr{Size: info.Size, Version: info.Version, ModTime: info.ModTime})
	case isDir:
		f.meta.Put(logical, cache.Attr{IsDir: true})
	}
}

// changed records a change this mount made at logical: its old entry and
// its directory's listing are dropped, and the new state remembered.
func (f *filesystem) changed(logical string, kind entryKind, info remote.Info) {
	if f.meta == nil {
		return
	}
	f.meta.Forget(logical)
	f.remember(logical, kind, info)
}

// forget drops what the cache knows of logical (and its directory's listing).
func (f *filesystem) forget(logical string) {
	if f.meta != nil {
		f.meta.Forget(logical)
	}
}

// listDir lists directory logical, from the cache's listing when fresh.
func (f *filesystem) listDir(ctx context.Context, logical string) ([]remote.Entry, error) {
	prefix := dirPrefix(logical)
	if f.meta != nil {
		if entries, ok := f.meta.Listing(logical); ok {
			return entries, nil
		}
	}
	var entries []remote.Entry
	if err := f.store.List(ctx, prefix, false, func(e remote.Entry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		return nil, err
	}
	if f.meta != nil {
		f.meta.PutListing(logical, entries)
	}
	return entries, nil
}

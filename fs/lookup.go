package fs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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

// lookupListMax bounds the entries one lookup reads from a listing (one
// S3 or GCS page): a listing cut there answers only the name asked for.
const lookupListMax = 1000

// largeRootHold is how long a root found too large to list whole is
// resolved name by name before it is tried whole again.
const largeRootHold = time.Minute

// resolve says what logical is, from the metadata cache when it knows
// (an entry of its own, or a valid listing of its directory), else from
// the store (and remembers the answer). Nothing from the cache is trusted
// for content: objects are verified at open whatever it says.
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
		if f.opts.ListLookups {
			if entries, ok := f.meta.Listing(parentOf(logical)); ok {
				kind, info := findInListing(entries, logical)
				return kind, info, nil
			}
		}
	}
	if f.opts.WriteBack != nil && f.journal.storeDown() {
		// Failed moments ago: answer at once rather than after retries,
		// so that new files are created and journaled without delay.
		return absent, remote.Info{}, fmt.Errorf("resolve %s: %w (failed moments ago; not asked again yet)", logical, remote.ErrUnavailable)
	}
	kind, info, err := f.resolveInStore(ctx, logical)
	if err != nil {
		if errors.Is(err, remote.ErrUnavailable) {
			f.journal.noteDown()
		}
		return absent, info, err
	}
	f.remember(logical, kind, info)
	return kind, info, nil
}

// parentOf returns the logical path of the directory holding logical.
func parentOf(logical string) string {
	if i := strings.LastIndexByte(logical, '/'); i >= 0 {
		return logical[:i]
	}
	return ""
}

// findInListing says what logical is according to its directory's
// listing: an object (which wins, as in resolveInStore), a subdirectory,
// or nothing.
func findInListing(entries []remote.Entry, logical string) (entryKind, remote.Info) {
	key := objectKey(logical)
	kind, info := absent, remote.Info{}
	for _, e := range entries {
		switch {
		case e.Key == key && !e.IsPrefix:
			kind, info = isFile, e.Info
		case e.Key == key+"/" && kind == absent:
			kind = isDir
		}
	}
	return kind, info
}

// resolveInStore asks the store. On the local tier two stats are cheapest.
// On object stores, where each request is a round trip, one listing
// answers the name and, when it is small, more: a name at the top is
// resolved from a listing of the whole top level (one request answers
// every top-level name for the listing TTL); a name below it from a
// recursive listing of the name's own subtree, which also gives the
// listings of every directory inside it (so the lookups that usually
// follow, of the names inside, cost nothing).
func (f *filesystem) resolveInStore(ctx context.Context, logical string) (entryKind, remote.Info, error) {
	if !f.opts.ListLookups {
		return f.statLookup(ctx, logical)
	}
	if f.meta == nil {
		return f.nameLookup(ctx, logical)
	}
	if parentOf(logical) == "" && time.Now().UnixNano() >= f.rootLargeUntil.Load() {
		entries, complete, err := f.listUpTo(ctx, "", false, lookupListMax)
		if err != nil {
			return absent, remote.Info{}, err
		}
		if complete {
			f.meta.PutListing("", entries)
			kind, info := findInListing(entries, logical)
			return kind, info, nil
		}
		f.rootLargeUntil.Store(time.Now().Add(largeRootHold).UnixNano())
	}
	return f.subtreeLookup(ctx, logical)
}

// statLookup resolves logical with a stat of the object, then of the
// directory.
func (f *filesystem) statLookup(ctx context.Context, logical string) (entryKind, remote.Info, error) {
	info, err := f.store.Stat(ctx, objectKey(logical))
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

// nameLookup resolves logical with one listing from the name, which
// answers both questions (is there an object, is there anything below
// name/) in one request, since keys sort name < name-x < name/ < name0.
func (f *filesystem) nameLookup(ctx context.Context, logical string) (entryKind, remote.Info, error) {
	key := objectKey(logical)
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
	return kind, info, nil
}

// subtreeLookup resolves logical with a recursive listing from the name:
// the object itself, then everything below name/. When the listing ends
// within lookupListMax entries, the listing of every directory in the
// subtree is derived from it and cached. Otherwise only the name is
// answered (by a name lookup if the listing did not reach it).
func (f *filesystem) subtreeLookup(ctx context.Context, logical string) (entryKind, remote.Info, error) {
	key := objectKey(logical)
	base := key + "/"
	kind, info := absent, remote.Info{}
	var below []remote.Entry
	complete, seen := true, 0
	err := f.store.List(ctx, key, true, func(e remote.Entry) error {
		switch {
		case e.Key == key:
			kind, info = isFile, e.Info
		case strings.HasPrefix(e.Key, base):
			if kind == absent {
				kind = isDir
			}
			below = append(below, e)
		case e.Key > base:
			return errStopListing // past the subtree
		}
		if seen++; seen >= lookupListMax {
			complete = false
			return errStopListing
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopListing) {
		return absent, remote.Info{}, err
	}
	switch {
	case !complete && kind == absent:
		return f.nameLookup(ctx, logical) // cut before reaching name/
	case complete && kind == isDir:
		f.meta.PutListings(subtreeListings(logical, below))
	}
	return kind, info, nil
}

// subtreeListings derives, from a complete recursive listing of the keys
// below directory logical, the listing of logical and of every directory
// inside it, as non-recursive listings would report them. A directory
// marker (a key ending in "/", listed only when nothing lies below it)
// makes its directory exist with an empty listing.
func subtreeListings(logical string, below []remote.Entry) map[string][]remote.Entry {
	listings := map[string][]remote.Entry{logical: {}}
	for _, e := range below {
		dir, rel := logical, logicalName(e.Key, dirPrefix(logical))
		if strings.HasSuffix(e.Key, "/") {
			rel += "/"
		}
		for {
			i := strings.IndexByte(rel, '/')
			if i < 0 {
				if rel != "" {
					listings[dir] = append(listings[dir], e)
				}
				break
			}
			child := childPath(dir, rel[:i])
			if _, ok := listings[child]; !ok {
				listings[dir] = append(listings[dir], remote.Entry{Info: remote.Info{Key: dirPrefix(child)}, IsPrefix: true})
				listings[child] = []remote.Entry{}
			}
			dir, rel = child, rel[i+1:]
		}
	}
	for _, entries := range listings {
		slices.SortFunc(entries, func(a, b remote.Entry) int { return cmp.Compare(a.Key, b.Key) })
	}
	return listings
}

// listUpTo lists prefix, stopping after max entries; complete says
// whether the listing ended first.
func (f *filesystem) listUpTo(ctx context.Context, prefix string, recursive bool, max int) ([]remote.Entry, bool, error) {
	var entries []remote.Entry
	complete := true
	err := f.store.List(ctx, prefix, recursive, func(e remote.Entry) error {
		if len(entries) == max {
			complete = false
			return errStopListing
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil && !errors.Is(err, errStopListing) {
		return nil, false, err
	}
	return entries, complete, nil
}

// remember records what the store said about logical.
func (f *filesystem) remember(logical string, kind entryKind, info remote.Info) {
	if f.meta != nil {
		f.meta.Apply(func(e *cache.Edit) { rememberIn(e, logical, kind, info) })
	}
}

// rememberIn adds to e what the store said about logical.
func rememberIn(e *cache.Edit, logical string, kind entryKind, info remote.Info) {
	switch kind {
	case absent:
		e.PutNegative(logical)
	case isFile:
		e.Put(logical, cache.Attr{Size: info.Size, Version: info.Version, ModTime: info.ModTime})
	case isDir:
		e.Put(logical, cache.Attr{IsDir: true})
	}
}

// changed records a change this mount made at logical (or a version it
// found there): its old entry is dropped, the new state remembered, and
// its directory's cached listing, if valid, edited to match (so that the
// names around it are still answered from the listing). One cache
// transaction, which the operation does not wait for.
func (f *filesystem) changed(logical string, kind entryKind, info remote.Info) {
	if f.meta != nil {
		f.meta.Apply(func(e *cache.Edit) { changedIn(e, logical, kind, info) })
	}
}

// changedIn adds to e the changes of changed.
func changedIn(e *cache.Edit, logical string, kind entryKind, info remote.Info) {
	e.ForgetEntry(logical)
	rememberIn(e, logical, kind, info)
	dir, key := parentOf(logical), objectKey(logical)
	switch kind {
	case absent:
		e.EditListing(dir, key, nil)
		e.EditListing(dir, key+"/", nil)
	case isFile:
		info.Key = key
		e.EditListing(dir, key, &remote.Entry{Info: info})
	case isDir:
		e.EditListing(dir, key+"/", &remote.Entry{Info: remote.Info{Key: key + "/"}, IsPrefix: true})
	}
}

// storedBelow records that the store now holds an object at logical, so
// every directory above it exists (their cached listings may predate it:
// the object came from the write-back journal, not from a mkdir here).
func (f *filesystem) storedBelow(logical string, info remote.Info) {
	if f.meta == nil {
		return
	}
	f.meta.Apply(func(e *cache.Edit) {
		changedIn(e, logical, isFile, info)
		for dir := parentOf(logical); dir != ""; dir = parentOf(dir) {
			changedIn(e, dir, isDir, remote.Info{})
		}
	})
}

// created records a directory this mount has just created where nothing
// was: it is known to be empty, so the lookups inside it that follow
// (a file about to be created there) need no request.
func (f *filesystem) created(logical string) {
	if f.meta == nil {
		return
	}
	f.meta.Apply(func(e *cache.Edit) {
		changedIn(e, logical, isDir, remote.Info{})
		if f.opts.ListLookups {
			e.PutListing(logical, []remote.Entry{})
		}
	})
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

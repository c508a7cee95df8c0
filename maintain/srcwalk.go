package maintain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sealfs/sealfs/remote"
)

// dirLister walks the source directory root and gives every entry that is
// not a directory (regular files, and symbolic links and special files for
// work to report), and every directory it cannot read, keyed by its
// "/"-separated path relative to root, in increasing key order: the
// entries of a directory are sorted by name with a directory's name
// compared as name+"/", so that a depth-first walk yields keys in string
// order (the order the checkpoint relies on). Symbolic links are never
// followed. Subtrees wholly at or before after are not read.
func dirLister(root string) lister {
	return func(ctx context.Context, after string, fn func(remote.Entry) error) error {
		if _, err := os.Stat(root); err != nil {
			return fmt.Errorf("source directory: %w", err)
		}
		return walkSorted(ctx, root, "", after, fn)
	}
}

// walkSorted walks the directory rel (relative to root; "" is root).
func walkSorted(ctx context.Context, root, rel, after string, fn func(remote.Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ents, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		if rel == "" {
			return fmt.Errorf("source directory: %w", err)
		}
		// Reported by work, which reads it again for the reason.
		return fn(remote.Entry{Info: remote.Info{Key: rel}})
	}
	sortKey := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(sortKey(a), sortKey(b)) })
	for _, e := range ents {
		key := e.Name()
		if rel != "" {
			key = path.Join(rel, e.Name())
		}
		if e.IsDir() {
			prefix := key + "/"
			if after != "" && prefix < after && !strings.HasPrefix(after, prefix) {
				continue // the whole subtree was done
			}
			if err := walkSorted(ctx, root, key, after, fn); err != nil {
				return err
			}
			continue
		}
		if key <= after {
			continue
		}
		var size int64
		if e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				size = fi.Size()
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("source %s: %w", key, err)
			}
		}
		if err := fn(remote.Entry{Info: remote.Info{Key: key, Size: size}}); err != nil {
			return err
		}
	}
	return nil
}

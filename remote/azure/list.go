package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/sealfs/sealfs/remote"
)

// List calls fn for every key under prefix in lexical order, one page of
// up to 5000 names per request. Non-recursive listings use the delimiter
// "/", so each subdirectory comes back once as a prefix.
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	if s.closed.Load() {
		return opError("list", prefix, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return opError("list", prefix, err)
	}
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	full := s.prefix + prefix
	next := s.flatPages(full)
	if !recursive {
		next = s.hierarchyPages(full)
	}
	for {
		entries, more, err := s.nextPage(ctx, prefix, next)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Key == prefix && strings.HasSuffix(prefix, "/") {
				continue // the directory's own marker
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// pageFunc fetches the next page of a listing: its entries with full blob
// names as keys, and whether more pages follow.
type pageFunc func(ctx context.Context) ([]remote.Entry, bool, error)

// nextPage fetches one page within the request timeout and turns its blob
// names into keys.
func (s *Store) nextPage(ctx context.Context, prefix string, next pageFunc) ([]remote.Entry, bool, error) {
	actx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	entries, more, err := next(actx)
	if err != nil {
		return nil, false, mapError(ctx, "list", prefix, err)
	}
	for i := range entries {
		key, ok := strings.CutPrefix(entries[i].Key, s.prefix)
		if !ok {
			return nil, false, opError("list", prefix, fmt.Errorf("service listed %q outside the store's prefix", entries[i].Key))
		}
		entries[i].Key = key
	}
	return entries, more, nil
}

// flatPages lists every blob whose name starts with full.
func (s *Store) flatPages(full string) pageFunc {
	pageSize := s.listPageSize
	pager := s.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &full, MaxResults: &pageSize})
	return func(ctx context.Context) ([]remote.Entry, bool, error) {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, false, err
		}
		entries := make([]remote.Entry, 0, len(page.Segment.BlobItems))
		for _, item := range page.Segment.BlobItems {
			entries = append(entries, itemEntry(item))
		}
		return entries, pager.More(), nil
	}
}

// hierarchyPages lists the blobs and the "/"-terminated common prefixes
// just below full. The service returns a page's blobs and prefixes in two
// sorted lists covering one range of names; they are merged here.
func (s *Store) hierarchyPages(full string) pageFunc {
	pageSize := s.listPageSize
	pager := s.container.NewListBlobsHierarchyPager("/", &container.ListBlobsHierarchyOptions{Prefix: &full, MaxResults: &pageSize})
	return func(ctx context.Context) ([]remote.Entry, bool, error) {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, false, err
		}
		items, prefixes := page.Segment.BlobItems, page.Segment.BlobPrefixes
		entries := make([]remote.Entry, 0, len(items)+len(prefixes))
		for len(items) > 0 || len(prefixes) > 0 {
			if len(prefixes) == 0 || len(items) > 0 && deref(items[0].Name) < deref(prefixes[0].Name) {
				entries = append(entries, itemEntry(items[0]))
				items = items[1:]
				continue
			}
			entries = append(entries, remote.Entry{Info: remote.Info{Key: deref(prefixes[0].Name)}, IsPrefix: true})
			prefixes = prefixes[1:]
		}
		return entries, pager.More(), nil
	}
}

// itemEntry returns the Entry of a listed blob, keyed by its full name.
func itemEntry(item *container.BlobItem) remote.Entry {
	e := remote.Entry{Info: remote.Info{Key: deref(item.Name)}}
	if p := item.Properties; p != nil {
		e.Info = newInfo(e.Key, p.ContentLength, p.ETag, p.LastModified)
	}
	return e
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

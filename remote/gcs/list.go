package gcs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/sealfs/sealfs/remote"
)

// listPageSize is the number of names asked for per listing request.
const listPageSize = 1000

// errListOrder reports a listing from the service that is not in lexical order.
var errListOrder = fmt.Errorf("gcs: listing is out of lexical order")

// List calls fn for every key under prefix in lexical order, one listing
// request per page of up to 1000 names (delimiter "/" when not recursive).
// The service returns a page's objects and common prefixes apart; they
// are merged here. The marker equal to prefix is not reported.
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	if len(s.prefix+prefix) > maxNameLen {
		return invalidKey(prefix, "longer than 1024 bytes with the store's prefix")
	}
	q := &storage.Query{Prefix: s.prefix + prefix, Projection: storage.ProjectionNoACL}
	if !recursive {
		q.Delimiter = "/"
	}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Generation", "Updated", "Created"}); err != nil {
		return opError("list", prefix, err)
	}
	last, token := "", ""
	for first := true; first || token != ""; first = false {
		if err := ctx.Err(); err != nil {
			return opError("list", prefix, err)
		}
		page, next, err := s.listPage(ctx, q, token)
		if err != nil {
			return mapError(ctx, "list", prefix, err, false)
		}
		for _, e := range page {
			switch {
			case e.Key == prefix && strings.HasSuffix(prefix, "/"):
				continue // the directory's own marker
			case e.Key == last && e.IsPrefix:
				continue // a common prefix repeated on the next page
			case e.Key <= last && last != "":
				return opError("list", prefix, fmt.Errorf("%w: %q after %q", errListOrder, e.Key, last))
			}
			last = e.Key
			if err := fn(e); err != nil {
				return err
			}
		}
		token = next
	}
	return nil
}

// listPage fetches one page of q from token and returns its entries
// sorted by key, and the next page's token ("" after the last).
func (s *Store) listPage(ctx context.Context, q *storage.Query, token string) ([]remote.Entry, string, error) {
	actx, cancel := s.attempt(ctx)
	defer cancel()
	var attrs []*storage.ObjectAttrs
	next, err := iterator.NewPager(s.bucket.Objects(actx, q), listPageSize, token).NextPage(&attrs)
	if err != nil {
		return nil, "", err
	}
	page := make([]remote.Entry, 0, len(attrs))
	for _, a := range attrs {
		if a.Prefix != "" {
			page = append(page, remote.Entry{Info: remote.Info{Key: s.keyOf(a.Prefix)}, IsPrefix: true})
			continue
		}
		page = append(page, remote.Entry{Info: infoOf(s.keyOf(a.Name), a)})
	}
	slices.SortFunc(page, func(a, b remote.Entry) int { return strings.Compare(a.Key, b.Key) })
	return page, next, nil
}

package s3

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

// List calls fn for every key under prefix in lexical order, from
// ListObjectsV2 pages (with delimiter "/" unless recursive). Non-recursive
// listings report each subdirectory once as an Entry with IsPrefix set;
// recursive ones report objects and the markers of empty directories (a
// marker with keys below it is left out, as a directory with files in it
// is by remote/local). The prefix's own marker is never reported. Keys
// that are not valid store keys (written by other tools) are skipped with
// a warning. An error from fn stops the listing and is returned as is.
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return opError("list", prefix, err)
	}
	in := &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.objectKey(prefix))}
	if !recursive {
		in.Delimiter = aws.String("/")
	}
	l := lister{store: s, prefix: prefix, recursive: recursive, fn: fn}
	pages := awss3.NewListObjectsV2Paginator(s.client, in)
	for pages.HasMorePages() {
		actx, cancel := s.attempt(ctx, 0)
		page, err := pages.NextPage(actx)
		cancel()
		if err != nil {
			return mapError(ctx, "list", prefix, err)
		}
		if err := l.page(page); err != nil {
			return err
		}
	}
	return l.flush()
}

// lister carries one List call through its pages.
type lister struct {
	store     *Store
	prefix    string
	recursive bool
	fn        func(remote.Entry) error
	// marker is a directory marker seen in a recursive listing, held
	// back until the next key shows whether anything lies below it.
	marker *remote.Entry
}

// page reports one page's objects and common prefixes, merged in key order.
func (l *lister) page(page *awss3.ListObjectsV2Output) error {
	entries := make([]remote.Entry, 0, len(page.Contents)+len(page.CommonPrefixes))
	for _, obj := range page.Contents {
		entries = append(entries, remote.Entry{Info: remote.Info{
			Key:     aws.ToString(obj.Key),
			Size:    aws.ToInt64(obj.Size),
			Version: aws.ToString(obj.ETag),
			ModTime: aws.ToTime(obj.LastModified),
		}})
	}
	for _, p := range page.CommonPrefixes {
		entries = append(entries, remote.Entry{Info: remote.Info{Key: aws.ToString(p.Prefix)}, IsPrefix: true})
	}
	slices.SortFunc(entries, func(a, b remote.Entry) int { return cmp.Compare(a.Key, b.Key) })
	for _, e := range entries {
		if err := l.entry(e); err != nil {
			return err
		}
	}
	return nil
}

// entry reports e, whose Key is still the full S3 key.
func (l *lister) entry(e remote.Entry) error {
	key, ok := strings.CutPrefix(e.Key, l.store.prefix)
	if !ok || key == l.prefix && strings.HasSuffix(key, "/") {
		return nil // the prefix's own marker
	}
	if _, err := checkKey(key); err != nil {
		l.store.log.Warn("s3: skipping object whose key is not a valid store key", "key", e.Key)
		return nil
	}
	e.Key = key
	if l.marker != nil {
		held := *l.marker
		l.marker = nil
		if !strings.HasPrefix(key, held.Key) {
			if err := l.fn(held); err != nil {
				return err
			}
		}
	}
	if l.recursive && strings.HasSuffix(key, "/") {
		l.marker = &e
		return nil
	}
	return l.fn(e)
}

// flush reports the marker held back at the end of the listing.
func (l *lister) flush() error {
	if l.marker == nil {
		return nil
	}
	held := *l.marker
	l.marker = nil
	return l.fn(held)
}

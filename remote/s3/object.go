package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

// Open returns a reader on one version of key: the current one if version
// is "", else version, which must still be current (or Open fails with
// remote.ErrPreconditionFailed). Reads are ranged GETs with If-Match on
// the opened ETag, so a replaced object fails them with
// remote.ErrPreconditionFailed instead of mixing versions.
func (s *Store) Open(ctx context.Context, key, version string) (remote.Object, error) {
	if _, err := s.begin(ctx, "open", key); err != nil {
		return nil, err
	}
	info, err := s.head(ctx, "open", key, version)
	if err != nil {
		return nil, err
	}
	if info.Version == "" {
		return nil, opError("open", key, errors.New("server sent no ETag"))
	}
	return &object{store: s, info: info}, nil
}

// OpenVersion returns a reader on info.Version without a HEAD: its first
// ranged GET (with If-Match) is the first request, and fails with
// remote.ErrPreconditionFailed if the object was replaced since info was
// read, or remote.ErrNotFound if it was deleted.
func (s *Store) OpenVersion(ctx context.Context, info remote.Info) (remote.Object, error) {
	if _, err := s.begin(ctx, "open", info.Key); err != nil {
		return nil, err
	}
	if info.Version == "" {
		return nil, opError("open", info.Key, errors.New("no version to pin"))
	}
	return &object{store: s, info: info}, nil
}

// object is a handle on one version (ETag) of a stored object.
type object struct {
	store *Store
	info  remote.Info
}

// ReadAt reads len(p) bytes at off with one ranged GET pinned to the
// opened version; io.EOF marks the end of the object. Reads run until the
// store is closed (io.ReaderAt takes no context), each bounded by a
// timeout that scales with its length.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case off < 0:
		return 0, opError("read", o.info.Key, errNegativeOffset)
	case len(p) == 0:
		return 0, nil
	case off >= o.info.Size:
		return 0, io.EOF
	}
	want := min(int64(len(p)), o.info.Size-off)
	n, err := o.get(o.store.life, p[:want], off)
	if err != nil {
		return n, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// get fills buf from the object's bytes at off.
func (o *object) get(ctx context.Context, buf []byte, off int64) (int, error) {
	s := o.store
	actx, cancel := s.attempt(ctx, int64(len(buf)))
	defer cancel()
	out, err := s.client.GetObject(actx, &awss3.GetObjectInput{
		Bucket:  &s.bucket,
		Key:     aws.String(s.objectKey(o.info.Key)),
		Range:   aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(buf))-1)),
		IfMatch: &o.info.Version,
	})
	if err != nil {
		return 0, mapError(ctx, "read", o.info.Key, err)
	}
	defer out.Body.Close()
	if got := aws.ToString(out.ETag); got != o.info.Version {
		return 0, fmt.Errorf("s3: read %q: server sent version %s, not %s: %w",
			o.info.Key, got, o.info.Version, remote.ErrPreconditionFailed)
	}
	if got := aws.ToInt64(out.ContentLength); got != int64(len(buf)) {
		return 0, opError("read", o.info.Key, fmt.Errorf("asked for %d bytes at %d, server sends %d", len(buf), off, got))
	}
	n, err := io.ReadFull(out.Body, buf)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the body ended before its announced length
		}
		return n, mapError(ctx, "read", o.info.Key, err)
	}
	return n, nil
}

// Info describes the opened version.
func (o *object) Info() remote.Info { return o.info }

// Close does nothing: a handle holds no connection between reads.
func (o *object) Close() error { return nil }

package azure

import (
	"context"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	"github.com/sealfs/sealfs/remote"
)

// Open HEADs key (requiring version, if not empty) and returns a reader
// whose reads are ranged GETs with If-Match on the ETag seen here: once
// the blob is replaced they fail with remote.ErrPreconditionFailed.
func (s *Store) Open(ctx context.Context, key, version string) (remote.Object, error) {
	name, _, err := s.begin(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	info, err := s.properties(ctx, "open", key, name, version)
	if err != nil {
		return nil, err
	}
	return &blobObject{store: s, name: name, info: info}, nil
}

// blobObject reads one version of a blob.
type blobObject struct {
	store *Store
	name  string
	info  remote.Info
}

// ReadAt reads len(p) bytes at off with one ranged GET pinned to the
// opened version; io.EOF marks a read cut short by the end.
func (o *blobObject) ReadAt(p []byte, off int64) (int, error) {
	key, size := o.info.Key, o.info.Size
	switch {
	case off < 0:
		return 0, opError("read", key, errNegativeOffset)
	case len(p) == 0:
		return 0, nil
	case off >= size:
		return 0, io.EOF
	}
	want := min(int64(len(p)), size-off)
	ctx, cancel := context.WithTimeout(o.store.readCtx, o.store.transferTimeout(want))
	defer cancel()
	resp, err := o.store.blob(o.name).DownloadStream(ctx, &blob.DownloadStreamOptions{
		Range:            blob.HTTPRange{Offset: off, Count: want},
		AccessConditions: ifMatchCondition(o.info.Version),
	})
	if err != nil {
		return 0, mapError(o.store.readCtx, "read", key, err)
	}
	defer resp.Body.Close()
	n, err := io.ReadFull(resp.Body, p[:want])
	if err != nil {
		return n, mapError(o.store.readCtx, "read", key, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Info describes the pinned version.
func (o *blobObject) Info() remote.Info { return o.info }

// Close does nothing: an object holds no connection between reads.
func (o *blobObject) Close() error { return nil }

package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sealfs/sealfs/remote"
)

// Open fetches key's current attributes and returns a reader pinned to
// that generation. A non-empty version must name the current generation,
// or Open fails with remote.ErrPreconditionFailed.
func (s *Store) Open(ctx context.Context, key, version string) (remote.Object, error) {
	attrs, err := s.attrs(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	info := infoOf(key, attrs)
	if version != "" && version != info.Version {
		return nil, preconditionFailed("open", key, "current version is "+info.Version+", not "+version)
	}
	// Reads outlive Open's context (often a request's): they run under
	// one of their own, cancelled by Close, keeping ctx's values.
	readCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &object{store: s, name: attrs.Name, generation: attrs.Generation, info: info, ctx: readCtx, cancel: cancel}, nil
}

// object is a remote.Object reading one generation with ranged GETs.
type object struct {
	store      *Store
	name       string
	generation int64
	info       remote.Info
	ctx        context.Context
	cancel     context.CancelFunc
}

// Info describes the pinned generation.
func (o *object) Info() remote.Info { return o.info }

// Close cancels reads in progress; later reads fail.
func (o *object) Close() error {
	o.cancel()
	return nil
}

// ReadAt reads len(p) bytes at off of the pinned generation with one
// ranged GET, returning io.EOF with fewer bytes when the object ends
// first. If the generation has been replaced or deleted, it fails with
// remote.ErrPreconditionFailed.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case off < 0:
		return 0, opError("read", o.info.Key, errNegativeOffset)
	case o.ctx.Err() != nil:
		return 0, opError("read", o.info.Key, errObjectClosed)
	case off >= o.info.Size:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	want := min(int64(len(p)), o.info.Size-off)
	n, err := o.readRange(p[:want], off)
	if err != nil {
		return n, err
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// readRange fills p from offset off, which lie inside the object.
func (o *object) readRange(p []byte, off int64) (int, error) {
	ctx, cancel := o.store.transfer(o.ctx, int64(len(p)))
	defer cancel()
	r, err := o.store.bucket.Object(o.name).Generation(o.generation).NewRangeReader(ctx, off, int64(len(p)))
	if err != nil {
		err = mapError(o.ctx, "read", o.info.Key, err, true)
		if errors.Is(err, remote.ErrNotFound) {
			return 0, preconditionFailed("read", o.info.Key, fmt.Sprintf("generation %d is gone", o.generation))
		}
		return 0, err
	}
	defer r.Close()
	if got := r.Attrs.Generation; got != 0 && got != o.generation {
		return 0, preconditionFailed("read", o.info.Key, fmt.Sprintf("served generation %d, not %d", got, o.generation))
	}
	n, err := io.ReadFull(r, p)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the pinned generation is longer than what came
		}
		return n, mapError(o.ctx, "read", o.info.Key, err, true)
	}
	return n, nil
}

package gcs

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/sealfs/sealfs/remote"
)

// Delete removes key's current generation. With cond.IfMatch it first
// reads the current generation (one metadata GET) and fails with
// remote.ErrPreconditionFailed unless it matches, then deletes with
// ifGenerationMatch, which the service enforces atomically. The first
// check costs a request on GCS, but emulators such as fake-gcs-server
// ignore ifGenerationMatch on deletes. A missing key is not an error
// unless IfMatch is set. A directory marker is deleted only if no key
// lies below it, which a listing checks first: a key created below it
// between that check and the deletion is not noticed (object stores have
// no atomic way to do this).
func (s *Store) Delete(ctx context.Context, key string, cond remote.Condition) error {
	isMarker, err := checkKey(key)
	if err != nil {
		return err
	}
	name, err := s.objectName(key)
	if err != nil {
		return err
	}
	if cond.IfAbsent {
		return opError("delete", key, errIfAbsentDelete)
	}
	conds, err := conditions("delete", key, cond)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return opError("delete", key, err)
	}
	if isMarker {
		if err := s.checkEmpty(ctx, key, name); err != nil {
			return err
		}
	}
	obj := s.bucket.Object(name)
	if conds != nil {
		if err := s.checkGeneration(ctx, key, obj, conds.GenerationMatch); err != nil {
			return err
		}
		obj = obj.If(*conds)
	}
	actx, cancel := s.attempt(ctx)
	defer cancel()
	err = obj.Delete(actx)
	if err == nil {
		return nil
	}
	err = mapError(ctx, "delete", key, err, conds != nil)
	switch {
	case !errors.Is(err, remote.ErrNotFound):
		return err
	case conds != nil:
		return preconditionFailed("delete", key, "object does not exist")
	}
	return nil
}

// checkEmpty fails with remote.ErrNotEmpty if an object other than the
// marker name exists below it.
func (s *Store) checkEmpty(ctx context.Context, key, name string) error {
	actx, cancel := s.attempt(ctx)
	defer cancel()
	q := &storage.Query{Prefix: name}
	if err := q.SetAttrSelection([]string{"Name"}); err != nil {
		return opError("delete", key, err)
	}
	var page []*storage.ObjectAttrs
	if _, err := iterator.NewPager(s.bucket.Objects(actx, q), 2, "").NextPage(&page); err != nil {
		return mapError(ctx, "delete", key, err, false)
	}
	for _, attrs := range page {
		if attrs.Name != name {
			return fmt.Errorf("gcs: delete %q: %q lies below: %w", key, s.keyOf(attrs.Name), remote.ErrNotEmpty)
		}
	}
	return nil
}

// checkGeneration fails with remote.ErrPreconditionFailed unless obj's
// current generation is want.
func (s *Store) checkGeneration(ctx context.Context, key string, obj *storage.ObjectHandle, want int64) error {
	actx, cancel := s.attempt(ctx)
	defer cancel()
	attrs, err := obj.Attrs(actx)
	switch {
	case errors.Is(err, storage.ErrObjectNotExist) && ctx.Err() == nil:
		return preconditionFailed("delete", key, "object does not exist")
	case err != nil:
		return mapError(ctx, "delete", key, err, false)
	case attrs.Generation != want:
		return preconditionFailed("delete", key, fmt.Sprintf("generation is %d, not %d", attrs.Generation, want))
	}
	return nil
}

package gcs

import (
	"context"

	"cloud.google.com/go/storage"

	"github.com/sealfs/sealfs/remote"
)

// Stat returns the Info of key's current generation (one metadata GET).
func (s *Store) Stat(ctx context.Context, key string) (remote.Info, error) {
	attrs, err := s.attrs(ctx, "stat", key)
	if err != nil {
		return remote.Info{}, err
	}
	return infoOf(key, attrs), nil
}

// attrs validates key and fetches the attributes of its current generation.
func (s *Store) attrs(ctx context.Context, op, key string) (*storage.ObjectAttrs, error) {
	if _, err := checkKey(key); err != nil {
		return nil, err
	}
	name, err := s.objectName(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, opError(op, key, err)
	}
	actx, cancel := s.attempt(ctx)
	defer cancel()
	attrs, err := s.bucket.Object(name).Attrs(actx)
	if err != nil {
		return nil, mapError(ctx, op, key, err, false)
	}
	return attrs, nil
}

package gcs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/sealfs/sealfs/remote"
)

// testProject is the project a bucket is created in when Config.CreateBucket
// is set; emulators accept any.
const testProject = "sealfs-test"

// Store is a remote.Store over one GCS bucket. It is safe for concurrent use.
type Store struct {
	cfg    Config
	prefix string
	client *storage.Client
	bucket *storage.BucketHandle
	log    *slog.Logger
}

var _ remote.Store = (*Store)(nil)

// New connects to cfg.Bucket and checks, with one listing request, that
// the bucket exists (creating it if cfg.CreateBucket is set) and that the
// credentials may list it.
func New(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("gcs: spool directory: %w", err)
	}
	client, err := storage.NewClient(ctx, clientOptions(cfg)...)
	if err != nil {
		return nil, fmt.Errorf("gcs: client: %w", err)
	}
	// One attempt per call, chunk uploads included: an error function
	// that never retries (RetryNever alone leaves resumable chunk
	// uploads on the transport's default retries).
	client.SetRetry(storage.WithPolicy(storage.RetryAlways), storage.WithErrorFunc(func(error) bool { return false }))
	s := &Store{cfg: cfg, prefix: cfg.Prefix, client: client, bucket: client.Bucket(cfg.Bucket), log: cfg.Logger}
	if err := s.checkBucket(ctx); err != nil {
		return nil, errors.Join(err, client.Close())
	}
	return s, nil
}

// clientOptions returns the client library options for cfg.
func clientOptions(cfg Config) []option.ClientOption {
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	switch {
	case cfg.ServiceAccountFile != "":
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, cfg.ServiceAccountFile))
	case cfg.Endpoint != "":
		opts = append(opts, option.WithoutAuthentication())
	}
	return opts
}

// checkBucket lists at most one object under the prefix, creating the
// bucket first if it is missing and cfg.CreateBucket is set.
func (s *Store) checkBucket(ctx context.Context) error {
	err := s.listOne(ctx)
	if errors.Is(err, storage.ErrBucketNotExist) && s.cfg.CreateBucket {
		actx, cancel := s.attempt(ctx)
		defer cancel()
		if err := s.bucket.Create(actx, testProject, nil); err != nil {
			return mapError(ctx, "create bucket", s.cfg.Bucket, err, false)
		}
		err = s.listOne(ctx)
	}
	switch {
	case errors.Is(err, storage.ErrBucketNotExist):
		return fmt.Errorf("gcs: bucket %q does not exist: %w", s.cfg.Bucket, remote.ErrNotFound)
	case err != nil:
		return mapError(ctx, "check bucket", s.cfg.Bucket, err, false)
	}
	return nil
}

// listOne asks for one object name under the prefix.
func (s *Store) listOne(ctx context.Context) error {
	actx, cancel := s.attempt(ctx)
	defer cancel()
	q := &storage.Query{Prefix: s.prefix}
	if err := q.SetAttrSelection([]string{"Name"}); err != nil {
		return err
	}
	var page []*storage.ObjectAttrs
	_, err := iterator.NewPager(s.bucket.Objects(actx, q), 1, "").NextPage(&page)
	return err
}

// Close releases the client's connections.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("gcs: close: %w", err)
	}
	return nil
}

package s3

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

const (
	// singlePutMax is the largest object sent in one PutObject; larger
	// ones go as multipart uploads.
	singlePutMax = 16 << 20
	// partSize is the size of each multipart part but the last.
	partSize = 16 << 20
	// transferRate is the slowest transfer rate the timeouts allow for, in bytes/s.
	transferRate = 1 << 20
)

// Store is a remote.Store over an S3 bucket. It is safe for concurrent use.
type Store struct {
	client  *awss3.Client
	bucket  string
	prefix  string
	spool   string
	storage string // storage class of new objects, or ""
	timeout time.Duration
	log     *slog.Logger

	// singlePutMax and partSize are the constants above, kept here so
	// that tests can exercise multipart uploads with smaller objects.
	singlePutMax int64
	partSize     int64

	// life is cancelled by Close; reads of open objects, which get no
	// context of their own, run under it.
	life      context.Context
	closeLife context.CancelFunc
	closeOnce sync.Once

	// partSlots bounds the parts of all uploads sent in the background.
	partSlots chan struct{}
	// streams are the multipart uploads not yet completed or aborted:
	// Close aborts them.
	streamsMu sync.Mutex
	streams   map[*partStream]struct{}

	// partAcked, if not nil, gets a token, without blocking, each time
	// the upload of a part was acknowledged and recorded: tests wait on
	// it (see partStream.acked) rather than poll the server or sleep.
	partAcked chan struct{}
}

var _ remote.Store = (*Store)(nil)

// New returns a Store over cfg.Bucket, after checking that the bucket
// exists (creating it if cfg.CreateBucket is set) and that cfg.SpoolDir
// is a directory.
func New(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(cfg.SpoolDir); err != nil {
		return nil, fmt.Errorf("s3: spool directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("s3: spool directory %s: not a directory", cfg.SpoolDir)
	}
	client, err := newClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	life, closeLife := context.WithCancel(context.WithoutCancel(ctx))
	s := &Store{
		client:       client,
		bucket:       cfg.Bucket,
		prefix:       cfg.Prefix,
		spool:        cfg.SpoolDir,
		storage:      cfg.StorageClass,
		timeout:      cfg.RequestTimeout,
		log:          cfg.Logger,
		singlePutMax: singlePutMax,
		partSize:     partSize,
		life:         life,
		closeLife:    closeLife,
		partSlots:    make(chan struct{}, partsInFlight),
		streams:      make(map[*partStream]struct{}),
	}
	if err := s.checkBucket(ctx, cfg.Region, cfg.CreateBucket); err != nil {
		closeLife()
		return nil, err
	}
	return s, nil
}

// Close cancels the reads in progress and aborts the multipart uploads of
// uploads neither committed nor aborted; operations after Close fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeLife()
		s.abortStreams()
	})
	return nil
}

// objectKey returns the S3 key of key.
func (s *Store) objectKey(key string) string {
	return s.prefix + key
}

// begin validates key and checks that the store is open and ctx is live:
// the preamble of every keyed operation.
func (s *Store) begin(ctx context.Context, op, key string) (isMarker bool, err error) {
	isMarker, err = checkKey(key)
	if err != nil {
		return false, err
	}
	if len(s.prefix)+len(key) > remote.MaxKeyLen {
		return false, invalidKey(key, "longer than 1024 bytes with the store's prefix")
	}
	if err := s.ready(ctx); err != nil {
		return false, opError(op, key, err)
	}
	return isMarker, nil
}

// ready reports ctx's error, or fs.ErrClosed after Close.
func (s *Store) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.life.Err() != nil {
		return fs.ErrClosed
	}
	return nil
}

// attempt returns the context of one request moving size bytes: ctx
// bounded by the request timeout plus the time size takes at the slowest
// acceptable transfer rate.
func (s *Store) attempt(ctx context.Context, size int64) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout+time.Duration(size)*time.Second/transferRate)
}

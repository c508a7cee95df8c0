package azure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/sealfs/sealfs/remote"
)

// defaultListPageSize is the number of names asked for per List request
// (the service's maximum).
const defaultListPageSize = 5000

// Store is a remote.Store over an Azure Blob Storage container. It is
// safe for concurrent use.
type Store struct {
	container      *container.Client
	containerName  string
	prefix         string // "" or ends in "/"
	spoolDir       string
	requestTimeout time.Duration
	tier           *blob.AccessTier // nil: the account's default
	log            *slog.Logger
	listPageSize   int32

	// readCtx is the context of Object reads, which have none of their
	// own; Close cancels it.
	readCtx    context.Context
	cancelRead context.CancelFunc
	closed     atomic.Bool

	// singlePutMax and blockSize are the constants of the same names,
	// kept here so that tests can stream blocks with smaller objects.
	singlePutMax int64
	blockSize    int64
	// blockSlots bounds the blocks of all uploads staged in the background.
	blockSlots chan struct{}
	// blockStaged, if not nil, gets a token, without blocking, each time
	// a block's staging was acknowledged and recorded: tests wait on it
	// (see blockStream.stagedCount) rather than poll the service or sleep.
	blockStaged chan struct{}
}

var _ remote.Store = (*Store)(nil)

// New connects to cfg's container and checks that it exists (creating it
// if cfg.CreateContainer is set).
func New(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	client, err := newContainerClient(cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{
		container:      client,
		containerName:  cfg.Container,
		prefix:         cfg.Prefix,
		spoolDir:       cfg.SpoolDir,
		requestTimeout: cfg.RequestTimeout,
		log:            cfg.Logger,
		listPageSize:   defaultListPageSize,
		singlePutMax:   singlePutMax,
		blockSize:      blockSize,
		blockSlots:     make(chan struct{}, stageParallelism),
	}
	if cfg.AccessTier != "" {
		tier := blob.AccessTier(cfg.AccessTier)
		s.tier = &tier
	}
	if err := s.checkContainer(ctx, cfg.CreateContainer); err != nil {
		return nil, err
	}
	s.readCtx, s.cancelRead = context.WithCancel(context.Background())
	return s, nil
}

// checkContainer fails unless the container exists; with create, it
// creates a missing one.
func (s *Store) checkContainer(ctx context.Context, create bool) error {
	actx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	_, err := s.container.GetProperties(actx, nil)
	if err == nil {
		return nil
	}
	mapped := mapError(ctx, "check container", s.containerName, err)
	if !errors.Is(mapped, remote.ErrNotFound) {
		return mapped
	}
	if !create {
		return fmt.Errorf("azure: container %q does not exist (create it first): %w", s.containerName, remote.ErrNotFound)
	}
	_, err = s.container.Create(actx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return mapError(ctx, "create container", s.containerName, err)
	}
	s.log.Info("azure: created container", "container", s.containerName)
	return nil
}

// Close cancels the reads of open objects. Later calls fail.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancelRead()
	return nil
}

// begin checks that the store is open, ctx is live and key is valid, and
// returns the blob name of key and whether key is a directory marker.
func (s *Store) begin(ctx context.Context, op, key string) (name string, isMarker bool, err error) {
	if s.closed.Load() {
		return "", false, opError(op, key, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return "", false, opError(op, key, err)
	}
	if isMarker, err = checkKey(key); err != nil {
		return "", false, err
	}
	name = s.prefix + key
	if len(name) > remote.MaxKeyLen {
		return "", false, invalidKey(key, "longer than 1024 bytes with the store's prefix")
	}
	return name, isMarker, nil
}

// blob returns the client of the blob called name.
func (s *Store) blob(name string) *blockblob.Client {
	return s.container.NewBlockBlobClient(name)
}

// transferTimeout bounds one attempt to move size bytes: the request
// timeout plus one second per MiB.
func (s *Store) transferTimeout(size int64) time.Duration {
	return s.requestTimeout + time.Duration(size>>20)*time.Second
}

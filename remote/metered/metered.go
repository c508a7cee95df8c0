// Package metered wraps a remote.Store so that every request is reported,
// with its duration and outcome, to an Observer (such as Prometheus
// counters). It records operation names only, never keys: object keys are
// file paths.
package metered

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// Operation names passed to Observer.Observe.
const (
	OpStat   = "stat"
	OpOpen   = "open"
	OpRead   = "read"
	OpCreate = "create"
	OpCommit = "commit"
	OpDelete = "delete"
	OpList   = "list"
)

// Observer receives one call per store request. Implementations must be
// safe for concurrent use.
type Observer interface {
	// Observe records one request: its operation, how long it took and
	// its error (nil on success).
	Observe(op string, d time.Duration, err error)
}

// Store is a remote.Store whose requests are reported to an Observer.
type Store struct {
	inner remote.Store
	obs   Observer
}

var (
	_ remote.Store         = (*Store)(nil)
	_ remote.VersionOpener = (*Store)(nil)
)

// Wrap returns s with every request reported to obs. The result is a
// remote.SpaceReporter exactly when s is.
func Wrap(s remote.Store, obs Observer) remote.Store {
	st := &Store{inner: s, obs: obs}
	if _, ok := s.(remote.SpaceReporter); ok {
		return spaceStore{st}
	}
	return st
}

type spaceStore struct{ *Store }

// Space reports the inner store's capacity.
func (s spaceStore) Space(ctx context.Context) (total, free uint64, err error) {
	return s.inner.(remote.SpaceReporter).Space(ctx)
}

func (s *Store) observe(op string, start time.Time, err error) {
	s.obs.Observe(op, time.Since(start), err)
}

// Stat reports the inner Stat. A missing object is an answer, not an error.
func (s *Store) Stat(ctx context.Context, key string) (remote.Info, error) {
	start := time.Now()
	info, err := s.inner.Stat(ctx, key)
	s.observe(OpStat, start, err)
	return info, err
}

// Open reports the inner Open; the object reports its reads.
func (s *Store) Open(ctx context.Context, key, version string) (remote.Object, error) {
	start := time.Now()
	obj, err := s.inner.Open(ctx, key, version)
	s.observe(OpOpen, start, err)
	if err != nil {
		return nil, err
	}
	return &object{Object: obj, obs: s.obs}, nil
}

// OpenVersion opens through the inner store's OpenVersion when it has one
// (no request, so nothing is reported until the first read), else as Open.
func (s *Store) OpenVersion(ctx context.Context, info remote.Info) (remote.Object, error) {
	vo, ok := s.inner.(remote.VersionOpener)
	if !ok {
		return s.Open(ctx, info.Key, info.Version)
	}
	obj, err := vo.OpenVersion(ctx, info)
	if err != nil {
		return nil, err
	}
	return &object{Object: obj, obs: s.obs}, nil
}

// Create reports starting an upload; the upload reports its Commit.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	start := time.Now()
	up, err := s.inner.Create(ctx, key)
	s.observe(OpCreate, start, err)
	if err != nil {
		return nil, err
	}
	return &upload{Upload: up, obs: s.obs}, nil
}

// Delete reports the inner Delete.
func (s *Store) Delete(ctx context.Context, key string, cond remote.Condition) error {
	start := time.Now()
	err := s.inner.Delete(ctx, key, cond)
	s.observe(OpDelete, start, err)
	return err
}

// List reports the inner List as one request, however many entries it
// delivers (errors returned by fn count too).
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	start := time.Now()
	err := s.inner.List(ctx, prefix, recursive, fn)
	s.observe(OpList, start, err)
	return err
}

// Close closes the inner store.
func (s *Store) Close() error { return s.inner.Close() }

// Unwrap returns the inner store.
func (s *Store) Unwrap() remote.Store { return s.inner }

type object struct {
	remote.Object
	obs Observer
}

// ReadAt reports each ranged read; reaching the end is not an error.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	start := time.Now()
	n, err := o.Object.ReadAt(p, off)
	reported := err
	if errors.Is(err, io.EOF) {
		reported = nil
	}
	o.obs.Observe(OpRead, time.Since(start), reported)
	return n, err
}

type upload struct {
	remote.Upload
	obs Observer
}

// Commit reports the inner Commit.
func (u *upload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	start := time.Now()
	info, err := u.Upload.Commit(ctx, cond)
	u.obs.Observe(OpCommit, time.Since(start), err)
	return info, err
}

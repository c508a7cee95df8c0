package retry

import (
	"context"
	"io"

	"github.com/sealfs/sealfs/remote"
)

// Store is a remote.Store whose operations are retried by a Policy.
type Store struct {
	inner  remote.Store
	policy Policy
}

var (
	_ remote.Store         = (*Store)(nil)
	_ remote.VersionOpener = (*Store)(nil)
)

// Wrap returns s with every operation retried under p. The result is a
// remote.SpaceReporter exactly when s is.
func Wrap(s remote.Store, p Policy) remote.Store {
	st := &Store{inner: s, policy: p.withDefaults()}
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

// Stat retries the inner Stat.
func (s *Store) Stat(ctx context.Context, key string) (info remote.Info, err error) {
	err = s.policy.do(ctx, "stat "+key, func() (e error) { info, e = s.inner.Stat(ctx, key); return e })
	return info, err
}

// Open retries the inner Open; the returned object retries its reads.
func (s *Store) Open(ctx context.Context, key, version string) (remote.Object, error) {
	var obj remote.Object
	err := s.policy.do(ctx, "open "+key, func() (e error) { obj, e = s.inner.Open(ctx, key, version); return e })
	if err != nil {
		return nil, err
	}
	return &object{Object: obj, policy: s.policy, ctx: context.WithoutCancel(ctx)}, nil
}

// OpenVersion opens info's version through the inner store's
// OpenVersion when it has one (no request), else with a retried Open of
// that version (which checks it is still current); reads are retried.
func (s *Store) OpenVersion(ctx context.Context, info remote.Info) (remote.Object, error) {
	vo, ok := s.inner.(remote.VersionOpener)
	if !ok {
		return s.Open(ctx, info.Key, info.Version)
	}
	obj, err := vo.OpenVersion(ctx, info)
	if err != nil {
		return nil, err
	}
	return &object{Object: obj, policy: s.policy, ctx: context.WithoutCancel(ctx)}, nil
}

// Create retries starting an upload; the upload retries its Commit.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	var up remote.Upload
	err := s.policy.do(ctx, "create "+key, func() (e error) { up, e = s.inner.Create(ctx, key); return e })
	if err != nil {
		return nil, err
	}
	return &upload{Upload: up, key: key, policy: s.policy}, nil
}

// Delete retries the inner Delete (deleting a missing key succeeds, so a
// retry after a lost answer is harmless).
func (s *Store) Delete(ctx context.Context, key string, cond remote.Condition) error {
	return s.policy.do(ctx, "delete "+key, func() error { return s.inner.Delete(ctx, key, cond) })
}

// List retries a failed listing from where it stopped: listings are in
// lexical order, so entries already delivered are skipped.
func (s *Store) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	var last string
	delivered := false
	return s.policy.do(ctx, "list "+prefix, func() error {
		return s.inner.List(ctx, prefix, recursive, func(e remote.Entry) error {
			if delivered && e.Key <= last {
				return nil
			}
			last, delivered = e.Key, true
			return fn(e)
		})
	})
}

// Close closes the inner store.
func (s *Store) Close() error { return s.inner.Close() }

// Unwrap returns the inner store.
func (s *Store) Unwrap() remote.Store { return s.inner }

type object struct {
	remote.Object
	policy Policy
	ctx    context.Context
}

// ReadAt retries ranged reads that failed as unavailable.
func (o *object) ReadAt(p []byte, off int64) (n int, err error) {
	err = o.policy.do(o.ctx, "read "+o.Info().Key, func() (e error) {
		n, e = o.Object.ReadAt(p, off)
		if e == io.EOF {
			return nil
		}
		return e
	})
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

type upload struct {
	remote.Upload
	key    string
	policy Policy
}

// Commit retries a commit that failed as unavailable: the upload keeps its
// bytes, so it can be sent again.
func (u *upload) Commit(ctx context.Context, cond remote.Condition) (info remote.Info, err error) {
	err = u.policy.do(ctx, "commit "+u.key, func() (e error) { info, e = u.Upload.Commit(ctx, cond); return e })
	return info, err
}

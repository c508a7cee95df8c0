package retry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/retry"
	"github.com/sealfs/sealfs/remote/storetest"
)

// flaky injects ErrUnavailable into a real (local) store: the next n calls
// of the named operation fail before reaching it.
type flaky struct {
	remote.Store
	mu    sync.Mutex
	fail  map[string]int
	calls map[string]int
}

var errInjected = fmt.Errorf("injected connection reset: %w", remote.ErrUnavailable)

func newFlaky(t *testing.T) *flaky {
	s, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &flaky{Store: s, fail: map[string]int{}, calls: map[string]int{}}
}

func (f *flaky) inject(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = n
}

func (f *flaky) hit(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.fail[op] > 0 {
		f.fail[op]--
		return errInjected
	}
	return nil
}

func (f *flaky) Stat(ctx context.Context, key string) (remote.Info, error) {
	if err := f.hit("stat"); err != nil {
		return remote.Info{}, err
	}
	return f.Store.Stat(ctx, key)
}

func (f *flaky) List(ctx context.Context, prefix string, recursive bool, fn func(remote.Entry) error) error {
	n := 0
	return f.Store.List(ctx, prefix, recursive, func(e remote.Entry) error {
		if n++; n == 3 {
			if err := f.hit("list"); err != nil {
				return err
			}
		}
		return fn(e)
	})
}

func (f *flaky) Create(ctx context.Context, key string) (remote.Upload, error) {
	up, err := f.Store.Create(ctx, key)
	return &flakyUpload{Upload: up, f: f}, err
}

type flakyUpload struct {
	remote.Upload
	f *flaky
}

func (u *flakyUpload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	if err := u.f.hit("commit"); err != nil {
		return remote.Info{}, err
	}
	return u.Upload.Commit(ctx, cond)
}

var fast = retry.Policy{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

func put(t *testing.T, s remote.Store, key string, data []byte) {
	t.Helper()
	up, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	up.Write(data)
	if _, err := up.Commit(context.Background(), remote.Condition{}); err != nil {
		t.Fatal(err)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		failures  int
		wantErr   bool
		wantCalls int
	}{
		{"no failure", 0, false, 1},
		{"two transient failures", 2, false, 3},
		{"as many failures as attempts", 4, true, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFlaky(t)
			s := retry.Wrap(f, fast)
			put(t, s, "k", []byte("v"))
			f.inject("stat", c.failures)
			_, err := s.Stat(context.Background(), "k")
			if (err != nil) != c.wantErr {
				t.Fatalf("Stat = %v, want error %v", err, c.wantErr)
			}
			if c.wantErr && !errors.Is(err, remote.ErrUnavailable) {
				t.Errorf("error after the last attempt does not wrap ErrUnavailable: %v", err)
			}
			if got := f.calls["stat"]; got != c.wantCalls {
				t.Errorf("calls = %d, want %d", got, c.wantCalls)
			}
		})
	}
}

func TestNotFoundIsNotRetried(t *testing.T) {
	f := newFlaky(t)
	s := retry.Wrap(f, fast)
	if _, err := s.Stat(context.Background(), "missing"); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("Stat = %v", err)
	}
	if f.calls["stat"] != 1 {
		t.Errorf("a not-found answer was retried: %d calls", f.calls["stat"])
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	f := newFlaky(t)
	s := retry.Wrap(f, retry.Policy{Attempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour, MaxElapsed: 2 * time.Hour})
	f.inject("stat", 100)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Stat(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, remote.ErrUnavailable) {
		t.Fatalf("Stat = %v, want the deadline and the last store error", err)
	}
}

func TestListResumesWithoutDuplicates(t *testing.T) {
	f := newFlaky(t)
	s := retry.Wrap(f, fast)
	for i := range 10 {
		put(t, s, fmt.Sprintf("d/%02d", i), nil)
	}
	f.inject("list", 1)
	var got []string
	if err := s.List(context.Background(), "d/", true, func(e remote.Entry) error {
		got = append(got, e.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("listed %d keys after a retried failure, want 10: %v", len(got), got)
	}
}

func TestCommitRetried(t *testing.T) {
	f := newFlaky(t)
	s := retry.Wrap(f, fast)
	f.inject("commit", 2)
	put(t, s, "c", []byte("payload"))
	obj, err := s.Open(context.Background(), "c", "")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, _ := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	if !bytes.Equal(got, []byte("payload")) || f.calls["commit"] != 3 {
		t.Fatalf("content %q after %d commit calls", got, f.calls["commit"])
	}
}

// The wrapper passes the conformance suite around the local tier.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) remote.Store {
		s, err := local.New(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return retry.Wrap(s, retry.Policy{})
	})
}

// TestMaxElapsedBoundsRetries runs in a synctest bubble, whose clock
// moves only while every goroutine waits: the attempts take no time, so
// the count depends on the backoffs drawn alone, never on how loaded the
// machine is (at least two: the first backoff is at most 20 ms).
func TestMaxElapsedBoundsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlaky(t)
		s := retry.Wrap(f, retry.Policy{Attempts: 1000, BaseDelay: 20 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxElapsed: 100 * time.Millisecond})
		f.inject("stat", 1000)
		start := time.Now()
		if _, err := s.Stat(context.Background(), "k"); !errors.Is(err, remote.ErrUnavailable) {
			t.Fatalf("Stat = %v", err)
		}
		if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
			t.Errorf("retried for %v, past MaxElapsed (100ms)", elapsed)
		}
		if n := f.calls["stat"]; n >= 1000 || n < 2 {
			t.Errorf("%d attempts: MaxElapsed did not stop the retries (or none happened)", n)
		}
	})
}

// OnRetry hears of each retried failure by operation name, never by key.
func TestOnRetry(t *testing.T) {
	f := newFlaky(t)
	var mu sync.Mutex
	var ops []string
	p := fast
	p.OnRetry = func(op string) { mu.Lock(); ops = append(ops, op); mu.Unlock() }
	s := retry.Wrap(f, p)
	put(t, s, "secret/name", []byte("v"))
	f.inject("stat", 2)
	if _, err := s.Stat(context.Background(), "secret/name"); err != nil {
		t.Fatal(err)
	}
	f.inject("commit", 1)
	put(t, s, "secret/other", []byte("w"))
	if fmt.Sprint(ops) != "[stat stat commit]" {
		t.Errorf("OnRetry heard %v, want [stat stat commit]", ops)
	}
}

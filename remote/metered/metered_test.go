package metered_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/metered"
)

type recorder struct {
	mu   sync.Mutex
	ops  map[string]int
	errs map[string]int
}

func (r *recorder) Observe(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops[op]++
	if err != nil {
		r.errs[op]++
	}
}

func TestWrapReportsEachOperation(t *testing.T) {
	ctx := context.Background()
	inner, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{ops: map[string]int{}, errs: map[string]int{}}
	s := metered.Wrap(inner, rec)
	if _, ok := s.(remote.SpaceReporter); !ok {
		t.Error("the local tier's Space is hidden by the wrapper")
	}
	up, err := s.Create(ctx, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	up.Write([]byte("hello"))
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "missing"); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("stat missing: %v", err)
	}
	obj, err := s.Open(ctx, "a/b", "")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, err := obj.ReadAt(buf, 0); n != 5 || !errors.Is(err, io.EOF) {
		t.Fatalf("read: %d %v", n, err)
	}
	obj.Close()
	s.List(ctx, "", true, func(remote.Entry) error { return nil })
	if err := s.Delete(ctx, "a/b", remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{metered.OpCreate: 1, metered.OpCommit: 1, metered.OpStat: 2, metered.OpOpen: 1, metered.OpRead: 1, metered.OpList: 1, metered.OpDelete: 1}
	for op, n := range want {
		if rec.ops[op] != n {
			t.Errorf("%s: %d requests, want %d", op, rec.ops[op], n)
		}
	}
	if rec.errs[metered.OpStat] != 1 || rec.errs[metered.OpRead] != 0 || len(rec.errs) != 1 {
		t.Errorf("errors %v, want one (the stat of a missing key; EOF is not an error)", rec.errs)
	}
}

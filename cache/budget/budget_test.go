package budget

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestBudgetBoundsConcurrentUse(t *testing.T) {
	b := New(100)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := b.Acquire(context.Background(), 30)
			if err != nil {
				t.Error(err)
				return
			}
			if in := b.InUse(); in > 100 {
				t.Errorf("in use %d > budget 100", in)
			}
			time.Sleep(time.Millisecond)
			release()
			release() // idempotent
		}()
	}
	wg.Wait()
	if b.InUse() != 0 || b.Peak() > 100 || b.Peak() < 30 {
		t.Fatalf("in use %d, peak %d", b.InUse(), b.Peak())
	}
}

func TestOversizedRequestTakesWholeBudget(t *testing.T) {
	b := New(64)
	release, err := b.Acquire(context.Background(), 1<<30)
	if err != nil || b.InUse() != 64 {
		t.Fatalf("acquire above size: %v, in use %d", err, b.InUse())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire while full = %v, want the context's deadline", err)
	}
	release()
	if r, err := b.Acquire(context.Background(), 64); err != nil {
		t.Fatal(err)
	} else {
		r()
	}
}

func TestNilBudgetIsUnlimited(t *testing.T) {
	var b *Budget = New(0)
	release, err := b.Acquire(context.Background(), 1<<40)
	if err != nil || b.InUse() != 0 || b.Size() != 0 {
		t.Fatal(err)
	}
	release()
}

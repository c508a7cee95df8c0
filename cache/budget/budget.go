// Package budget bounds the memory sealfs spends on buffers: one budget in
// bytes for the whole process, which every encryption, decryption, upload
// and download buffer takes from before it is allocated and gives back
// after. Many concurrent readers and writers then wait for each other
// instead of growing the process; a single request larger than the whole
// budget takes all of it, so a file larger than the budget still streams
// through (in O(chunk) pieces).
package budget

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Budget is a weighted semaphore over bytes. A nil *Budget is unlimited.
type Budget struct {
	size  int64
	sem   *semaphore.Weighted
	inUse atomic.Int64
	peak  atomic.Int64
}

// New returns a budget of size bytes; size <= 0 means unlimited (nil).
func New(size int64) *Budget {
	if size <= 0 {
		return nil
	}
	return &Budget{size: size, sem: semaphore.NewWeighted(size)}
}

// Acquire waits until n bytes are free (or ctx ends) and returns the
// function that gives them back. Requests above the budget's size take
// the whole budget.
func (b *Budget) Acquire(ctx context.Context, n int64) (release func(), err error) {
	if b == nil || n <= 0 {
		return func() {}, nil
	}
	n = min(n, b.size)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	used := b.inUse.Add(n)
	for {
		p := b.peak.Load()
		if used <= p || b.peak.CompareAndSwap(p, used) {
			break
		}
	}
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			b.inUse.Add(-n)
			b.sem.Release(n)
		}
	}, nil
}

// Size is the budget in bytes (0 when unlimited).
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// InUse is the number of bytes currently taken: the gauge to export as a metric.
func (b *Budget) InUse() int64 {
	if b == nil {
		return 0
	}
	return b.inUse.Load()
}

// Peak is the largest InUse seen so far.
func (b *Budget) Peak() int64 {
	if b == nil {
		return 0
	}
	return b.peak.Load()
}

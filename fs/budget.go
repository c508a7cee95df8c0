package fs

import (
	"context"
	"time"
)

// What each kind of work holds from the memory budget while it runs. The
// figures follow the buffers the envelope, staging and copy code allocate:
// a chunk (plus tag) per writer, a run of chunks per read, and so on.

const copyBufferSize = 256 << 10 // copyPlain's buffer

func (f *filesystem) chunkCost() int64 { return int64(f.opts.ChunkSize) + 32 }

// writerCost: an envelope writer's pending chunk, held while a file is appended.
func (f *filesystem) writerCost() int64 { return f.chunkCost() }

// readCost: a read decrypts straight into the kernel's buffer, but fetches
// its ciphertext into a run buffer.
func (f *filesystem) readCost(n int) int64 { return int64(n) + 2*f.chunkCost() }

// stageOpCost: a staging read or write seals or opens one slot at a time.
func (f *filesystem) stageOpCost() int64 { return 2 * f.chunkCost() }

// copyCost: copyPlain's buffer and the reader's run buffer behind it.
func (f *filesystem) copyCost() int64 { return 2*copyBufferSize + 2*f.chunkCost() }

// verifyCost: verification reads up to 1 MiB runs.
func (f *filesystem) verifyCost(size int64) int64 { return 2*min(size, 1<<20) + 2*f.chunkCost() }

// commitCost: what the store may buffer while it sends an object.
func (f *filesystem) commitCost(size int64) int64 { return min(size, f.opts.CommitBuffer) }

// reserve takes n bytes from the budget, waiting as long as it takes
// (requests are detached from interrupts; every holder gives back in
// bounded time), and returns the release function. A wait longer than a
// second is logged: the budget is too small for the load.
func (f *filesystem) reserve(n int64) func() {
	b := f.opts.Budget
	if b == nil || n <= 0 {
		return func() {}
	}
	start := time.Now()
	release, err := b.Acquire(context.Background(), n)
	if err != nil { // cannot happen with a background context
		return func() {}
	}
	if waited := time.Since(start); waited > time.Second {
		f.log.Warn("waited for the memory budget", "bytes", n, "waited", waited, "budget", b.Size(), "in_use", b.InUse())
	}
	return release
}

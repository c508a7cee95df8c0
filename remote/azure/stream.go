package azure

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"golang.org/x/sync/errgroup"

	"github.com/sealfs/sealfs/remote"
)

// blockStream stages the blocks of an object larger than singlePutMax
// while it is still written: every block whose bytes are all in the spool
// file is sent by a pump goroutine (at most stageParallelism per Store at
// once, read back from the file). Commit then stages what is left and
// puts the block list. Staged blocks stay uncommitted until then; the
// service discards uncommitted blocks at the blob's next commit or after a
// week, so Abort has nothing to delete. The block IDs are fixed for the
// upload, so a Commit retried after an unavailable failure restages
// nothing twice.
type blockStream struct {
	store    *Store
	key      string
	client   *blockblob.Client
	body     *os.File
	uploadID [16]byte

	written  atomic.Int64
	wake     chan struct{}
	halt     chan struct{}
	haltOnce sync.Once
	ctx      context.Context
	cancel   context.CancelFunc
	pumped   chan struct{}
	sending  sync.WaitGroup

	mu     sync.Mutex
	staged []bool // by block index
}

// startStream creates the block stream of an upload to blob name and
// starts its pump.
func (s *Store) startStream(key, name string, body *os.File) *blockStream {
	ctx, cancel := context.WithCancel(s.readCtx)
	b := &blockStream{
		store:  s,
		key:    key,
		client: s.blob(name),
		body:   body,
		wake:   make(chan struct{}, 1),
		halt:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
		pumped: make(chan struct{}),
	}
	rand.Read(b.uploadID[:])
	go b.pump()
	return b
}

// grew records that the spool file now holds size bytes.
func (b *blockStream) grew(size int64) {
	b.written.Store(size)
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// pump stages every full block as soon as its bytes are written, until
// halted. A failed block is left for Commit.
func (b *blockStream) pump() {
	defer close(b.pumped)
	bs := b.store.blockSize
	for next := int64(0); ; {
		select {
		case <-b.wake:
		case <-b.halt:
			return
		case <-b.ctx.Done():
			return
		}
		for (next+1)*bs <= b.written.Load() {
			select {
			case b.store.blockSlots <- struct{}{}:
			case <-b.halt:
				return
			case <-b.ctx.Done():
				return
			}
			b.sending.Add(1)
			go func(i int64) {
				defer b.sending.Done()
				defer func() { <-b.store.blockSlots }()
				if err := b.stage(b.ctx, i, bs); err != nil {
					b.store.log.Debug("azure: background block failed; Commit resends it", "key", b.key, "block", i, "err", err)
				}
			}(next)
			next++
		}
	}
}

// stage sends block i, n bytes or fewer at the object's end, unless it
// was staged already.
func (b *blockStream) stage(ctx context.Context, i, n int64) error {
	b.mu.Lock()
	done := i < int64(len(b.staged)) && b.staged[i]
	b.mu.Unlock()
	if done {
		return nil
	}
	actx, cancel := context.WithTimeout(ctx, b.store.transferTimeout(n))
	defer cancel()
	if _, err := b.client.StageBlock(actx, blockID(b.uploadID, uint32(i)), section(b.body, i*b.store.blockSize, n), nil); err != nil {
		return mapError(ctx, "commit", b.key, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for int64(len(b.staged)) <= i {
		b.staged = append(b.staged, false)
	}
	b.staged[i] = true
	if b.store.blockStaged != nil {
		select {
		case b.store.blockStaged <- struct{}{}:
		default:
		}
	}
	return nil
}

// stagedCount returns the number of blocks staged so far.
func (b *blockStream) stagedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, ok := range b.staged {
		if ok {
			n++
		}
	}
	return n
}

// stop halts the pump and waits, within ctx, for the blocks under way.
func (b *blockStream) stop(ctx context.Context) error {
	b.haltOnce.Do(func() { close(b.halt) })
	idle := make(chan struct{})
	go func() {
		<-b.pumped
		b.sending.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finish stages the blocks of the size-byte object not staged yet and
// commits the block list subject to cond. The pump must be stopped.
func (b *blockStream) finish(ctx context.Context, size int64, cond remote.Condition) (remote.Info, error) {
	if cond.IfAbsent && cond.IfMatch != "" {
		return remote.Info{}, opError("commit", b.key, errContradictoryCondition)
	}
	bs := b.store.blockSize
	count := (size + bs - 1) / bs
	ids := make([]string, count)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(stageParallelism)
	for i := range count {
		ids[i] = blockID(b.uploadID, uint32(i))
		g.Go(func() error { return b.stage(gctx, i, min(bs, size-i*bs)) })
	}
	if err := g.Wait(); err != nil {
		return remote.Info{}, err
	}
	actx, cancel := context.WithTimeout(ctx, b.store.requestTimeout)
	defer cancel()
	resp, err := b.client.CommitBlockList(actx, ids, &blockblob.CommitBlockListOptions{
		Tier:             b.store.tier,
		AccessConditions: commitCondition(cond),
	})
	if err != nil {
		return remote.Info{}, commitError(ctx, b.key, cond, err)
	}
	info := newInfo(b.key, nil, resp.ETag, resp.LastModified)
	info.Size = size
	return info, nil
}

// close stops the stream's pump and the blocks under way and waits for them.
func (b *blockStream) close() {
	b.haltOnce.Do(func() { close(b.halt) })
	b.cancel()
	<-b.pumped
	b.sending.Wait()
}

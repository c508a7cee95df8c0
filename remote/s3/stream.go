package s3

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/sealfs/sealfs/remote"
)

// partsInFlight is how many parts of one multipart upload Commit sends at
// once; the background sends of all uploads of a Store share as many
// slots (Store.partSlots). A part is read from the spool file as it is
// sent, so each costs the HTTP transport's buffers, not its size, in memory.
const partsInFlight = 4

// partStream is the multipart upload of an object larger than
// singlePutMax. While the object is still being written, every part whose
// bytes are all in the spool file is sent in the background (a pump
// goroutine hands them to at most partsInFlight senders per Store);
// Commit then sends only what is left (the tail, and any part whose
// background send failed) and completes the upload. The upload id and the
// parts sent survive a Commit that failed as unavailable, so a retry
// resends nothing twice.
type partStream struct {
	store *Store
	key   string
	body  io.ReaderAt // the spool file

	// written is the number of bytes in the spool file; wake tells the
	// pump it grew.
	written atomic.Int64
	wake    chan struct{}
	// halt stops the pump from starting sends; ctx, cancelled by Abort,
	// stops the sends under way.
	halt     chan struct{}
	haltOnce sync.Once
	ctx      context.Context
	cancel   context.CancelFunc
	pumped   chan struct{} // closed when the pump has returned
	sending  sync.WaitGroup

	mu    sync.Mutex
	id    *string               // nil until the multipart upload exists
	parts []types.CompletedPart // by part number - 1; ETag nil until sent
}

// startStream creates the stream of key's upload, whose bytes are in
// body, and starts its pump.
func (s *Store) startStream(key string, body io.ReaderAt) *partStream {
	ctx, cancel := context.WithCancel(s.life)
	p := &partStream{
		store:  s,
		key:    key,
		body:   body,
		wake:   make(chan struct{}, 1),
		halt:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
		pumped: make(chan struct{}),
	}
	s.track(p, true)
	go p.pump()
	return p
}

// grew records that the spool file now holds size bytes.
func (p *partStream) grew(size int64) {
	p.written.Store(size)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// pump starts a background send for every full part as soon as its bytes
// are written, until halted. A failure stops it: Commit sends the rest.
func (p *partStream) pump() {
	defer close(p.pumped)
	ps := p.store.partSize
	for next := int64(0); ; {
		select {
		case <-p.wake:
		case <-p.halt:
			return
		case <-p.ctx.Done():
			return
		}
		for (next+1)*ps <= p.written.Load() {
			if _, err := p.uploadID(p.ctx); err != nil {
				p.store.log.Debug("s3: background multipart upload not started; Commit will", "key", p.key, "err", err)
				return
			}
			select {
			case p.store.partSlots <- struct{}{}:
			case <-p.halt:
				return
			case <-p.ctx.Done():
				return
			}
			p.sending.Add(1)
			go func(i int64) {
				defer p.sending.Done()
				defer func() { <-p.store.partSlots }()
				if err := p.send(p.ctx, i, ps); err != nil {
					p.store.log.Debug("s3: background part failed; Commit resends it", "key", p.key, "part", i+1, "err", err)
				}
			}(next)
			next++
		}
	}
}

// uploadID returns the id of the multipart upload, creating it first if
// needed.
func (p *partStream) uploadID(ctx context.Context) (*string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id != nil {
		return p.id, nil
	}
	id, err := p.store.createMultipart(ctx, p.key)
	if err != nil {
		return nil, err
	}
	p.id = id
	return id, nil
}

// send uploads part i (0-based) of the object, n bytes or fewer at its
// end, unless it was sent already.
func (p *partStream) send(ctx context.Context, i, n int64) error {
	p.mu.Lock()
	id := p.id
	done := i < int64(len(p.parts)) && p.parts[i].ETag != nil
	p.mu.Unlock()
	if done {
		return nil
	}
	part, err := p.store.uploadPart(ctx, p.key, id, int32(i+1), p.body, i*p.store.partSize, n)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id != id { // the stream was reset meanwhile
		return nil
	}
	for int64(len(p.parts)) <= i {
		p.parts = append(p.parts, types.CompletedPart{})
	}
	p.parts[i] = part
	if p.store.partAcked != nil {
		select {
		case p.store.partAcked <- struct{}{}:
		default:
		}
	}
	return nil
}

// acked returns the number of parts whose upload was acknowledged, and
// the multipart upload's id (nil before it exists).
func (p *partStream) acked() (int, *string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, part := range p.parts {
		if part.ETag != nil {
			n++
		}
	}
	return n, p.id
}

// stop halts the pump and waits, within ctx, for the sends under way.
func (p *partStream) stop(ctx context.Context) error {
	p.haltOnce.Do(func() { close(p.halt) })
	idle := make(chan struct{})
	go func() {
		<-p.pumped
		p.sending.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finish sends the parts of the size-byte object not sent yet and
// completes the upload subject to cond. The pump must be stopped.
func (p *partStream) finish(ctx context.Context, size int64, cond remote.Condition) (remote.Info, error) {
	id, err := p.uploadID(ctx)
	if err != nil {
		return remote.Info{}, err
	}
	ps := p.store.partSize
	count := (size + ps - 1) / ps
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(partsInFlight)
	for i := range count {
		g.Go(func() error { return p.send(gctx, i, min(ps, size-i*ps)) })
	}
	if err := g.Wait(); err != nil {
		return remote.Info{}, err
	}
	p.mu.Lock()
	parts := append([]types.CompletedPart(nil), p.parts[:count]...)
	p.mu.Unlock()
	return p.store.complete(ctx, p.key, id, parts, size, cond)
}

// reset forgets the multipart upload (gone from the server) so that the
// next finish starts a new one and sends every part again.
func (p *partStream) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.id, p.parts = nil, nil
}

// abort stops every send and discards the multipart upload, if any.
func (p *partStream) abort() {
	p.haltOnce.Do(func() { close(p.halt) })
	p.cancel()
	<-p.pumped
	p.sending.Wait()
	p.mu.Lock()
	id := p.id
	p.id, p.parts = nil, nil
	p.mu.Unlock()
	if id != nil {
		p.store.abortMultipart(p.store.life, p.key, id)
	}
	p.store.track(p, false)
}

// close ends a stream whose upload was completed.
func (p *partStream) close() {
	p.haltOnce.Do(func() { close(p.halt) })
	p.cancel()
	p.store.track(p, false)
}

// track adds p to (or removes it from) the streams Close aborts.
func (s *Store) track(p *partStream, live bool) {
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	if live {
		s.streams[p] = struct{}{}
	} else {
		delete(s.streams, p)
	}
}

// abortStreams aborts the multipart uploads of uploads never committed
// nor aborted, so that closing the store leaves no parts behind.
func (s *Store) abortStreams() {
	s.streamsMu.Lock()
	streams := make([]*partStream, 0, len(s.streams))
	for p := range s.streams {
		streams = append(streams, p)
	}
	s.streamsMu.Unlock()
	for _, p := range streams {
		p.abort()
	}
}

// isNoSuchUpload reports whether err says the multipart upload is gone
// (completed by an attempt whose answer was lost, or aborted).
func isNoSuchUpload(err error) bool {
	var noUpload *types.NoSuchUpload
	return errors.Is(err, errNoSuchUpload) || errors.As(err, &noUpload)
}

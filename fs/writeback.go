package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/envelope/staging"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// Write-back: with Options.WriteBack, fsync and close return once the
// file's sealed staging copy is fdatasynced and moved into PendingDir (the
// journal: a file there is an acknowledged version not yet in the store);
// uploaders send it in the background, retrying while the store is down.
// A staged file carries its own wrapped key and its path, so the journal
// is replayed from PendingDir and the keyring alone at the next mount.

// WriteBack runs the background uploads of one mount.
type WriteBack struct {
	queue   chan *fileNode
	wg      sync.WaitGroup
	pending sync.WaitGroup // one per queued or retrying upload
	stop    chan struct{}
}

// NewWriteBack returns the uploader of a write-back mount; pass it in
// Options.WriteBack, and call Drain after the unmount.
func NewWriteBack() *WriteBack {
	return &WriteBack{queue: make(chan *fileNode, 1024), stop: make(chan struct{})}
}

func (w *WriteBack) start(f *filesystem, workers int) {
	for range workers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				select {
				case n := <-w.queue:
					w.upload(f, n, 0)
				case <-w.stop:
					return
				}
			}
		}()
	}
}

func (w *WriteBack) enqueue(n *fileNode) {
	w.pending.Add(1)
	go func() { w.queue <- n }()
}

// upload sends n's acknowledged content; on failure it tries again later,
// with a growing delay (the data is safe on local disk meanwhile).
func (w *WriteBack) upload(f *filesystem, n *fileNode, attempt int) {
	err := n.uploadPending(context.Background())
	if err == nil {
		w.pending.Done()
		return
	}
	delay := min(time.Second<<min(attempt, 6), time.Minute)
	f.log.Warn("background upload failed; will retry", "path", n.logical(), "retry_in", delay, "err", err)
	time.AfterFunc(delay, func() {
		select {
		case <-w.stop:
			w.pending.Done()
		default:
			w.upload(f, n, attempt+1)
		}
	})
}

// Drain waits until every acknowledged file is in the store, or ctx ends
// (what is left is uploaded by the next mount), then stops the uploaders.
func (w *WriteBack) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { w.pending.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("uploads not finished, left for the next mount: %w", ctx.Err())
	}
	close(w.stop)
	w.wg.Wait()
	return err
}

// commitLocal acknowledges the content once its sealed staging copy is
// durable in PendingDir, and queues the upload.
func (n *fileNode) commitLocal(ctx context.Context) error {
	if err := n.ensureStaged(ctx); err != nil {
		return err
	}
	if err := n.stage.file.Sync(); err != nil {
		return err
	}
	if !n.stage.acked {
		dst := filepath.Join(n.fsys.opts.PendingDir, filepath.Base(n.stage.path))
		if err := os.Rename(n.stage.path, dst); err != nil {
			return err
		}
		n.stage.path = dst
		if err := syncDir(n.fsys.opts.PendingDir); err != nil {
			return err
		}
		n.stage.acked = true
	}
	wasPending := n.pending
	n.dirty, n.pending = false, true
	if !wasPending {
		n.fsys.opts.WriteBack.enqueue(n)
	}
	return nil
}

// uploadPending sends the acknowledged staged content to the store.
func (n *fileNode) uploadPending(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.pending || n.stage == nil || n.unlinked {
		n.pending = false
		return nil
	}
	return n.flushPending(ctx)
}

// syncDir fsyncs a directory, making its entries durable.
func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// replayPending uploads every journaled file left in PendingDir by an
// earlier mount, before this one serves. A file that names a KEK this
// mount has not loaded stops the mount and is kept.
func (f *filesystem) replayPending(ctx context.Context) error {
	entries, err := os.ReadDir(f.opts.PendingDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(f.opts.PendingDir, e.Name())
		if err := f.replayOne(ctx, path); err != nil {
			return fmt.Errorf("replaying the write-back journal: %s: %w (the file is kept)", path, err)
		}
	}
	if len(entries) > 0 {
		f.log.Info("write-back journal replayed", "files", len(entries))
	}
	return nil
}

func (f *filesystem) replayOne(ctx context.Context, path string) error {
	osf, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	sf, err := staging.Open(osf, f.ring)
	if err != nil {
		osf.Close()
		if errors.Is(err, keyring.ErrUnknownKEK) || errors.Is(err, keyring.ErrRevokedKEK) {
			return fmt.Errorf("%w: load that key (as decrypt-only) to mount", err)
		}
		return err
	}
	defer sf.Close()
	if sf.Volume() != f.opts.Volume {
		return fmt.Errorf("staged for volume %x, this is %x", sf.Volume(), f.opts.Volume)
	}
	up, err := f.store.Create(ctx, objectKey(sf.Path()))
	if err != nil {
		return err
	}
	w, err := envelope.NewWriter(up, f.ring, f.identity(sf.Path()), envelope.WriterOptions{ChunkSize: f.opts.ChunkSize})
	if err != nil {
		up.Abort()
		return err
	}
	release := f.reserve(f.writerCost() + f.copyCost())
	defer release()
	if err := copyPlain(w, sf, sf.Size()); err != nil {
		w.Close()
		up.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		up.Abort()
		return err
	}
	// The version this one replaces was not recorded: unconditional.
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		return err
	}
	f.forget(sf.Path())
	f.log.Info("write-back: uploaded a file left by an earlier mount", "path", sf.Path())
	if err := os.Remove(path); err != nil {
		return err
	}
	return syncDir(f.opts.PendingDir)
}

// clearStaging removes unacknowledged staging files an earlier mount left
// (a write-through mount acknowledges only what is in the store).
func (f *filesystem) clearStaging() {
	entries, _ := os.ReadDir(f.opts.StagingDir)
	for _, e := range entries {
		os.Remove(filepath.Join(f.opts.StagingDir, e.Name()))
	}
	if len(entries) > 0 {
		f.log.Info("removed unacknowledged staging files of an earlier mount", "files", len(entries))
	}
}

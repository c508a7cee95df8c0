package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// Write-back: with Options.WriteBack, fsync and close return once the
// file's sealed staging copy is fdatasynced and moved into the journal
// (PendingDir, see journal.go); unlink and rename of files with queued
// changes are journaled too. Uploaders apply the journal to the store in
// the background, one change per path at a time, retrying while the store
// is down. Everything is replayed from PendingDir and the keyring alone
// at the next mount.

// WriteBack runs the background uploads of one mount.
type WriteBack struct {
	mu      sync.Mutex
	journal *journal
	wg      sync.WaitGroup
	stop    chan struct{}
}

// NewWriteBack returns the uploader of a write-back mount; pass it in
// Options.WriteBack, and call Drain after the unmount.
func NewWriteBack() *WriteBack {
	return &WriteBack{stop: make(chan struct{})}
}

// Stats describes the changes not yet in the store (zero before the mount).
func (w *WriteBack) Stats() JournalStats {
	w.mu.Lock()
	j := w.journal
	w.mu.Unlock()
	if j == nil {
		return JournalStats{}
	}
	return j.stats()
}

func (w *WriteBack) start(f *filesystem, workers int) {
	w.mu.Lock()
	w.journal = f.journal
	w.mu.Unlock()
	for range workers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			f.runUploads(w.stop)
		}()
	}
}

// Drain waits until every acknowledged change is in the store, or ctx
// ends (what is left stays journaled for the next mount), then stops the
// uploaders.
func (w *WriteBack) Drain(ctx context.Context) error {
	w.mu.Lock()
	j := w.journal
	w.mu.Unlock()
	var err error
	if j != nil {
		if err = j.waitEmpty(ctx); err != nil {
			s := j.stats()
			err = fmt.Errorf("%d changes not in the store, left for the next mount: %w", s.Queued, err)
		}
	}
	close(w.stop)
	w.wg.Wait()
	return err
}

// waitUntil waits until done (called with j.mu held) holds, or ctx ends.
func (j *journal) waitUntil(ctx context.Context, done func() bool) error {
	stop := context.AfterFunc(ctx, func() {
		j.mu.Lock()
		j.changed.Broadcast()
		j.mu.Unlock()
	})
	defer stop()
	j.mu.Lock()
	defer j.mu.Unlock()
	for !done() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		j.changed.Wait()
	}
	return nil
}

// waitEmpty waits until no state is queued or in flight, or ctx ends.
func (j *journal) waitEmpty(ctx context.Context) error {
	return j.waitUntil(ctx, func() bool { return len(j.states) == 0 && len(j.busy) == 0 })
}

// waitPaths waits until none of paths has a queued or in-flight change,
// or ctx ends: for operations that need the store to hold them first.
func (j *journal) waitPaths(ctx context.Context, paths ...string) error {
	if j == nil {
		return nil
	}
	err := j.waitUntil(ctx, func() bool {
		for _, p := range paths {
			if j.states[p] != nil || j.busy[p] {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("waiting for queued changes to reach the store: %w: %w", remote.ErrUnavailable, err)
	}
	return nil
}

// pick returns the oldest state ready to apply, or how long to wait for
// one whose retry is due (0: until kicked).
func (j *journal) pick(now time.Time) (*journalState, time.Duration) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if d := j.pauseUntil.Sub(now); d > 0 {
		return nil, d // the store is down: wait before the next try
	}
	live := j.order[:0]
	var found *journalState
	var wait time.Duration
	for _, s := range j.order {
		if s.dropped {
			continue
		}
		live = append(live, s)
		if found != nil || s.inflight || j.busy[s.path] || (s.after != nil && !s.after.dropped) {
			continue
		}
		if d := s.retryAt.Sub(now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		found = s
	}
	clear(j.order[len(live):])
	j.order = live
	if found != nil {
		found.inflight = true
		j.busy[found.path] = true
	}
	return found, wait
}

// runUploads applies journaled changes until stop is closed.
func (f *filesystem) runUploads(stop <-chan struct{}) {
	j := f.journal
	for {
		st, wait := j.pick(time.Now())
		if st == nil {
			var timer <-chan time.Time
			if wait > 0 {
				timer = time.After(wait)
			}
			select {
			case <-stop:
				return
			case <-j.kick:
			case <-timer:
			}
			continue
		}
		f.applyState(context.Background(), st)
		select {
		case j.kick <- struct{}{}: // others may be ready now
		default:
		}
	}
}

// applyState sends one journaled change to the store and records the
// outcome: applied, kept for a retry, or (refused for good) moved aside.
func (f *filesystem) applyState(ctx context.Context, st *journalState) {
	j := f.journal
	var info remote.Info
	var err error
	if st.data != nil {
		info, err = f.uploadJournaled(ctx, st.path, st.data.stage, st.cond)
	} else if st.from != "" {
		info, err = f.finishMove(ctx, st.from, st.path)
	} else {
		err = f.store.Delete(ctx, objectKey(st.path), remote.Condition{})
		if errors.Is(err, remote.ErrNotFound) {
			err = nil
		}
	}
	refused := err != nil && permanent(err)
	if refused && st.data != nil {
		f.keepConflict(st, err)
	}
	if err == nil && st.data != nil {
		// The node learns the new version before the journal lets go of
		// the path: a rewrite acknowledged from now on replaces this
		// version (or, until the drop below, inherits no condition).
		f.journalApplied(st.path, st.data.stage, info, false)
	}
	j.mu.Lock()
	delete(j.busy, st.path)
	st.inflight = false
	switch {
	case err == nil || refused:
		if err == nil {
			j.failures, j.pauseUntil, j.downUntil = 0, time.Time{}, time.Time{}
			if st.present() {
				j.uploaded(st.path, info)
			} else {
				j.deleted(st.path)
			}
		}
		if next := j.states[st.path]; next != nil && next != st && err == nil {
			// The change after this one replaces what this one wrote.
			if st.data != nil {
				next.cond = remote.Condition{IfMatch: info.Version}
			} else {
				next.cond = remote.Condition{IfAbsent: true}
			}
		}
		j.drop(st)
	default:
		// The store is down (or refused for now): every upload waits,
		// with a delay that grows to 10 s, and resumes at once when
		// one succeeds.
		j.failures++
		delay := min(250*time.Millisecond<<min(j.failures-1, 6), 10*time.Second)
		j.pauseUntil = time.Now().Add(delay)
		if errors.Is(err, remote.ErrUnavailable) {
			j.downUntil = time.Now().Add(storeDownHold)
		}
		st.attempts++
		if st.attempts == 1 || st.attempts%10 == 0 {
			f.log.Warn("write-back: change not in the store yet; will retry", "path", st.path, "attempt", st.attempts, "retry_in", delay, "queued", len(j.states), "err", err)
		}
	}
	j.changed.Broadcast()
	j.mu.Unlock()
	switch {
	case err == nil && st.data != nil:
	case err == nil && st.from != "":
		f.storedBelow(st.path, info)
	case err == nil:
		f.changed(st.path, absent, remote.Info{})
	case refused && st.data != nil:
		// The store keeps the other writer's version: the node shows it.
		if cur, serr := f.store.Stat(ctx, objectKey(st.path)); serr == nil {
			f.journalApplied(st.path, st.data.stage, cur, true)
		}
	}
}

// permanent reports whether a store error will not go away by retrying.
func permanent(err error) bool {
	return errors.Is(err, remote.ErrPreconditionFailed) || errors.Is(err, remote.ErrInvalidKey) ||
		errors.Is(err, envelope.ErrIntegrity) || errors.Is(err, errTooLong)
}

var errTooLong = errors.New("name too long for the store")

// uploadJournaled seals stage's plaintext into a new object at path under
// cond. When cond fails because the store already holds this very content
// (an earlier upload whose acknowledgement a crash lost), it succeeds.
func (f *filesystem) uploadJournaled(ctx context.Context, path string, stage *stagedFile, cond remote.Condition) (remote.Info, error) {
	info, err := f.sealTo(ctx, path, stage.file, stage.file.Size(), cond)
	if err != nil {
		if errors.Is(err, remote.ErrPreconditionFailed) {
			if same, sinfo := f.storeHolds(ctx, path, stage); same {
				return sinfo, nil
			}
		}
		return remote.Info{}, fmt.Errorf("upload %s: %w", path, err)
	}
	return info, nil
}

// finishMove re-seals from's stored object at to (a rename a crash
// interrupted). If from is gone, the rename had finished.
func (f *filesystem) finishMove(ctx context.Context, from, to string) (remote.Info, error) {
	v, err := f.openVerified(ctx, from, "", nil, nil)
	if errors.Is(err, remote.ErrNotFound) {
		return f.store.Stat(ctx, objectKey(to))
	}
	if err != nil {
		return remote.Info{}, err
	}
	defer v.release()
	return f.reseal(ctx, v, to, remote.Condition{})
}

// storeHolds reports whether the store's object at path authenticates and
// holds exactly stage's plaintext.
func (f *filesystem) storeHolds(ctx context.Context, path string, stage *stagedFile) (bool, remote.Info) {
	v, err := f.openVerified(ctx, path, "", nil, nil)
	if err != nil {
		return false, remote.Info{}
	}
	defer v.release()
	size := stage.file.Size()
	if v.reader.Size() != size {
		return false, remote.Info{}
	}
	a, b := make([]byte, 256<<10), make([]byte, 256<<10)
	for off := int64(0); off < size; off += int64(len(a)) {
		n := int(min(int64(len(a)), size-off))
		if _, err := v.readAt(f, a[:n], off); err != nil {
			return false, remote.Info{}
		}
		if _, err := stage.file.ReadAt(b[:n], off); err != nil {
			return false, remote.Info{}
		}
		if !bytes.Equal(a[:n], b[:n]) {
			return false, remote.Info{}
		}
	}
	return true, v.info
}

// keepConflict moves a change the store refused for good out of the
// journal into the state dir's conflicts/ directory, logs and audits it:
// the acknowledged content is kept for the operator, never dropped.
func (f *filesystem) keepConflict(st *journalState, cause error) {
	dir := filepath.Join(filepath.Dir(f.opts.PendingDir), "conflicts")
	f.journal.mu.Lock()
	shared := st.data.refs > 1
	name := st.data.name
	f.journal.mu.Unlock()
	kept := "(still journaled under another name)"
	if !shared {
		kept = filepath.Join(dir, name)
		err := os.MkdirAll(dir, 0o700)
		if err == nil {
			err = copyFileSynced(filepath.Join(f.opts.PendingDir, name), kept)
		}
		if err != nil {
			kept = "(could not be copied: " + err.Error() + "; the journal keeps it)"
		}
	}
	f.log.Error("write-back: the store refused an acknowledged change; the local copy is kept",
		"path", st.path, "kept", kept, "err", cause)
	f.ring.Auditor().Audit(keyring.Event{Time: time.Now(), Kind: keyring.WriteConflict, Object: st.path, Err: cause})
}

// copyFileSynced hard-links (or copies) src to dst and makes it durable.
func copyFileSynced(src, dst string) error {
	if err := os.Link(src, dst); err != nil {
		data, rerr := os.ReadFile(src)
		if rerr != nil {
			return err
		}
		if err := writeSynced(dst, data); err != nil {
			return err
		}
	}
	return syncDir(filepath.Dir(dst))
}

// journalApplied tells the file node at path, if the kernel still knows
// it, that its journaled content reached the store as info (or, refused,
// that the store holds info, another writer's version).
func (f *filesystem) journalApplied(path string, stage *stagedFile, info remote.Info, refused bool) {
	f.storedBelow(path, info)
	n, parent := f.nodeAt(path)
	if parent != nil && !refused {
		f.markers.settleAbove(&parent.Inode)
	}
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.unlinked {
		return
	}
	if n.stage != stage {
		n.committed, n.checkedAt = info, time.Now() // what its next upload replaces
		return
	}
	n.stage.release()
	n.stage = nil
	n.setCommitted(info)
	if refused {
		// Another version than the one shown: the kernel must drop the
		// inode's size and pages.
		if size, err := envelope.PlaintextSize(info.Size, f.opts.ChunkSize); err == nil {
			n.size = size
		}
		n.staleInode = true
	}
}

// nodeAt finds the file node at path and its directory in the inode tree,
// or nil where the kernel has forgotten them.
func (f *filesystem) nodeAt(path string) (*fileNode, *dirNode) {
	if !f.mounted.Load() {
		return nil, nil
	}
	dir := f.root
	parts := strings.Split(path, "/")
	for i, name := range parts {
		ch := dir.GetChild(name)
		if ch == nil {
			return nil, nil
		}
		if i == len(parts)-1 {
			fn, _ := ch.Operations().(*fileNode)
			return fn, dir
		}
		dn, ok := ch.Operations().(*dirNode)
		if !ok {
			return nil, nil
		}
		dir = dn
	}
	return nil, nil
}

// commitLocal acknowledges the content once its sealed staging copy is
// durable in the journal, which uploads it in the background.
func (n *fileNode) commitLocal(ctx context.Context) error {
	path, ok := n.livePath()
	if !ok {
		n.dropPrivate()
		return nil
	}
	if err := n.ensureStaged(ctx); err != nil {
		return err
	}
	if err := n.stage.file.Sync(); err != nil {
		return err
	}
	if err := n.fsys.journal.put(path, n.stage, n.baseCond()); err != nil {
		return err
	}
	n.dirty = false
	return nil
}

// baseCond is what an upload of n's content may replace: the version this
// mount knows, or nothing.
func (n *fileNode) baseCond() remote.Condition {
	if n.committed.Version == "" {
		return remote.Condition{IfAbsent: true}
	}
	return remote.Condition{IfMatch: n.committed.Version}
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

// replayJournal applies what an earlier mount left in the journal before
// this one serves, when this mount is not write-back (a write-back mount
// goes on uploading it in the background while it serves).
func (f *filesystem) replayJournal(ctx context.Context) error {
	j := f.journal
	j.mu.Lock()
	queued := len(j.states)
	j.mu.Unlock()
	if queued == 0 {
		return nil
	}
	for {
		st, _ := j.pick(time.Now())
		if st == nil {
			break
		}
		f.applyState(ctx, st)
		if !st.dropped {
			return fmt.Errorf("replaying the write-back journal: %s is not in the store yet (the journal is kept; mount again when the store is reachable)", st.path)
		}
	}
	f.log.Info("write-back journal replayed", "paths", queued)
	return nil
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

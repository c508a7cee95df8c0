package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/remote"
)

// Linux renameat2 flags.
const (
	renameNoReplace = 1
	renameExchange  = 2
)

// Rename moves a file by re-encrypting it under the new path's identity (a
// fresh data key), writing it conditionally, then deleting the old object:
// O(size). A journal record written first makes the next mount finish a
// rename that a crash interrupted (one name, never both). In write-back
// mode a file whose content is in the journal moves there, with one
// record. Empty directories move by their markers; a non-empty directory
// answers EXDEV, so mv copies.
func (d *dirNode) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) (errno syscall.Errno) {
	ctx = detach(ctx)
	defer func() {
		if errno == 0 {
			d.touch()
			if dst, ok := newParent.(*dirNode); ok && dst != d {
				dst.touch()
			}
		}
	}()
	if e := nameErrno(d.logical(), name, false); e != 0 {
		return e
	}
	if dst, ok := newParent.(*dirNode); ok {
		if e := nameErrno(dst.logical(), newName, true); e != 0 {
			return e
		}
	}
	if flags&renameExchange != 0 {
		return syscall.EINVAL
	}
	dst, ok := newParent.(*dirNode)
	if !ok {
		return syscall.EXDEV
	}
	if reserved(dst.logical(), newName) {
		return syscall.EACCES
	}
	from := childPath(d.logical(), name)
	to := childPath(dst.logical(), newName)
	ch := d.GetChild(name)
	if ch == nil {
		return syscall.ENOENT
	}
	switch n := ch.Operations().(type) {
	case *fileNode:
		return d.renameFile(ctx, n, from, dst, newName, to, flags)
	case *dirNode:
		return d.renameDir(ctx, n, from, to, dst, flags)
	}
	return syscall.EINVAL
}

func (d *dirNode) renameFile(ctx context.Context, n *fileNode, from string, dst *dirNode, newName, to string, flags uint32) syscall.Errno {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.commit(ctx); err != nil {
		return n.fail("rename", err)
	}
	d.fsys.journal.forgetRecent(from)
	if d.fsys.opts.WriteBack != nil {
		if n.held() || d.fsys.journal.has(from) || d.fsys.journal.has(to) {
			return d.renameJournaled(ctx, n, from, dst, newName, to, flags)
		}
	}
	return d.renameStored(ctx, n, from, dst, newName, to, flags)
}

// renameStored moves a file whose content the store holds: re-sealed at
// the new name, then deleted at the old one (n is locked).
func (d *dirNode) renameStored(ctx context.Context, n *fileNode, from string, dst *dirNode, newName, to string, flags uint32) syscall.Errno {
	cond, errno := dst.replaceCondition(ctx, newName, to, flags)
	if errno != 0 {
		return errno
	}
	src, err := n.verifiedLatest(ctx)
	if err != nil {
		return n.fail("rename", err)
	}
	intent, err := d.fsys.journal.beginMove(from, to)
	if err != nil {
		return d.fail("rename", from, err)
	}
	info, err := d.fsys.reseal(ctx, src, to, cond)
	if err != nil {
		d.fsys.journal.endMove(intent, from, true) // nothing moved
		return d.fail("rename", to, err)
	}
	err = d.fsys.store.Delete(ctx, objectKey(from), remote.Condition{IfMatch: src.info.Version})
	if errors.Is(err, remote.ErrPreconditionFailed) {
		// Another writer replaced the old name meanwhile: its object is
		// left in place, never deleted.
		d.fsys.log.Warn("rename: old name replaced by another writer; left in place", "from", from, "to", to)
		d.fsys.journal.endMove(intent, from, true)
	} else if err != nil && !errors.Is(err, remote.ErrNotFound) {
		// The new object is in place: the old name is deleted through
		// the journal (now absent in this mount), never left beside it.
		d.fsys.log.Warn("rename: old object not deleted yet; queued", "from", from, "to", to, "err", err)
		d.fsys.journal.endMove(intent, from, false)
	} else {
		d.fsys.journal.endMove(intent, from, true)
	}
	n.setCommitted(info)
	d.fsys.changed(from, absent, remote.Info{})
	d.fsys.changed(to, isFile, info)
	d.fsys.markers.settleAbove(&dst.Inode)
	d.markerDueAfterRemoval()
	dst.detachReplaced(n, newName)
	return 0
}

// detachReplaced marks the file that a rename replaced at newName as
// unlinked: nothing it still holds goes to that name.
func (dst *dirNode) detachReplaced(n *fileNode, newName string) {
	if old := dst.GetChild(newName); old != nil {
		if ofn, ok := old.Operations().(*fileNode); ok && ofn != n {
			ofn.mu.Lock()
			ofn.detach()
			ofn.mu.Unlock()
		}
	}
}

// renameJournaled renames a file in write-back mode when the file's
// content, or a change to either name, waits in the journal: content held
// locally is moved in the journal with one record (the next mount finishes
// it: one name, never both); content only in the store needs the queued
// changes of both names applied first, then moves in the store.
func (d *dirNode) renameJournaled(ctx context.Context, n *fileNode, from string, dst *dirNode, newName, to string, flags uint32) syscall.Errno {
	j := d.fsys.journal
	if !n.held() {
		wctx, cancel := context.WithTimeout(ctx, journalWait)
		err := j.waitPaths(wctx, from, to)
		cancel()
		if err != nil {
			return d.fail("rename", from, err)
		}
		return d.renameStored(ctx, n, from, dst, newName, to, flags)
	}
	var cond remote.Condition
	if !j.has(to) {
		c, errno := dst.replaceCondition(ctx, newName, to, flags)
		switch {
		case errno == syscall.EIO && flags&renameNoReplace == 0:
			// The store cannot say what is there now: replace whatever is.
		case errno != 0:
			return errno
		default:
			cond = c
		}
	} else if flags&renameNoReplace != 0 {
		if _, present, _ := j.lookup(to); present {
			return syscall.EEXIST
		}
	}
	if err := j.rename(from, to, cond); errors.Is(err, errNotJournaled) {
		// Uploaded a moment ago: it moves in the store.
		return d.renameStored(ctx, n, from, dst, newName, to, flags)
	} else if err != nil {
		return d.fail("rename", from, err)
	}
	d.fsys.forget(from)
	d.fsys.forget(to)
	dst.detachReplaced(n, newName)
	d.markerDueAfterRemoval()
	return 0
}

// replaceCondition decides how the rename target may be written: only if
// still absent, or only over the exact version seen now.
func (dst *dirNode) replaceCondition(ctx context.Context, newName, to string, flags uint32) (remote.Condition, syscall.Errno) {
	info, err := dst.fsys.store.Stat(ctx, objectKey(to))
	switch {
	case err == nil:
		if flags&renameNoReplace != 0 {
			return remote.Condition{}, syscall.EEXIST
		}
		return remote.Condition{IfMatch: info.Version}, 0
	case !errors.Is(err, remote.ErrNotFound):
		return remote.Condition{}, dst.fail("rename", to, err)
	}
	if isDir, err := dst.fsys.dirExists(ctx, to); err != nil {
		return remote.Condition{}, dst.fail("rename", to, err)
	} else if isDir {
		return remote.Condition{}, syscall.EISDIR
	}
	return remote.Condition{IfAbsent: true}, 0
}

// toName returns the last element of a logical path.
func toName(logical string) string { return logical[strings.LastIndexByte(logical, '/')+1:] }

// holdsLocally reports whether d's child directory name holds entries
// that exist in this mount (directories made here, files not unlinked).
func (d *dirNode) holdsLocally(name string) bool {
	ch := d.GetChild(name)
	if ch == nil {
		return false
	}
	if _, ok := ch.Operations().(*dirNode); !ok {
		return false
	}
	for _, gc := range ch.Children() {
		switch n := gc.Operations().(type) {
		case *dirNode:
			n.markerMu.Lock()
			gone := n.removed
			n.markerMu.Unlock()
			if !gone {
				return true
			}
		case *fileNode:
			n.mu.Lock()
			gone := n.unlinked
			n.mu.Unlock()
			if !gone {
				return true
			}
		}
	}
	return false
}

// reseal copies src's plaintext into a new object at logical, sealed under a
// fresh data key and logical's identity.
func (f *filesystem) reseal(ctx context.Context, src *verifiedObject, logical string, cond remote.Condition) (remote.Info, error) {
	plain := readerAtFunc(func(p []byte, off int64) (int, error) { return src.readAt(f, p, off) })
	return f.sealTo(ctx, logical, plain, src.reader.Size(), cond)
}

// sealTo seals size bytes of plaintext from src into a new object at
// logical (a fresh data key, logical's identity) and commits it under cond.
func (f *filesystem) sealTo(ctx context.Context, logical string, src io.ReaderAt, size int64, cond remote.Condition) (remote.Info, error) {
	up, err := f.store.Create(ctx, objectKey(logical))
	if err != nil {
		return remote.Info{}, err
	}
	w, err := envelope.NewWriter(up, f.ring, f.identity(logical), envelope.WriterOptions{ChunkSize: f.opts.ChunkSize})
	if err != nil {
		up.Abort()
		return remote.Info{}, err
	}
	release := f.reserve(f.writerCost() + f.copyCost())
	err = copyPlain(w, src, size)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	release()
	if err != nil {
		up.Abort()
		return remote.Info{}, err
	}
	defer f.reserve(f.commitCost(up.Size()))()
	info, err := up.Commit(ctx, cond)
	if err != nil {
		up.Abort() // after a failed Commit nothing retries this upload
		return remote.Info{}, fmt.Errorf("commit %s: %w", logical, err)
	}
	return info, nil
}

func (d *dirNode) renameDir(ctx context.Context, moved *dirNode, from, to string, dst *dirNode, flags uint32) syscall.Errno {
	queuedFrom, _ := d.fsys.journal.under(from)
	queuedTo, _ := d.fsys.journal.under(to)
	if queuedFrom || queuedTo {
		if err := d.fsys.waitJournal(ctx, from); err != nil {
			return d.fail("rename", from, err)
		}
		if err := d.fsys.waitJournal(ctx, to); err != nil {
			return d.fail("rename", to, err)
		}
	}
	nonEmpty, err := d.fsys.hasChildren(ctx, from)
	if err != nil {
		return d.fail("rename", from, err)
	}
	if nonEmpty {
		return syscall.EXDEV
	}
	if _, err := d.fsys.store.Stat(ctx, objectKey(to)); err == nil {
		return syscall.ENOTDIR
	}
	if dst.holdsLocally(toName(to)) || d.fsys.journal.holds(to) {
		// Entries this mount made in the target that the store does not
		// show yet (lazy directories, files not uploaded) count too.
		if flags&renameNoReplace != 0 {
			return syscall.EEXIST
		}
		return syscall.ENOTEMPTY
	}
	if exists, err := d.fsys.dirExists(ctx, to); err != nil {
		return d.fail("rename", to, err)
	} else if exists {
		if flags&renameNoReplace != 0 {
			return syscall.EEXIST
		}
		if full, err := d.fsys.hasChildren(ctx, to); err != nil {
			return d.fail("rename", to, err)
		} else if full {
			return syscall.ENOTEMPTY
		}
	}
	d.fsys.markers.dropStale(from, moved)
	d.fsys.markers.dropStale(to, nil)
	up, err := d.fsys.store.Create(ctx, markerKey(to))
	if err != nil {
		return d.fail("rename", to, err)
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		return d.fail("rename", to, err)
	}
	d.fsys.changed(to, isDir, remote.Info{})
	moved.markerMu.Lock()
	moved.noMarker = false // it has one now, at its new path
	moved.markerMu.Unlock()
	d.fsys.markers.settle(moved)
	d.fsys.markers.settleAbove(&dst.Inode)
	err = d.fsys.store.Delete(ctx, markerKey(from), remote.Condition{})
	d.fsys.changed(from, absent, remote.Info{})
	if err != nil {
		d.fsys.forget(from)
		return d.fail("rename", from, err)
	}
	d.markerDueAfterRemoval()
	return 0
}

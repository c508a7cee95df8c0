package fs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/remote"
)

// dirNode is a directory: a key prefix in the store.
type dirNode struct {
	gofs.Inode
	fsys *filesystem

	mu    sync.Mutex
	mode  uint32
	mtime time.Time
	ctime time.Time // last change of the entries or the attributes

	// markerMu serializes writing this directory's marker (DirMarkers)
	// with removing the directory.
	markerMu sync.Mutex
	// noMarker is set on a directory this mount made without a marker
	// (DirMarkers): when the objects that make it exist are removed, its
	// marker is due again. Guarded by markerMu.
	noMarker bool
	// removed is set once rmdir removed the directory. Guarded by markerMu.
	removed bool
	// lazyPath is where the directory was when its marker was last
	// scheduled, should the kernel forget its inode before it is written.
	// Guarded by markerMu.
	lazyPath string
}

var (
	_ gofs.NodeLookuper  = (*dirNode)(nil)
	_ gofs.NodeReaddirer = (*dirNode)(nil)
	_ gofs.NodeMkdirer   = (*dirNode)(nil)
	_ gofs.NodeRmdirer   = (*dirNode)(nil)
	_ gofs.NodeCreater   = (*dirNode)(nil)
	_ gofs.NodeUnlinker  = (*dirNode)(nil)
	_ gofs.NodeRenamer   = (*dirNode)(nil)
	_ gofs.NodeGetattrer = (*dirNode)(nil)
	_ gofs.NodeSetattrer = (*dirNode)(nil)
	_ gofs.NodeStatfser  = (*dirNode)(nil)
	_ gofs.NodeFsyncer   = (*dirNode)(nil)
)

func (d *dirNode) logical() string { return d.Path(d.Root()) }

// Getattr synthesizes a directory's attributes.
func (d *dirNode) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.fillAttr(&out.Attr)
	out.SetTimeout(d.fsys.opts.AttrTimeout)
	return 0
}

func (d *dirNode) fillAttr(a *fuse.Attr) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a.Mode = syscall.S_IFDIR | d.mode
	a.Nlink = 2
	a.Size = 4096
	a.Blksize = 4096
	a.Uid, a.Gid = d.fsys.opts.UID, d.fsys.opts.GID
	a.SetTimes(nil, &d.mtime, &d.ctime)
}

// touchIfDone touches d if the operation whose result is *errno succeeded.
func (d *dirNode) touchIfDone(errno *syscall.Errno) {
	if *errno == 0 {
		d.touch()
	}
}

// touch records that an entry was created, removed or renamed in d.
func (d *dirNode) touch() {
	d.mu.Lock()
	d.mtime = time.Now()
	d.ctime = d.mtime
	d.mu.Unlock()
}

// Setattr accepts mode and time changes (kept in memory only).
func (d *dirNode) Setattr(ctx context.Context, fh gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := d.fsys.checkOwner(in); e != 0 {
		return e
	}
	d.mu.Lock()
	if m, ok := in.GetMode(); ok {
		d.mode = d.fsys.maskMode(m)
	}
	if mt, ok := in.GetMTime(); ok {
		d.mtime = mt
	}
	d.ctime = time.Now()
	d.mu.Unlock()
	d.fillAttr(&out.Attr)
	return 0
}

// Statfs reports the local tier's disk, or a large synthetic capacity.
func (d *dirNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	ctx = detach(ctx)
	const bsize = 4096
	total, free := uint64(1<<50), uint64(1<<50)
	if sr, ok := d.fsys.store.(remote.SpaceReporter); ok {
		t, f, err := sr.Space(ctx)
		if err != nil {
			return errno(err)
		}
		total, free = t, f
	}
	out.Bsize, out.Frsize = bsize, bsize
	out.Blocks, out.Bfree, out.Bavail = total/bsize, free/bsize, free/bsize
	out.Files, out.Ffree = 1<<40, 1<<40
	out.NameLen = 255
	return 0
}

// Lookup finds name in the store: an object (a file), or a prefix or
// marker (a directory). Files this mount is still writing are found in
// the inode tree.
func (d *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ctx = detach(ctx)
	if e := nameErrno(d.logical(), name, false); e != 0 {
		return nil, e
	}
	if reserved(d.logical(), name) || nameErrno(d.logical(), name, true) != 0 {
		return nil, syscall.ENOENT // a path no store can key does not exist
	}
	logical := childPath(d.logical(), name)
	if ch := d.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.mu.Lock()
			local := fn.dirty || fn.held() || fn.committed.Version == ""
			if local {
				fn.fillAttr(&out.Attr)
			}
			fn.mu.Unlock()
			if local {
				d.setTimeouts(out)
				return ch, 0
			}
		}
		if dn, ok := ch.Operations().(*dirNode); ok && d.fsys.markers.isPending(dn) {
			dn.fillAttr(&out.Attr) // made by this mount; the store does not show it yet
			d.setTimeouts(out)
			return ch, 0
		}
	}
	if stage, present, ok := d.fsys.journal.lookup(logical); ok {
		// Acknowledged in write-back mode, not in the store yet.
		switch {
		case !present:
			return nil, syscall.ENOENT
		case stage != nil:
			return d.heldEntry(ctx, name, stage, out), 0
		}
		// A rename an earlier mount left unfinished: the store has it soon.
		wctx, cancel := context.WithTimeout(ctx, journalWait)
		err := d.fsys.journal.waitPaths(wctx, logical)
		cancel()
		if err != nil {
			return nil, d.fail("lookup", logical, err)
		}
	}
	if d.fsys.journal.holds(logical) {
		return d.dirEntry(ctx, name, out), 0 // its files are in the journal
	}
	kind, info, err := d.fsys.resolve(ctx, logical)
	if err == nil && kind == absent {
		if recent, ok := d.fsys.journal.recentlyUploaded(logical); ok {
			// Uploaded from the journal moments ago: a listing cached
			// while the upload finished does not show it yet.
			kind, info = isFile, recent
		}
	}
	switch {
	case err != nil && d.fsys.opts.WriteBack != nil && errors.Is(err, remote.ErrUnavailable):
		return d.offlineEntry(ctx, name, logical, err, out)
	case err != nil:
		return nil, d.fail("lookup", logical, err)
	case kind == isFile:
		return d.fileEntry(ctx, name, info, out), 0
	case kind == isDir:
		return d.dirEntry(ctx, name, out), 0
	}
	return nil, syscall.ENOENT
}

func (d *dirNode) setTimeouts(out *fuse.EntryOut) {
	out.SetEntryTimeout(d.fsys.opts.AttrTimeout)
	out.SetAttrTimeout(d.fsys.opts.AttrTimeout)
}

// fileEntry returns the child inode for an existing object, refreshing a
// known clean node with what the store says.
func (d *dirNode) fileEntry(ctx context.Context, name string, info remote.Info, out *fuse.EntryOut) *gofs.Inode {
	size, err := envelope.PlaintextSize(info.Size, d.fsys.opts.ChunkSize)
	if err != nil {
		// Not a valid sealfs object: visible (so it can be removed) but
		// open will refuse it.
		size = 0
	}
	if ch := d.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.mu.Lock()
			changed := (!fn.dirty && !fn.held() && fn.committed.Version != info.Version) || fn.staleInode
			if !changed || fn.handles > 0 {
				if changed {
					fn.setCommitted(info)
					fn.size = size
				} else if !fn.dirty && !fn.held() {
					fn.checkedAt = time.Now()
				}
				fn.fillAttr(&out.Attr)
				fn.mu.Unlock()
				d.setTimeouts(out)
				return ch
			}
			fn.mu.Unlock()
			// Replaced by another mount: answer with a new inode. With the
			// writeback cache the kernel trusts its own size of a cached
			// inode and would keep the old one.
		}
	}
	fn := d.fsys.newFileNode(d.fsys.opts.FileMode) // the object records no mode
	fn.committed, fn.size, fn.mtime, fn.checkedAt = info, size, info.ModTime, time.Now()
	fn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return d.NewInode(ctx, fn, gofs.StableAttr{Mode: syscall.S_IFREG})
}

// heldEntry returns the child inode of a file whose content is held in
// the write-back journal (stage: a reference the node takes over).
func (d *dirNode) heldEntry(ctx context.Context, name string, stage *stagedFile, out *fuse.EntryOut) *gofs.Inode {
	if ch := d.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.mu.Lock()
			if !fn.dirty && fn.stage != stage {
				fn.attachHeld(stage)
			} else {
				stage.release()
			}
			fn.fillAttr(&out.Attr)
			fn.mu.Unlock()
			d.setTimeouts(out)
			return ch
		}
	}
	fn := d.fsys.newFileNode(d.fsys.opts.FileMode)
	fn.attachHeld(stage)
	fn.mtime = time.Now()
	fn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return d.NewInode(ctx, fn, gofs.StableAttr{Mode: syscall.S_IFREG})
}

// offlineEntry answers a lookup that the store could not (write-back
// mode, store unreachable): what this mount knows is answered from the
// inode tree, any other name is absent, so that new files can be created
// and journaled during the outage. Should the name exist in the store
// after all, the upload's condition refuses to overwrite it and the
// local copy is kept.
func (d *dirNode) offlineEntry(ctx context.Context, name, logical string, cause error, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	d.fsys.log.Debug("lookup: store unreachable; answering from this mount", "path", logical, "err", cause)
	if ch := d.GetChild(name); ch != nil {
		switch n := ch.Operations().(type) {
		case *fileNode:
			n.mu.Lock()
			n.fillAttr(&out.Attr)
			n.mu.Unlock()
		case *dirNode:
			n.fillAttr(&out.Attr)
		}
		out.SetEntryTimeout(0)
		out.SetAttrTimeout(0)
		return ch, 0
	}
	return nil, syscall.ENOENT
}

func (d *dirNode) dirEntry(ctx context.Context, name string, out *fuse.EntryOut) *gofs.Inode {
	if ch := d.GetChild(name); ch != nil {
		if dn, ok := ch.Operations().(*dirNode); ok {
			dn.fillAttr(&out.Attr)
			d.setTimeouts(out)
			return ch
		}
	}
	dn := d.fsys.newDirNode(d.fsys.opts.DirMode) // the store records no mode
	dn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return d.NewInode(ctx, dn, gofs.StableAttr{Mode: syscall.S_IFDIR})
}

// dirExists reports whether logical is a directory: a marker object or
// any key below it.
func (f *filesystem) dirExists(ctx context.Context, logical string) (bool, error) {
	if _, err := f.store.Stat(ctx, markerKey(logical)); err == nil {
		return true, nil
	} else if !errors.Is(err, remote.ErrNotFound) {
		return false, err
	}
	return f.hasChildren(ctx, logical)
}

var errStopListing = errors.New("stop listing")

// hasChildren reports whether any key lies below directory logical.
func (f *filesystem) hasChildren(ctx context.Context, logical string) (bool, error) {
	found := false
	err := f.store.List(ctx, dirPrefix(logical), false, func(remote.Entry) error {
		found = true
		return errStopListing
	})
	if err != nil && !errors.Is(err, errStopListing) {
		return false, err
	}
	return found, nil
}

// Readdir lists the directory from the store, plus files this mount is
// creating that are not committed yet.
func (d *dirNode) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	ctx = detach(ctx)
	prefix := dirPrefix(d.logical())
	seen := map[string]bool{}
	var entries []fuse.DirEntry
	// The journal first: a change applied between the two reads is then
	// in the store's listing, never in neither.
	queued := d.fsys.journal.children(d.logical())
	listed, err := d.fsys.listDir(ctx, d.logical())
	if err != nil {
		return nil, d.fail("readdir", d.logical(), err)
	}
	for _, e := range listed {
		name := logicalName(e.Key, prefix)
		if name == "" || seen[name] || reserved(d.logical(), name) || strings.Contains(name, "/") {
			continue
		}
		if kind, ok := queued[name]; ok && kind == 0 && !(e.IsPrefix || strings.HasSuffix(e.Key, "/")) {
			continue // deleted in write-back mode, not in the store yet
		}
		seen[name] = true
		mode := uint32(syscall.S_IFREG)
		if e.IsPrefix || strings.HasSuffix(e.Key, "/") {
			mode = syscall.S_IFDIR
		}
		entries = append(entries, fuse.DirEntry{Name: name, Mode: mode})
	}
	for name, kind := range queued {
		if kind != 0 && !seen[name] {
			seen[name] = true
			entries = append(entries, fuse.DirEntry{Name: name, Mode: kind})
		}
	}
	for name, ch := range d.Children() {
		if seen[name] {
			continue
		}
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.mu.Lock()
			pending := fn.committed.Version == "" && !fn.unlinked
			fn.mu.Unlock()
			if pending {
				entries = append(entries, fuse.DirEntry{Name: name, Mode: syscall.S_IFREG})
			}
		}
		if dn, ok := ch.Operations().(*dirNode); ok && d.fsys.markers.isPending(dn) {
			entries = append(entries, fuse.DirEntry{Name: name, Mode: syscall.S_IFDIR})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	entries = append([]fuse.DirEntry{{Name: ".", Mode: syscall.S_IFDIR}, {Name: "..", Mode: syscall.S_IFDIR}}, entries...)
	return gofs.NewListDirStream(entries), 0
}

// Mkdir makes a directory. With DirMarkers (object stores) it exists in
// this mount only until an object below it, or its marker, is written
// (see DirMarkers); otherwise its marker object is written at once, so
// that the empty directory is visible in the store.
func (d *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (_ *gofs.Inode, errno syscall.Errno) {
	ctx = detach(ctx)
	defer d.touchIfDone(&errno)
	if e := nameErrno(d.logical(), name, true); e != 0 {
		return nil, e
	}
	if reserved(d.logical(), name) {
		return nil, syscall.EACCES
	}
	logical := childPath(d.logical(), name)
	if errno := d.checkAbsent(ctx, name, logical); errno != 0 {
		return nil, errno
	}
	dn := d.fsys.newDirNode(mode & 0o7777)
	if d.fsys.markers != nil {
		dn.noMarker, dn.lazyPath = true, logical
		d.fsys.created(logical)
		d.fsys.markers.schedule(dn)
	} else {
		if err := d.fsys.putMarker(ctx, logical); err != nil {
			d.fsys.forget(logical)
			return nil, d.fail("mkdir", logical, err)
		}
		d.fsys.created(logical)
	}
	dn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return d.NewInode(ctx, dn, gofs.StableAttr{Mode: syscall.S_IFDIR}), 0
}

// Fsync makes the directories made by this mount at and below d durable:
// their markers are written now (see DirMarkers). Files are durable once
// their own fsync or close returned.
func (d *dirNode) Fsync(ctx context.Context, f gofs.FileHandle, flags uint32) syscall.Errno {
	if err := d.fsys.markers.materializeTree(detach(ctx), d); err != nil {
		return d.fail("fsync", d.logical(), err)
	}
	return 0
}

// checkAbsent answers EEXIST when name exists as a file or directory.
func (d *dirNode) checkAbsent(ctx context.Context, name, logical string) syscall.Errno {
	if ch := d.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.mu.Lock()
			live := !fn.unlinked && (fn.dirty || fn.committed.Version != "")
			fn.mu.Unlock()
			if live {
				return syscall.EEXIST
			}
		}
		if dn, ok := ch.Operations().(*dirNode); ok && d.fsys.markers.isPending(dn) {
			return syscall.EEXIST
		}
	}
	kind, _, err := d.fsys.resolve(ctx, logical)
	switch {
	case err != nil && d.fsys.opts.WriteBack != nil && errors.Is(err, remote.ErrUnavailable):
		return 0 // store unreachable: see offlineEntry
	case err != nil:
		return d.fail("stat", logical, err)
	case kind != absent:
		return syscall.EEXIST
	}
	return 0
}

// Rmdir removes an empty directory's marker.
func (d *dirNode) Rmdir(ctx context.Context, name string) (errno syscall.Errno) {
	ctx = detach(ctx)
	defer d.touchIfDone(&errno)
	if e := nameErrno(d.logical(), name, false); e != 0 {
		return e
	}
	logical := childPath(d.logical(), name)
	var child *dirNode
	if ch := d.GetChild(name); ch != nil {
		child, _ = ch.Operations().(*dirNode)
		for _, gc := range ch.Children() {
			if fn, ok := gc.Operations().(*fileNode); ok {
				fn.mu.Lock()
				pending := fn.committed.Version == "" && !fn.unlinked
				fn.mu.Unlock()
				if pending {
					return syscall.ENOTEMPTY
				}
			}
			if dn, ok := gc.Operations().(*dirNode); ok && d.fsys.markers.isPending(dn) {
				return syscall.ENOTEMPTY
			}
		}
	}
	if queued, present := d.fsys.journal.under(logical); present {
		return syscall.ENOTEMPTY // files below it wait in the journal
	} else if queued {
		// Files deleted below it must leave the store first.
		if err := d.fsys.waitJournal(ctx, logical); err != nil {
			return d.fail("rmdir", logical, err)
		}
	}
	d.fsys.markers.dropStale(logical, child)
	if child != nil {
		child.markerMu.Lock()
		defer child.markerMu.Unlock()
	}
	var err error
	if d.fsys.opts.ListLookups {
		err = d.fsys.removeDirListed(ctx, logical)
	} else {
		err = d.fsys.removeDir(ctx, logical)
	}
	if errors.Is(err, remote.ErrNotEmpty) {
		if child != nil {
			d.fsys.markers.settle(child) // objects below it make it exist
		}
		return syscall.ENOTEMPTY
	}
	d.fsys.changed(logical, absent, remote.Info{})
	if err != nil {
		d.fsys.forget(logical)
		return d.fail("rmdir", logical, err)
	}
	if child != nil {
		child.removed = true
		if d.fsys.markers != nil {
			d.fsys.markers.settle(child)
		}
	}
	d.markerDueAfterRemoval()
	return 0
}

// removeDir removes an empty directory: one request to see that nothing
// lies below it, one to delete its marker.
func (f *filesystem) removeDir(ctx context.Context, logical string) error {
	nonEmpty, err := f.hasChildren(ctx, logical)
	if err != nil {
		return err
	}
	if nonEmpty {
		return remote.ErrNotEmpty
	}
	return f.store.Delete(ctx, markerKey(logical), remote.Condition{})
}

// removeDirListed removes an empty directory of an object store. One
// recursive listing from the name says both whether anything lies below
// it and whether it has a marker (a marker is listed only when nothing
// lies below it); the marker is deleted only if there is one, so a
// directory that existed as a prefix, or in this mount only, costs one
// request.
func (f *filesystem) removeDirListed(ctx context.Context, logical string) error {
	key := objectKey(logical)
	base := key + "/"
	hasMarker, nonEmpty, seen := false, false, 0
	err := f.store.List(ctx, key, true, func(e remote.Entry) error {
		switch {
		case e.Key == base:
			hasMarker = true
		case strings.HasPrefix(e.Key, base):
			nonEmpty = true
			return errStopListing
		case e.Key > base:
			return errStopListing
		}
		if seen++; seen >= lookupListMax {
			return errListingTooLong
		}
		return nil
	})
	switch {
	case errors.Is(err, errListingTooLong):
		return f.removeDir(ctx, logical) // many keys sort between name and name/
	case err != nil && !errors.Is(err, errStopListing):
		return err
	case nonEmpty:
		return remote.ErrNotEmpty
	case !hasMarker:
		return nil
	}
	return f.store.Delete(ctx, markerKey(logical), remote.Condition{})
}

var errListingTooLong = errors.New("listing too long")

// markerDueAfterRemoval is called when a file or directory in d was
// removed: if d was made by this mount without a marker, the removed
// entry may have been what made it exist in the store, so its marker is
// due again (and is not written if d is removed or filled before then).
func (d *dirNode) markerDueAfterRemoval() {
	if d.fsys.markers == nil {
		return
	}
	d.markerMu.Lock()
	due := d.noMarker && !d.removed
	if due {
		d.lazyPath = d.logical()
	}
	d.markerMu.Unlock()
	if due {
		d.fsys.markers.schedule(d)
	}
}

// Create makes a new, empty file. Its object is written at the first
// flush or fsync; until then it exists in this mount only.
func (d *dirNode) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (_ *gofs.Inode, _ gofs.FileHandle, _ uint32, errno syscall.Errno) {
	ctx = detach(ctx)
	defer d.touchIfDone(&errno)
	if e := nameErrno(d.logical(), name, true); e != 0 {
		return nil, nil, 0, e
	}
	if reserved(d.logical(), name) {
		return nil, nil, 0, syscall.EACCES
	}
	fn := d.fsys.newFileNode(mode & 0o777)
	fn.dirty, fn.pagesCached = true, true
	fn.mtime = time.Now()
	ch := d.NewInode(ctx, fn, gofs.StableAttr{Mode: syscall.S_IFREG})
	logical := childPath(d.logical(), name)
	if old := d.GetChild(name); old != nil {
		// Replacing a known file (O_CREAT|O_TRUNC on a name whose entry
		// the kernel had dropped): the new version must replace its
		// object, and the old node is detached (nothing it still holds
		// goes to this name any more).
		if ofn, ok := old.Operations().(*fileNode); ok {
			ofn.mu.Lock()
			if !ofn.unlinked {
				fn.committed = ofn.committed
			}
			ofn.detach()
			ofn.mu.Unlock()
		}
	} else if d.fsys.journal.has(logical) {
		// The journal knows what its upload replaces.
	} else if kind, info, err := d.fsys.resolve(ctx, logical); err == nil && kind == isFile {
		fn.committed = info
	}
	d.AddChild(name, ch, true)
	if d.fsys.meta != nil {
		d.fsys.meta.ForgetEntry(logical) // the parent's listing learns it at commit
	}
	fn.handles = 1
	fn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return ch, &fileHandle{node: fn}, 0, 0
}

// Unlink deletes the file's object. Handles still open keep reading the
// version they verified; their writes are no longer uploaded.
func (d *dirNode) Unlink(ctx context.Context, name string) (errno syscall.Errno) {
	ctx = detach(ctx)
	defer d.touchIfDone(&errno)
	if e := nameErrno(d.logical(), name, false); e != 0 {
		return e
	}
	logical := childPath(d.logical(), name)
	var fn *fileNode
	if ch := d.GetChild(name); ch != nil {
		fn, _ = ch.Operations().(*fileNode)
	}
	if fn != nil {
		fn.mu.Lock()
		defer fn.mu.Unlock()
	}
	d.fsys.journal.forgetRecent(logical)
	if d.fsys.opts.WriteBack != nil {
		return d.unlinkWriteBack(ctx, fn, logical)
	}
	if fn != nil {
		wasNew := fn.committed.Version == ""
		fn.detach()
		if wasNew {
			return 0
		}
	}
	err := d.fsys.store.Delete(ctx, objectKey(logical), remote.Condition{})
	d.fsys.changed(logical, absent, remote.Info{})
	if err != nil {
		d.fsys.forget(logical)
		return d.fail("unlink", logical, err)
	}
	d.markerDueAfterRemoval()
	return 0
}

// unlinkWriteBack removes a file in write-back mode (fn, if not nil, is
// locked): a file with changes in the journal, or one the store cannot
// delete right now, is deleted through the journal, so that no queued
// upload brings it back.
func (d *dirNode) unlinkWriteBack(ctx context.Context, fn *fileNode, logical string) syscall.Errno {
	j := d.fsys.journal
	neverStored := fn != nil && fn.committed.Version == "" && !fn.held()
	if fn != nil {
		fn.detach()
	}
	if !j.has(logical) {
		if neverStored {
			return 0
		}
		err := d.fsys.store.Delete(ctx, objectKey(logical), remote.Condition{})
		if err == nil || errors.Is(err, remote.ErrNotFound) {
			d.fsys.changed(logical, absent, remote.Info{})
			d.markerDueAfterRemoval()
			return 0
		}
		if !errors.Is(err, remote.ErrUnavailable) {
			return d.fail("unlink", logical, err)
		}
	}
	if err := j.remove(logical); err != nil {
		return d.fail("unlink", logical, err)
	}
	d.fsys.forget(logical)
	d.markerDueAfterRemoval()
	return 0
}

// waitJournal waits (bounded) until nothing below directory logical, or
// logical itself, waits in the write-back journal.
func (f *filesystem) waitJournal(ctx context.Context, logical string) error {
	ctx, cancel := context.WithTimeout(ctx, journalWait)
	defer cancel()
	j := f.journal
	if err := j.waitUntil(ctx, func() bool { return !j.queuedAt(logical) }); err != nil {
		return fmt.Errorf("%s: changes below it are not in the store yet: %w: %w", logical, remote.ErrUnavailable, err)
	}
	return nil
}

// journalWait bounds how long an operation that needs the store to hold
// the journaled changes first waits for them.
const journalWait = 10 * time.Second

func (d *dirNode) fail(op, logical string, err error) syscall.Errno {
	e := errno(err)
	if e == syscall.EIO {
		d.fsys.log.Error(op+" failed", "path", logical, "err", err)
	}
	return e
}

func (f *filesystem) newFileNode(mode uint32) *fileNode {
	n := &fileNode{fsys: f, mode: f.maskMode(mode)}
	n.turn = sync.NewCond(&n.mu)
	return n
}

func (f *filesystem) newDirNode(mode uint32) *dirNode {
	now := time.Now()
	return &dirNode{fsys: f, mode: f.maskMode(mode), mtime: now, ctime: now}
}

package fs

import (
	"context"
	"errors"
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
	a.SetTimes(nil, &d.mtime, &d.mtime)
}

// Setattr accepts mode and time changes (kept in memory only).
func (d *dirNode) Setattr(ctx context.Context, fh gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := d.fsys.checkOwner(in); e != 0 {
		return e
	}
	d.mu.Lock()
	if m, ok := in.GetMode(); ok {
		d.mode = m & 0o7777 &^ (syscall.S_ISUID | syscall.S_ISGID)
	}
	if mt, ok := in.GetMTime(); ok {
		d.mtime = mt
	}
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
	if reserved(d.logical(), name) {
		return nil, syscall.ENOENT
	}
	logical := childPath(d.logical(), name)
	if ch := d.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.mu.Lock()
			pending := fn.dirty || fn.pending || fn.committed.Version == ""
			fn.mu.Unlock()
			if pending {
				fn.mu.Lock()
				fn.fillAttr(&out.Attr)
				fn.mu.Unlock()
				d.setTimeouts(out)
				return ch, 0
			}
		}
	}
	kind, info, err := d.fsys.resolve(ctx, logical)
	switch {
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
			changed := (!fn.dirty && !fn.pending && fn.committed.Version != info.Version) || fn.staleInode
			if !changed || fn.handles > 0 {
				if changed {
					fn.setCommitted(info)
					fn.size = size
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
	fn := d.fsys.newFileNode(0o644)
	fn.committed, fn.size, fn.mtime = info, size, info.ModTime
	fn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return d.NewInode(ctx, fn, gofs.StableAttr{Mode: syscall.S_IFREG})
}

func (d *dirNode) dirEntry(ctx context.Context, name string, out *fuse.EntryOut) *gofs.Inode {
	if ch := d.GetChild(name); ch != nil {
		if dn, ok := ch.Operations().(*dirNode); ok {
			dn.fillAttr(&out.Attr)
			d.setTimeouts(out)
			return ch
		}
	}
	dn := d.fsys.newDirNode(0o755)
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
	listed, err := d.fsys.listDir(ctx, d.logical())
	if err != nil {
		return nil, d.fail("readdir", d.logical(), err)
	}
	for _, e := range listed {
		name := logicalName(e.Key, prefix)
		if name == "" || seen[name] || reserved(d.logical(), name) || strings.Contains(name, "/") {
			continue
		}
		seen[name] = true
		mode := uint32(syscall.S_IFREG)
		if e.IsPrefix || strings.HasSuffix(e.Key, "/") {
			mode = syscall.S_IFDIR
		}
		entries = append(entries, fuse.DirEntry{Name: name, Mode: mode})
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
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return gofs.NewListDirStream(entries), 0
}

// Mkdir creates a marker object so the empty directory stays visible.
func (d *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ctx = detach(ctx)
	if reserved(d.logical(), name) {
		return nil, syscall.EACCES
	}
	logical := childPath(d.logical(), name)
	if errno := d.checkAbsent(ctx, name, logical); errno != 0 {
		return nil, errno
	}
	up, err := d.fsys.store.Create(ctx, markerKey(logical))
	if err != nil {
		return nil, d.fail("mkdir", logical, err)
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		d.fsys.forget(logical)
		return nil, d.fail("mkdir", logical, err)
	}
	d.fsys.changed(logical, isDir, remote.Info{})
	dn := d.fsys.newDirNode(mode & 0o7777)
	dn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return d.NewInode(ctx, dn, gofs.StableAttr{Mode: syscall.S_IFDIR}), 0
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
	}
	kind, _, err := d.fsys.resolve(ctx, logical)
	switch {
	case err != nil:
		return d.fail("stat", logical, err)
	case kind != absent:
		return syscall.EEXIST
	}
	return 0
}

// Rmdir removes an empty directory's marker.
func (d *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	ctx = detach(ctx)
	logical := childPath(d.logical(), name)
	if ch := d.GetChild(name); ch != nil {
		for _, gc := range ch.Children() {
			if fn, ok := gc.Operations().(*fileNode); ok {
				fn.mu.Lock()
				pending := fn.committed.Version == "" && !fn.unlinked
				fn.mu.Unlock()
				if pending {
					return syscall.ENOTEMPTY
				}
			}
		}
	}
	nonEmpty, err := d.fsys.hasChildren(ctx, logical)
	if err != nil {
		return d.fail("rmdir", logical, err)
	}
	if nonEmpty {
		return syscall.ENOTEMPTY
	}
	err = d.fsys.store.Delete(ctx, markerKey(logical), remote.Condition{})
	d.fsys.changed(logical, absent, remote.Info{})
	if err != nil {
		d.fsys.forget(logical)
		return d.fail("rmdir", logical, err)
	}
	return 0
}

// Create makes a new, empty file. Its object is written at the first
// flush or fsync; until then it exists in this mount only.
func (d *dirNode) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	ctx = detach(ctx)
	if reserved(d.logical(), name) {
		return nil, nil, 0, syscall.EACCES
	}
	fn := d.fsys.newFileNode(mode & 0o777)
	fn.dirty, fn.pagesCached = true, true
	fn.mtime = time.Now()
	ch := d.NewInode(ctx, fn, gofs.StableAttr{Mode: syscall.S_IFREG})
	if old := d.GetChild(name); old != nil {
		// Replacing a known file (O_CREAT|O_TRUNC on a name whose entry
		// the kernel had dropped): the new version must replace its object.
		if ofn, ok := old.Operations().(*fileNode); ok {
			ofn.mu.Lock()
			if !ofn.unlinked {
				fn.committed = ofn.committed
			}
			ofn.mu.Unlock()
		}
	} else if kind, info, err := d.fsys.resolve(ctx, childPath(d.logical(), name)); err == nil && kind == isFile {
		fn.committed = info
	}
	d.AddChild(name, ch, true)
	d.fsys.forget(childPath(d.logical(), name))
	fn.handles = 1
	fn.fillAttr(&out.Attr)
	d.setTimeouts(out)
	return ch, &fileHandle{node: fn}, 0, 0
}

// Unlink deletes the file's object. Handles still open keep reading the
// version they verified; their writes are no longer uploaded.
func (d *dirNode) Unlink(ctx context.Context, name string) syscall.Errno {
	ctx = detach(ctx)
	logical := childPath(d.logical(), name)
	var fn *fileNode
	if ch := d.GetChild(name); ch != nil {
		fn, _ = ch.Operations().(*fileNode)
	}
	if fn != nil {
		fn.mu.Lock()
		defer fn.mu.Unlock()
		wasPending := fn.committed.Version == ""
		fn.dropPending()
		fn.unlinked = true
		if wasPending {
			return 0
		}
	}
	err := d.fsys.store.Delete(ctx, objectKey(logical), remote.Condition{})
	d.fsys.changed(logical, absent, remote.Info{})
	if err != nil {
		d.fsys.forget(logical)
		return d.fail("unlink", logical, err)
	}
	return 0
}

func (d *dirNode) fail(op, logical string, err error) syscall.Errno {
	e := errno(err)
	if e == syscall.EIO {
		d.fsys.log.Error(op+" failed", "path", logical, "err", err)
	}
	return e
}

func (f *filesystem) newFileNode(mode uint32) *fileNode {
	n := &fileNode{fsys: f, mode: mode}
	n.turn = sync.NewCond(&n.mu)
	return n
}

func (f *filesystem) newDirNode(mode uint32) *dirNode {
	return &dirNode{fsys: f, mode: mode, mtime: time.Now()}
}

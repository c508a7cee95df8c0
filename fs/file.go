package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/envelope/staging"
	"github.com/sealfs/sealfs/remote"
)

// fileNode is one regular file. Its content is, at any moment, one of:
//   - clean: exactly the committed object version (committed.Version != ""),
//     or nothing yet;
//   - appending (seq != nil): a new version being sealed straight into a
//     store upload as sequential writes arrive;
//   - staged (stage != nil and dirty): a sealed staging file holding the
//     whole content after random writes or truncation.
//
// dirty means the content differs from the committed version and must be
// uploaded at the next flush or fsync.
type fileNode struct {
	gofs.Inode
	fsys *filesystem

	mu   sync.Mutex
	turn *sync.Cond // on mu: signalled when an appending file grows
	// writes counts the write requests under way on this file, waiting
	// for mu included (not guarded by mu); waiting counts those of them
	// waiting in awaitTurn (guarded by mu).
	writes  atomic.Int32
	waiting int32
	// staleInode is set when the kernel's inode for this node holds a size
	// that is not the file's: the next lookup answers with a fresh inode.
	staleInode bool
	// pagesCached is false until the kernel may hold pages of the file
	// (a node just looked up has none), to skip a needless invalidation.
	pagesCached bool
	committed   remote.Info // Version == "" while no object exists
	// checkedAt is when the store (or the metadata cache, within its
	// TTL) last said that committed is the current version.
	checkedAt time.Time
	size      int64
	mode      uint32
	mtime     time.Time
	ctime     time.Time // last attribute change, if after mtime
	dirty     bool
	seq       *appendUpload
	stage     *stagedFile
	latest    *verifiedObject // verified reader of committed, opened lazily
	gen       uint64          // bumped by every commit made through this mount
	handles   int
	unlinked  bool
	// lost is set when appended data could not be committed and is gone;
	// every later flush and fsync returns it, so no caller mistakes a
	// retry for success. Truncating to zero clears it.
	lost error
}

// appendUpload is a new object version sealed as it is written.
type appendUpload struct {
	upload  remote.Upload
	writer  *envelope.Writer
	release func() // gives the writer's buffer back to the memory budget
}

// closeWriter seals the final chunk and gives the writer's buffer back.
func (a *appendUpload) closeWriter() error {
	err := a.writer.Close()
	a.release()
	return err
}

// stagedFile is a sealed staging file and its path on disk. Once acked
// it belongs to the write-back journal and never changes again; file nodes
// that show it hold references and copy it before writing.
type stagedFile struct {
	file  *staging.File
	path  string
	acked bool // moved into PendingDir: an acknowledged write-back version
	refs  atomic.Int32
}

func newStagedFile(file *staging.File, path string, acked bool) *stagedFile {
	s := &stagedFile{file: file, path: path, acked: acked}
	s.refs.Store(1)
	return s
}

// release drops one reference; the last closes the file, and removes it
// unless the journal owns it (the journal removes its files itself).
func (s *stagedFile) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	s.file.Close()
	if !s.acked {
		os.Remove(s.path)
	}
}

// held reports whether n shows content kept in the write-back journal.
func (n *fileNode) held() bool { return n.stage != nil && n.stage.acked }

// livePath returns n's path, or false when n is no longer in the tree
// (unlinked, replaced, or forgotten): such a node's content goes nowhere.
func (n *fileNode) livePath() (string, bool) {
	if n.unlinked {
		return "", false
	}
	var parts []string
	p := &n.Inode
	for p != &n.fsys.root.Inode {
		name, parent := p.Parent()
		if parent == nil {
			return "", false
		}
		parts = append(parts, name)
		p = parent
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/"), true
}

var (
	_ gofs.NodeGetattrer = (*fileNode)(nil)
	_ gofs.NodeSetattrer = (*fileNode)(nil)
	_ gofs.NodeOpener    = (*fileNode)(nil)
)

func (n *fileNode) logical() string { return n.Path(n.Root()) }

// Getattr reports the exact plaintext size and the synthesized attributes.
func (n *fileNode) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.fillAttr(&out.Attr)
	out.SetTimeout(n.fsys.opts.AttrTimeout)
	return 0
}

func (n *fileNode) fillAttr(a *fuse.Attr) {
	a.Mode = syscall.S_IFREG | n.mode
	a.Size = uint64(n.size)
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = 4096
	a.Nlink = 1
	if n.unlinked {
		a.Nlink = 0 // open after its unlink
	}
	a.Uid, a.Gid = n.fsys.opts.UID, n.fsys.opts.GID
	ctime := n.mtime
	if n.ctime.After(ctime) {
		ctime = n.ctime
	}
	a.SetTimes(nil, &n.mtime, &ctime)
}

// setCommitted records the object version that the store now holds.
func (n *fileNode) setCommitted(info remote.Info) {
	n.committed = info
	n.checkedAt = time.Now()
	n.mtime = info.ModTime
	if n.latest != nil {
		n.latest.release()
		n.latest = nil
	}
	n.gen++
}

// Setattr changes size (truncate), mode and times. Mode and times are kept
// in memory only: the object format stores neither. A truncate through a
// path (truncate(2): no file handle) is committed at once, also while
// handles are open: no flush or fsync of theirs is bound to follow, and
// the kernel may still be releasing a handle already closed.
func (n *fileNode) Setattr(ctx context.Context, fh gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	ctx = detach(ctx)
	if e := n.fsys.checkOwner(in); e != 0 {
		return e
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if m, ok := in.GetMode(); ok {
		n.mode = n.fsys.maskMode(m)
	}
	if mt, ok := in.GetMTime(); ok {
		n.mtime = mt
	}
	n.ctime = time.Now()
	if sz, ok := in.GetSize(); ok {
		if sz > uint64(envelope.MaxPlaintextSize(n.fsys.opts.ChunkSize)) {
			return syscall.EFBIG
		}
		if err := n.truncate(ctx, int64(sz)); err != nil {
			return n.fail("truncate", err)
		}
		if fh == nil || n.handles == 0 {
			err := n.commit(ctx)
			if n.handles == 0 {
				n.dropPrivate()
			}
			if err != nil {
				return n.fail("truncate", err)
			}
		}
	}
	n.fillAttr(&out.Attr)
	out.SetTimeout(n.fsys.opts.AttrTimeout)
	return 0
}

// Open verifies the committed object (unless the file has unsaved changes
// of this mount, which are served from staging) and returns a handle.
func (n *fileNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	ctx = detach(ctx)
	n.mu.Lock()
	defer n.mu.Unlock()
	h := &fileHandle{node: n}
	if flags&syscall.O_TRUNC != 0 && flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		if err := n.truncate(ctx, 0); err != nil {
			return nil, 0, n.fail("open", err)
		}
	}
	var fuseFlags uint32
	if !n.dirty && !n.held() && !n.fsys.journal.idle() && n.fsys.journal.has(n.logical()) {
		// Content acknowledged in write-back mode that this node does not
		// show (the kernel forgot and looked it up again meanwhile).
		stage, present, ok := n.fsys.journal.lookup(n.logical())
		switch {
		case ok && present && stage != nil:
			n.attachHeld(stage)
		case ok && n.handles == 0:
			return nil, 0, syscall.ESTALE // deleted meanwhile: look it up again
		}
	}
	if !n.dirty && !n.held() && n.committed.Version != "" {
		var (
			current  *remote.Info
			replaced bool
		)
		if n.fresh() {
			// Looked up moments ago: no stat. The reads are pinned to
			// this version, so if it was replaced since, the first read
			// fails and the object is opened again as it is now.
			known := n.committed
			current = &known
		} else {
			current, replaced = n.replacedInStore(ctx)
		}
		if n.handles == 0 && replaced {
			// Another mount replaced the object since the kernel looked
			// this inode up, and the kernel keeps its own idea of the size
			// (writeback cache): ESTALE makes it look the name up again,
			// and Lookup answers with a fresh inode.
			return nil, 0, syscall.ESTALE
		}
		readOnly := flags&syscall.O_ACCMODE == syscall.O_RDONLY
		told := n.size
		v, err := n.verified(ctx, readOnly, current)
		if err != nil {
			return nil, 0, n.fail("open", err)
		}
		if v.reader.Size() != told && n.handles == 0 {
			// The kernel was told another size (from a listing that lagged
			// the object, say) and keeps it: look the name up again.
			n.staleInode = true
			n.fsys.changed(n.logical(), isFile, v.info)
			return nil, 0, syscall.ESTALE
		}
		h.pinned, h.gen = v.acquire(), n.gen
		if readOnly {
			// The page cache holds exactly this verified version: it was
			// filled at verification, or by earlier reads of the same one.
			fuseFlags = fuse.FOPEN_KEEP_CACHE
		}
	}
	n.handles++
	n.pagesCached = true
	return h, fuseFlags, 0
}

// fresh reports whether committed was confirmed current recently enough
// (within the metadata TTL) for open to skip its stat, on object stores.
func (n *fileNode) fresh() bool {
	f := n.fsys
	if f.meta == nil || !f.opts.ListLookups || n.checkedAt.IsZero() {
		return false
	}
	return time.Since(n.checkedAt) < f.meta.AttrTTL()
}

// replacedInStore stats the object and reports whether the store now
// holds another version than the one this node knows (and tells the
// metadata cache). current is nil if the stat failed: the open that
// follows reports the error.
func (n *fileNode) replacedInStore(ctx context.Context) (current *remote.Info, replaced bool) {
	info, err := n.fsys.store.Stat(ctx, objectKey(n.logical()))
	if err != nil {
		return nil, false
	}
	if info.Version == n.committed.Version {
		return &info, false
	}
	n.fsys.changed(n.logical(), isFile, info)
	return &info, true
}

// verifiedLatest returns the verified reader of the committed version,
// re-reading the store's current version first so that a change made by
// another mount is seen at open (close-to-open consistency).
func (n *fileNode) verifiedLatest(ctx context.Context) (*verifiedObject, error) {
	return n.verified(ctx, false, nil)
}

// verified is verifiedLatest that, with fillCache, also replaces the
// kernel's cached pages of the file with the newly verified plaintext.
// current, if not nil, is what a stat of the object just said.
func (n *fileNode) verified(ctx context.Context, fillCache bool, current *remote.Info) (*verifiedObject, error) {
	if n.latest != nil {
		info, err := remote.Info{}, error(nil)
		if current != nil {
			info = *current
		} else if info, err = n.fsys.store.Stat(ctx, objectKey(n.logical())); err != nil {
			return nil, err
		}
		if info.Version == n.latest.info.Version {
			return n.latest, nil
		}
		n.setCommitted(info) // changed by another writer: verify anew
	}
	var fill func([]byte, int64)
	if fillCache {
		if n.pagesCached {
			n.NotifyContent(0, 0) // drop pages of any earlier version
		}
		fill = func(p []byte, off int64) { n.WriteCache(off, p) }
	}
	v, err := n.fsys.openVerified(ctx, n.logical(), "", current, fill)
	if err != nil {
		return nil, err
	}
	if v.info.Version != n.committed.Version {
		n.setCommitted(v.info)
	}
	n.latest, n.size, n.pagesCached = v, v.reader.Size(), true
	return v, nil
}

// write applies a write at off: appended to the sealing upload when it
// continues a sequential new version, otherwise into the staging file.
func (n *fileNode) write(ctx context.Context, data []byte, off int64) error {
	if n.unlinked && n.handles == 0 {
		return syscall.ESTALE
	}
	if off+int64(len(data)) > envelope.MaxPlaintextSize(n.fsys.opts.ChunkSize) {
		return syscall.EFBIG
	}
	waitStart := time.Now()
	n.awaitTurn(off)
	if n.seq == nil && n.stage == nil && off == 0 && n.size == 0 && n.fsys.opts.WriteBack == nil {
		if err := n.startAppend(ctx, true); err != nil {
			return err
		}
	}
	if n.seq != nil && off == n.size {
		if _, err := n.seq.writer.Write(data); err != nil {
			return err
		}
		n.size += int64(len(data))
		n.dirty = true
		n.mtime = time.Now()
		n.turn.Broadcast()
		return nil
	}
	if n.seq != nil {
		n.fsys.log.Info("write out of sequence", "path", n.logical(), "offset", off, "length", len(data), "size", n.size,
			"waited", time.Since(waitStart).Round(time.Millisecond))
	}
	if err := n.ensureStaged(ctx); err != nil {
		return err
	}
	release := n.fsys.reserve(n.fsys.stageOpCost())
	_, err := n.stage.file.WriteAt(data, off)
	release()
	if err != nil {
		return err
	}
	n.size = n.stage.file.Size()
	n.dirty = true
	n.mtime = time.Now()
	return nil
}

// Writes of one sequential writer can reach write() out of order: the
// kernel sends writeback in parallel requests, which run concurrently. A
// write that lands at most reorderWindow past the end of an appending file
// waits up to reorderWait for the writes before it, rather than sending the
// whole file to staging; while other writes to the file are under way and
// not waiting themselves (one of them is likely the missing one, stalled by
// a loaded machine or by the kernel throttling the spool's dirty pages) it
// waits up to reorderMaxWait. (Writes that all wait for one the kernel has
// not sent may be holding its background slots: those give up early.)
const (
	reorderWindow  = 16 << 20
	reorderWait    = time.Second
	reorderMaxWait = 5 * time.Second
)

// awaitTurn waits (releasing n.mu) until the file's end reaches off, the
// file stops being appendable, or the wait is over.
func (n *fileNode) awaitTurn(off int64) {
	appendable := func() bool { return n.seq != nil || (n.stage == nil && n.size == 0) }
	if off <= n.size || off-n.size > reorderWindow || !appendable() {
		return
	}
	start := time.Now()
	timer := time.AfterFunc(reorderWait, func() {
		n.mu.Lock()
		n.turn.Broadcast()
		n.mu.Unlock()
	})
	defer timer.Stop()
	n.waiting++
	defer func() { n.waiting-- }()
	for off > n.size && appendable() {
		waited := time.Since(start)
		if waited >= reorderMaxWait || (waited >= reorderWait && n.writes.Load() <= n.waiting) {
			return
		}
		if waited >= reorderWait {
			timer.Reset(reorderWait) // others are writing: check again later
		}
		n.turn.Wait()
	}
}

// truncate sets the size. Truncating to zero starts an empty new version.
func (n *fileNode) truncate(ctx context.Context, size int64) error {
	if size == n.size && (size != 0 || n.dirty || n.committed.Version == "" || n.committed.Size == envelope.CiphertextSize(0, n.fsys.opts.ChunkSize)) {
		return nil
	}
	if size == 0 {
		// A write-back version already acknowledged stays in the journal
		// until the truncation is acknowledged in turn and replaces it.
		n.dropPrivate()
		n.size, n.dirty, n.lost = 0, true, nil
		return nil
	}
	if err := n.ensureStaged(ctx); err != nil {
		return err
	}
	if err := n.stage.file.Truncate(size); err != nil {
		return err
	}
	n.size, n.dirty = size, true
	return nil
}

// startAppend begins sealing a new version into a store upload. With
// reserve, it takes the writer's buffer from the memory budget (callers
// that reserved it together with other buffers pass false).
func (n *fileNode) startAppend(ctx context.Context, reserve bool) error {
	release := func() {}
	if reserve {
		release = n.fsys.reserve(n.fsys.writerCost())
	}
	up, err := n.fsys.store.Create(ctx, objectKey(n.logical()))
	if err != nil {
		release()
		return err
	}
	w, err := envelope.NewWriter(up, n.fsys.ring, n.fsys.identity(n.logical()), envelope.WriterOptions{ChunkSize: n.fsys.opts.ChunkSize})
	if err != nil {
		up.Abort()
		release()
		return err
	}
	n.seq = &appendUpload{upload: up, writer: w, release: release}
	n.dirty = true
	return nil
}

// ensureStaged moves the content into a sealed staging file, so that it
// can be changed at random offsets: from the upload being appended, or
// from the committed object.
func (n *fileNode) ensureStaged(ctx context.Context) error {
	if n.stage != nil && !n.stage.acked {
		return nil
	}
	if n.seq != nil {
		// Worth knowing: the whole file is sealed again at its commit.
		n.fsys.log.Info("sequential upload turned into a staged file", "path", n.logical(), "size", n.size)
	} else {
		n.fsys.log.Debug("staging for random access", "path", n.logical(), "size", n.size)
	}
	f, err := os.CreateTemp(n.fsys.opts.StagingDir, "stage-*")
	if err != nil {
		return err
	}
	sf, err := staging.Create(f, n.fsys.ring, n.fsys.opts.Volume, n.logical(), n.fsys.opts.ChunkSize)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	st := newStagedFile(sf, f.Name(), false)
	if err := n.copyInto(ctx, st.file); err != nil {
		st.release()
		return err
	}
	if n.stage != nil {
		n.stage.release() // the journal keeps the acknowledged copy
	}
	n.stage = st
	return nil
}

// copyInto writes the current content into a fresh staging file.
func (n *fileNode) copyInto(ctx context.Context, dst *staging.File) error {
	switch {
	case n.seq != nil:
		seq := n.seq
		n.seq = nil
		defer seq.upload.Abort()
		if err := seq.closeWriter(); err != nil {
			return err
		}
		defer n.fsys.reserve(n.fsys.copyCost())()
		r, err := envelope.Open(seq.upload, seq.upload.Size(), n.fsys.ring, n.fsys.identity(n.logical()))
		if err != nil {
			return err
		}
		defer r.Close()
		return copyPlain(io.NewOffsetWriter(dst, 0), r, r.Size())
	case n.held():
		// Acknowledged in write-back mode: the journal's copy is immutable.
		defer n.fsys.reserve(n.fsys.copyCost())()
		return copyPlain(io.NewOffsetWriter(dst, 0), n.stage.file, n.stage.file.Size())
	case n.dirty || n.committed.Version == "":
		return nil // empty new content
	default:
		v, err := n.verifiedLatest(ctx)
		if err != nil {
			return err
		}
		defer n.fsys.reserve(n.fsys.copyCost())()
		return copyPlain(io.NewOffsetWriter(dst, 0), readerAtFunc(func(p []byte, off int64) (int, error) { return v.readAt(n.fsys, p, off) }), v.reader.Size())
	}
}

// commit uploads unsaved content as a new object version under a fresh
// data key and returns once it is durable in the store.
func (n *fileNode) commit(ctx context.Context) error {
	if n.lost != nil {
		return n.lost
	}
	if !n.dirty || n.unlinked {
		return nil
	}
	if n.fsys.opts.WriteBack != nil {
		return n.commitLocal(ctx)
	}
	info, err := n.uploadStaged(ctx)
	if err != nil {
		return err
	}
	n.setCommitted(info)
	n.dirty = false
	n.fsys.changed(n.logical(), isFile, info)
	n.fsys.markers.settleAbove(&n.Inode)
	return nil
}

// uploadStaged seals the current content into a new object version (from
// the append upload, the staging file, or nothing for an empty file) and
// commits it, conditional on the version it replaces.
func (n *fileNode) uploadStaged(ctx context.Context) (remote.Info, error) {
	if n.seq == nil && n.stage == nil {
		if err := n.startAppend(ctx, true); err != nil { // empty file
			return remote.Info{}, err
		}
	}
	if n.stage != nil {
		// One reservation for the writer and the copy: taking them one
		// after the other could deadlock a full budget.
		release := n.fsys.reserve(n.fsys.writerCost() + n.fsys.copyCost())
		if err := n.startAppend(ctx, false); err != nil {
			release()
			return remote.Info{}, err
		}
		n.seq.release = release
		if err := copyPlain(n.seq.writer, n.stage.file, n.stage.file.Size()); err != nil {
			n.abortAppend()
			return remote.Info{}, err
		}
	}
	seq := n.seq
	n.seq = nil
	if err := seq.closeWriter(); err != nil {
		seq.upload.Abort()
		return remote.Info{}, err
	}
	defer n.fsys.reserve(n.fsys.commitCost(seq.upload.Size()))()
	cond := remote.Condition{IfAbsent: n.committed.Version == ""}
	if !cond.IfAbsent {
		cond.IfMatch = n.committed.Version
	}
	info, err := seq.upload.Commit(ctx, cond)
	if err != nil {
		// A Commit that failed as unavailable leaves the upload open (and
		// with S3 its parts on the server): nothing retries it after this.
		seq.upload.Abort()
		if errors.Is(err, remote.ErrPreconditionFailed) {
			n.fsys.log.Error("upload refused: the object was changed by another writer since it was read", "path", n.logical(), "err", err)
		}
		err = fmt.Errorf("commit %s: %w", n.logical(), err)
		if n.stage == nil {
			// The appended data existed only in the upload and is gone.
			n.lost, n.dirty = err, false
		}
		return remote.Info{}, err
	}
	return info, nil
}

func (n *fileNode) abortAppend() {
	if n.seq != nil {
		n.seq.closeWriter()
		n.seq.upload.Abort()
		n.seq = nil
	}
}

// detach marks n as no longer at its path (unlinked, replaced): its
// unsaved content goes nowhere, and unless a handle still reads it, what
// it holds open is let go at once (n locked).
func (n *fileNode) detach() {
	n.unlinked = true
	n.dropPrivate()
	if n.handles == 0 && n.latest != nil {
		n.latest.release()
		n.latest = nil
	}
}

// OnForget runs when the kernel forgets the inode: what the node still
// holds open (a verified object's file, a staging copy) is let go, so
// that no descriptor of a deleted file outlives its inode.
func (n *fileNode) OnForget() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.handles > 0 {
		return
	}
	if n.latest != nil {
		n.latest.release()
		n.latest = nil
	}
	n.dropPrivate()
}

// dropPrivate discards content not acknowledged (after unlink, or
// truncate to zero) and lets go of the journal's copy it showed.
func (n *fileNode) dropPrivate() {
	n.abortAppend()
	if n.stage != nil {
		n.stage.release()
		n.stage = nil
	}
	n.dirty = false
}

// attachHeld makes n show stage, acknowledged content of the journal
// (n takes over the caller's reference).
func (n *fileNode) attachHeld(stage *stagedFile) {
	if n.stage != nil {
		n.stage.release()
	}
	n.stage, n.size, n.dirty = stage, stage.file.Size(), false
}

// releaseHandle is called when a handle closes for good.
func (n *fileNode) releaseHandle(ctx context.Context, h *fileHandle) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if h.pinned != nil {
		h.pinned.release()
		h.pinned = nil
	}
	n.handles--
	if n.handles > 0 {
		return
	}
	if n.dirty && !n.unlinked {
		// Writes that no flush or fsync followed (a shared mapping's pages,
		// written back as it goes) or whose upload failed: commit them now.
		if err := n.commit(ctx); err != nil {
			n.fsys.log.Error("unsaved changes discarded: their upload failed and the file was closed", "path", n.logical(), "err", err)
		}
	}
	n.dropPrivate() // the journal keeps what was acknowledged
	if n.latest != nil && n.unlinked {
		n.latest.release()
		n.latest = nil
	}
}

// fail logs and maps an error for the kernel.
func (n *fileNode) fail(op string, err error) syscall.Errno {
	e := errno(err)
	if e == syscall.EIO {
		n.fsys.log.Error(op+" failed", "path", n.logical(), "err", err)
	}
	return e
}

// copyPlain copies size bytes of plaintext from src to dst in 256 KiB
// pieces, so memory stays bounded whatever the file size.
func copyPlain(dst io.Writer, src io.ReaderAt, size int64) error {
	_, err := io.CopyBuffer(dst, io.NewSectionReader(src, 0, size), make([]byte, 256<<10))
	return err
}

type readerAtFunc func([]byte, int64) (int, error)

func (f readerAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }

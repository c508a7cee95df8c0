package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fileHandle is one open file description. Reads of unchanged content use
// the version verified at open (pinned); changes made through this mount
// are seen by every handle of the file.
type fileHandle struct {
	node   *fileNode
	pinned *verifiedObject
	gen    uint64 // node.gen when pinned was taken
}

var (
	_ gofs.FileReader   = (*fileHandle)(nil)
	_ gofs.FileWriter   = (*fileHandle)(nil)
	_ gofs.FileFlusher  = (*fileHandle)(nil)
	_ gofs.FileFsyncer  = (*fileHandle)(nil)
	_ gofs.FileReleaser = (*fileHandle)(nil)
)

// Read serves plaintext from the staging copy while the file has unsaved
// changes, else from the verified object version.
func (h *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	ctx = detach(ctx)
	n := h.node
	n.mu.Lock()
	if n.seq != nil {
		// Reading back a file being appended: move it to staging first.
		n.fsys.log.Info("read of a file being appended", "path", n.logical(), "offset", off, "length", len(dest))
		if err := n.ensureStaged(ctx); err != nil {
			n.mu.Unlock()
			return nil, n.fail("read", err)
		}
	}
	if n.stage != nil && (n.dirty || n.stage.acked) {
		release := n.fsys.reserve(n.fsys.stageOpCost())
		k, err := n.stage.file.ReadAt(dest, off)
		release()
		n.mu.Unlock()
		if err != nil && k == 0 && off < n.size {
			return nil, n.fail("read", err)
		}
		return fuse.ReadResultData(dest[:k]), 0
	}
	if n.committed.Version == "" {
		n.mu.Unlock()
		return fuse.ReadResultData(nil), 0
	}
	if h.pinned == nil || h.gen != n.gen {
		v, err := n.verifiedLatest(ctx)
		if err != nil {
			n.mu.Unlock()
			return nil, n.fail("read", err)
		}
		if h.pinned != nil {
			h.pinned.release()
		}
		h.pinned, h.gen = v.acquire(), n.gen
	}
	v := h.pinned.acquire()
	n.mu.Unlock()
	defer v.release()
	defer n.fsys.reserve(n.fsys.readCost(len(dest)))()
	k, err := v.readAt(n.fsys, dest, off)
	if err != nil {
		return nil, syscall.EIO
	}
	return fuse.ReadResultData(dest[:k]), 0
}

// Write stores data at off (sealed at once; nothing is kept in plaintext).
func (h *fileHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	ctx = detach(ctx)
	n := h.node
	n.writes.Add(1)
	defer n.writes.Add(-1)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.write(ctx, data, off); err != nil {
		return 0, n.fail("write", err)
	}
	return uint32(len(data)), 0
}

// Flush runs at every close(2): the content is committed to the store
// before close returns, and close returns the error if it is not.
func (h *fileHandle) Flush(ctx context.Context) syscall.Errno {
	ctx = detach(ctx)
	return h.sync(ctx, "close")
}

// Fsync (and fdatasync) commit the content to the store durably.
func (h *fileHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	ctx = detach(ctx)
	return h.sync(ctx, "fsync")
}

func (h *fileHandle) sync(ctx context.Context, op string) syscall.Errno {
	n := h.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.commit(ctx); err != nil {
		return n.fail(op, err)
	}
	return 0
}

// Release drops the handle once the kernel is done with it, committing
// changes that no flush followed (pages of a shared mapping).
func (h *fileHandle) Release(ctx context.Context) syscall.Errno {
	h.node.releaseHandle(detach(ctx), h)
	return 0
}

package maintain

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/remote"
)

// openAttempts bounds how often an object that changed under a read is
// opened again.
const openAttempts = 3

// Verify authenticates every object of the store in full (header, key
// slot, identity, every chunk, length) and counts objects per KEK id. It
// only reads. The returned error wraps ErrFailures when objects failed
// (the report names them), or says why the run stopped.
func Verify(ctx context.Context, o Options) (Report, error) {
	if o.JobMemory <= 0 {
		// The read window, and Reader.Verify's scratch: two chunks and a tag.
		o.JobMemory = readWindow + int64(2*o.ChunkSize) + 64<<10
	}
	windows := sync.Pool{New: func() any { b := make([]byte, readWindow); return &b }}
	return run(ctx, o, "verify", "", func(ctx context.Context, info remote.Info) outcome {
		buf := windows.Get().(*[]byte)
		defer windows.Put(buf)
		return verifyObject(ctx, o, info, *buf)
	})
}

func verifyObject(ctx context.Context, o Options, info remote.Info, window []byte) outcome {
	var out outcome
	for attempt := range openAttempts {
		// The first attempt reads the version listed; if it has been
		// replaced since, the next ones read the current version.
		obj, err := openObject(ctx, o.Store, info, attempt == 0)
		if errors.Is(err, remote.ErrNotFound) {
			return outcome{kind: kindGone}
		}
		if errors.Is(err, remote.ErrPreconditionFailed) && attempt+1 < openAttempts {
			// Replaced since the listing: read the current version.
			continue
		}
		if err != nil {
			return outcome{kind: kindFailed, bytes: info.Size, err: err}
		}
		out = verifyOpened(ctx, o, obj, window)
		obj.Close()
		if out.kind != kindFailed || !changedUnder(out.err) {
			return out
		}
		if errors.Is(out.err, remote.ErrNotFound) {
			return outcome{kind: kindGone}
		}
	}
	return out
}

// verifyOpened verifies one opened object version.
func verifyOpened(ctx context.Context, o Options, obj remote.Object, window []byte) outcome {
	info := obj.Info()
	src := newWindowReader(obj, info.Size, window)
	out := outcome{bytes: info.Size}
	fail := func(err error) outcome {
		out.kind, out.err = kindFailed, err
		return out
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if info.Size >= envelope.HeaderSize {
		var hdr [envelope.HeaderSize]byte
		if _, err := src.ReadAt(hdr[:], 0); err != nil {
			return fail(fmt.Errorf("reading the header: %w", err))
		}
		if id, err := envelope.ReadKEKID(hdr[:]); err == nil {
			out.kek, out.hasKEK = id, true
		}
	}
	r, err := envelope.Open(src, info.Size, o.Keyring, envelope.Identity{Volume: o.Volume, Path: info.Key})
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	if o.ChunkSize != 0 && r.ChunkSize() != o.ChunkSize {
		return fail(fmt.Errorf("%w: object %d, volume %d", ErrChunkSize, r.ChunkSize(), o.ChunkSize))
	}
	if err := r.Verify(); err != nil {
		return fail(err)
	}
	out.kind = kindVerified
	return out
}

// openObject opens the listed version of an object (without a request of
// its own where the store allows it), or the current version.
func openObject(ctx context.Context, store remote.Store, info remote.Info, listed bool) (remote.Object, error) {
	if listed && info.Version != "" {
		if vo, ok := store.(remote.VersionOpener); ok {
			return vo.OpenVersion(ctx, info)
		}
		return store.Open(ctx, info.Key, info.Version)
	}
	return store.Open(ctx, info.Key, "")
}

// changedUnder reports whether err means the object was replaced or
// deleted while it was read.
func changedUnder(err error) bool {
	return errors.Is(err, remote.ErrPreconditionFailed) || errors.Is(err, remote.ErrNotFound)
}

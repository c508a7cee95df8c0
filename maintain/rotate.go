package maintain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/remote"
)

// RotateOptions select what Rotate does.
type RotateOptions struct {
	// From, if set, limits the run to objects under this KEK id.
	From    uint32
	HasFrom bool
	// DryRun reads and rewraps headers in memory (so keys are checked) and
	// reports what would be rewritten, writing nothing.
	DryRun bool
	// Reencrypt seals every selected object again under a fresh data key
	// and body salt (after a compromise: rewrapping keeps the old data key,
	// which whoever had the old KEK may know). Objects already under the
	// current KEK are re-encrypted too, since an earlier rotate may have
	// rewrapped a compromised data key; use From to limit the run. Each
	// object is decrypted and authenticated in full on the way, so a
	// damaged object is reported and left as it is.
	Reencrypt bool
	// Attempts bounds how often an object changed by someone else between
	// its read and its conditional write is read again and retried
	// (0: 3). After the last, it fails with ErrConcurrentChange.
	Attempts int
	// beforeCommit, if set, runs before each conditional write (tests).
	beforeCommit func(key string)
}

// Rotate rewraps the data key of every object not under the keyring's
// current KEK (or only those under From) so that the current KEK wraps it.
// Only the key slot of the header changes; since stores cannot rewrite a
// byte range, each object is rewritten as a stream (the new header, then
// the old body copied through a small buffer) and replaced only if the
// store still holds the version read (a conditional write): an object a
// mount rewrote meanwhile is read again and retried, never clobbered. The
// returned error wraps ErrFailures when objects failed.
func Rotate(ctx context.Context, o Options, ro RotateOptions) (Report, error) {
	cur, err := o.Keyring.Current()
	if err != nil {
		return Report{}, fmt.Errorf("rotate: %w", err)
	}
	target := cur.ID()
	if ro.Attempts <= 0 {
		ro.Attempts = 3
	}
	if o.JobMemory <= 0 {
		o.JobMemory = readWindow + copyBufferSize
	}
	params := "to=" + strconv.FormatUint(uint64(target), 10)
	if ro.HasFrom {
		params += ",from=" + strconv.FormatUint(uint64(ro.From), 10)
	}
	if ro.Reencrypt {
		params += ",reencrypt"
	}
	if ro.DryRun {
		// A dry run changes nothing, so its checkpoint must not let a real
		// run skip objects.
		params += ",dry-run"
	}
	bufs := sync.Pool{New: func() any { b := make([]byte, readWindow+copyBufferSize); return &b }}
	return run(ctx, o, "rotate", params, func(ctx context.Context, info remote.Info) outcome {
		buf := bufs.Get().(*[]byte)
		defer bufs.Put(buf)
		return rotateObject(ctx, o, ro, target, info, *buf)
	})
}

func rotateObject(ctx context.Context, o Options, ro RotateOptions, target uint32, info remote.Info, buf []byte) outcome {
	retries := 0
	for attempt := range ro.Attempts {
		obj, err := openObject(ctx, o.Store, info, attempt == 0)
		if errors.Is(err, remote.ErrNotFound) {
			return outcome{kind: kindGone}
		}
		if errors.Is(err, remote.ErrPreconditionFailed) && attempt+1 < ro.Attempts {
			// Replaced since the listing: read the current version.
			retries++
			continue
		}
		if err != nil {
			return outcome{kind: kindFailed, bytes: info.Size, retries: retries, err: err}
		}
		out := rewriteObject(ctx, o, ro, target, obj, buf[:readWindow], buf[readWindow:])
		obj.Close()
		out.retries = retries
		if out.kind != kindFailed || !changedUnder(out.err) {
			return out
		}
		if errors.Is(out.err, remote.ErrNotFound) {
			return outcome{kind: kindGone, retries: retries}
		}
		retries++
	}
	return outcome{kind: kindFailed, bytes: info.Size, retries: retries,
		err: fmt.Errorf("%w (%d attempts)", ErrConcurrentChange, ro.Attempts)}
}

// rewriteObject rewraps one opened object version and replaces it on
// condition that the store still holds that version.
func rewriteObject(ctx context.Context, o Options, ro RotateOptions, target uint32, obj remote.Object, window, buf []byte) outcome {
	info := obj.Info()
	src := newWindowReader(obj, info.Size, window)
	out := outcome{bytes: info.Size}
	fail := func(err error) outcome {
		out.kind, out.err = kindFailed, err
		return out
	}
	if info.Size < envelope.HeaderSize {
		return fail(fmt.Errorf("%d bytes, shorter than a header: %w", info.Size, envelope.ErrTruncated))
	}
	var hdr [envelope.HeaderSize]byte
	if _, err := src.ReadAt(hdr[:], 0); err != nil {
		return fail(fmt.Errorf("reading the header: %w", err))
	}
	kek, err := envelope.ReadKEKID(hdr[:])
	if err != nil {
		return fail(err)
	}
	out.kek, out.hasKEK = kek, true
	switch {
	case ro.HasFrom && kek != ro.From:
		out.kind = kindNotSelected
		return out
	case kek == target && !ro.Reencrypt:
		out.kind = kindCurrent
		return out
	}
	id := envelope.Identity{Volume: o.Volume, Path: info.Key}
	var write func(up remote.Upload) error
	if ro.Reencrypt {
		r, err := envelope.Open(src, info.Size, o.Keyring, id)
		if err != nil {
			return fail(err)
		}
		defer r.Close()
		write = func(up remote.Upload) error { return writeReencrypted(up, r, o, id, buf) }
	} else {
		newHdr, err := envelope.Rewrap(hdr[:], o.Keyring, id)
		if err != nil {
			return fail(err)
		}
		write = func(up remote.Upload) error { return writeRewrapped(up, newHdr, src, info.Size, buf) }
	}
	if ro.DryRun {
		out.kind = kindRewrapped
		return out
	}
	if info.Version == "" {
		return fail(fmt.Errorf("the store gave no version to condition the rewrite on: %w", remote.ErrPreconditionFailed))
	}
	up, err := o.Store.Create(ctx, info.Key)
	if err != nil {
		return fail(err)
	}
	if err := write(up); err != nil {
		up.Abort()
		return fail(err)
	}
	if ro.beforeCommit != nil {
		ro.beforeCommit(info.Key)
	}
	if _, err := up.Commit(ctx, remote.Condition{IfMatch: info.Version}); err != nil {
		up.Abort()
		return fail(fmt.Errorf("replacing the object: %w", err))
	}
	// The object now names the target KEK.
	out.kind, out.kek = kindRewrapped, target
	return out
}

// writeRewrapped streams the new header and the unchanged body of obj
// (size bytes) into up.
func writeRewrapped(up remote.Upload, newHdr []byte, obj io.ReaderAt, size int64, buf []byte) error {
	if _, err := up.Write(newHdr); err != nil {
		return fmt.Errorf("writing the new header: %w", err)
	}
	body := io.NewSectionReader(obj, envelope.HeaderSize, size-envelope.HeaderSize)
	// Only Write: an io.ReaderFrom on the upload would bypass buf.
	if _, err := io.CopyBuffer(struct{ io.Writer }{up}, body, buf); err != nil {
		return fmt.Errorf("copying the body: %w", err)
	}
	if up.Size() != size {
		return fmt.Errorf("rewritten object is %d bytes, the original %d: %w", up.Size(), size, io.ErrShortWrite)
	}
	return nil
}

// writeReencrypted seals the plaintext of r again into up under a fresh
// data key and body salt, wrapped by the current KEK, reading and
// authenticating r chunk by chunk through buf.
func writeReencrypted(up remote.Upload, r *envelope.Reader, o Options, id envelope.Identity, buf []byte) error {
	chunk := o.ChunkSize
	if chunk == 0 {
		chunk = r.ChunkSize()
	}
	w, err := envelope.NewWriter(up, o.Keyring, id, envelope.WriterOptions{ChunkSize: chunk})
	if err != nil {
		return err
	}
	defer clear(buf) // it held plaintext
	if _, err := io.CopyBuffer(struct{ io.Writer }{w}, io.NewSectionReader(r, 0, r.Size()), buf); err != nil {
		w.Close()
		return fmt.Errorf("re-encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("re-encrypting: %w", err)
	}
	return nil
}

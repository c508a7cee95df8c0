package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// verifiedObject is one version of a file's object, authenticated at open:
// header, key slot and final chunk always; every chunk when it is no larger
// than VerifyOpenMax. Reads use it until the last reference is dropped.
type verifiedObject struct {
	info    remote.Info
	logical string
	reader  *envelope.Reader
	closers []io.Closer
	refs    atomic.Int32
}

// openVerified opens version (or the current one, if "") of logical's
// object and authenticates it. Any failure is logged with the path and key
// id and returned; the caller answers EIO.
//
// When fill is set, full verification also hands every verified piece of
// plaintext to fill (the kernel's page cache), so the reads that follow
// need neither a FUSE round trip nor a second decryption.
//
// known, if not nil, is the version the store was seen to hold moments
// ago (by a listing or a stat): on stores that can, it is opened without
// a request of its own, its first read pinned to it; should that read find
// it replaced or deleted since, the object is opened again as it is now.
func (f *filesystem) openVerified(ctx context.Context, logical, version string, known *remote.Info, fill func(p []byte, off int64)) (*verifiedObject, error) {
	if vo, ok := f.store.(remote.VersionOpener); ok && known != nil && known.Version != "" && version == "" {
		info := *known
		info.Key = objectKey(logical)
		v, err := f.verifyObject(ctx, logical, func() (remote.Object, error) { return vo.OpenVersion(ctx, info) }, fill)
		if !stale(err) {
			return v, err
		}
		f.log.Debug("open: the version looked up was replaced since; opening the current one", "path", logical, "err", err)
	}
	return f.verifyObject(ctx, logical, func() (remote.Object, error) { return f.store.Open(ctx, objectKey(logical), version) }, fill)
}

// stale reports whether err says that the version read is no longer the
// store's (replaced or deleted).
func stale(err error) bool {
	return errors.Is(err, remote.ErrPreconditionFailed) || errors.Is(err, remote.ErrNotFound)
}

// verifyObject opens an object with open and authenticates it (see
// openVerified).
func (f *filesystem) verifyObject(ctx context.Context, logical string, open func() (remote.Object, error), fill func(p []byte, off int64)) (*verifiedObject, error) {
	obj, err := open()
	if err != nil {
		return nil, err
	}
	v := &verifiedObject{info: obj.Info(), logical: logical, closers: []io.Closer{obj}}
	var src io.ReaderAt = obj
	switch {
	case f.opts.SpoolDir == "":
		// The store's reads are local: read it in place.
	case v.info.Size <= f.opts.VerifyOpenMax+envelope.HeaderSize+(f.opts.VerifyOpenMax/int64(envelope.MinChunkSize)+1)*16:
		spool, err := f.spool(obj, v.info.Size)
		if err != nil {
			v.close()
			return nil, fmt.Errorf("spooling %s: %w", logical, err)
		}
		v.closers = append(v.closers, spool)
		src = spool
	default:
		// Too large to spool: read it in windows, so that sequential reads
		// cost one ranged request per window, not one per FUSE read, and
		// fetch the next windows while the current one is read.
		w := newWindowReader(obj, v.info.Size, readWindow, f.readAhead(), f.reserve)
		v.closers = append(v.closers, w)
		src = w
	}
	r, err := envelope.Open(src, v.info.Size, f.ring, f.identity(logical))
	if err == nil && r.ChunkSize() != f.opts.ChunkSize {
		err = f.chunkSizeMismatch(r, logical)
		r.Close()
	}
	if err == nil && r.Size() <= f.opts.VerifyOpenMax {
		release := f.reserve(f.verifyCost(r.Size()))
		if fill != nil {
			err = verifyInto(r, fill)
		} else {
			err = r.Verify()
		}
		release()
		if err != nil {
			r.Close()
		}
	}
	if err != nil {
		if !stale(err) {
			f.reportBadObject(logical, src, err)
		}
		v.close()
		if f.spools != nil && src != io.ReaderAt(obj) {
			f.spools.drop(v.info)
		}
		return nil, err
	}
	v.reader = r
	v.closers = append(v.closers, r)
	v.refs.Store(1)
	return v, nil
}

// ErrChunkSizeMismatch means an authentic object was sealed with another
// chunk size than the volume's. Every size shown without a download is
// computed with the volume's chunk size, so such an object would show a
// wrong size and could not be read consistently; it is refused (EIO) at
// open instead. It matches envelope.ErrIntegrity.
var ErrChunkSizeMismatch = fmt.Errorf("object chunk size differs from the volume's: %w", envelope.ErrIntegrity)

// chunkSizeMismatch returns the error for an object whose header chunk
// size is not the volume's, audited as an integrity failure.
func (f *filesystem) chunkSizeMismatch(r *envelope.Reader, logical string) error {
	id := f.identity(logical).String()
	err := fmt.Errorf("%w: %s: header says %d bytes, the volume (%s) says %d", ErrChunkSizeMismatch, id, r.ChunkSize(), VolumeKey, f.opts.ChunkSize)
	f.ring.Auditor().Audit(keyring.Event{Kind: keyring.IntegrityFailed, KEKID: r.KEKID(), Object: id, Err: err})
	return err
}

// verifyInto authenticates every chunk of r by reading it, passing each
// verified piece of plaintext to fill. Nothing is kept.
func verifyInto(r *envelope.Reader, fill func(p []byte, off int64)) error {
	buf := make([]byte, min(r.Size(), 1<<20))
	for off := int64(0); off < r.Size(); off += int64(len(buf)) {
		n, err := r.ReadAt(buf, off)
		if err != nil && !(err == io.EOF && off+int64(n) == r.Size()) {
			return err
		}
		fill(buf[:n], off)
	}
	clear(buf)
	return nil
}

// spool returns the object's ciphertext from the on-disk cache in SpoolDir,
// downloading it on a miss, so that verification and the reads after it
// (and later opens of the same version) do not fetch it again.
func (f *filesystem) spool(obj remote.Object, size int64) (*os.File, error) {
	return f.spools.open(obj.Info(), func(w io.Writer) error {
		// Each ReadAt of a remote object is one ranged request: copy in
		// large pieces (one request for most objects), budgeted. (The
		// anonymous struct hides *os.File's ReadFrom, which would copy with
		// its own 32 KiB buffer: one request per 32 KiB.)
		bufSize := min(size, spoolBuffer)
		release := f.reserve(bufSize)
		defer release()
		buf := make([]byte, max(bufSize, 1))
		_, err := io.CopyBuffer(struct{ io.Writer }{w}, io.NewSectionReader(obj, 0, size), buf)
		return err
	})
}

// spoolBuffer is the largest piece fetched at once while spooling.
const spoolBuffer = 8 << 20

// reportBadObject logs an object that failed to open or verify. Integrity
// failures are also audited by the envelope package through the keyring.
func (f *filesystem) reportBadObject(logical string, src io.ReaderAt, err error) {
	kekID := "unknown"
	header := make([]byte, envelope.HeaderSize)
	if _, rerr := src.ReadAt(header, 0); rerr == nil {
		if id, herr := envelope.ReadKEKID(header); herr == nil {
			kekID = fmt.Sprint(id)
		}
	}
	level := "integrity"
	switch {
	case errors.Is(err, keyring.ErrUnknownKEK), errors.Is(err, keyring.ErrRevokedKEK):
		level = "key"
	case !errors.Is(err, envelope.ErrIntegrity):
		level = "io"
	}
	f.log.Error("object refused", "path", logical, "kek_id", kekID, "kind", level, "err", err)
}

// readAt reads plaintext; a chunk that fails verification is logged and
// returned as an error, never as bytes.
func (v *verifiedObject) readAt(f *filesystem, p []byte, off int64) (int, error) {
	n, err := v.reader.ReadAt(p, off)
	if err != nil && err != io.EOF {
		f.log.Error("read refused", "path", v.logical, "kek_id", v.reader.KEKID(), "offset", off, "err", err)
		return 0, err
	}
	return n, nil
}

func (v *verifiedObject) acquire() *verifiedObject {
	v.refs.Add(1)
	return v
}

func (v *verifiedObject) release() {
	if v.refs.Add(-1) == 0 {
		v.close()
	}
}

func (v *verifiedObject) close() {
	for i := len(v.closers) - 1; i >= 0; i-- {
		v.closers[i].Close()
	}
	v.closers = nil
}

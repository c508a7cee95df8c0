package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"cloud.google.com/go/storage"

	"github.com/sealfs/sealfs/remote"
)

const (
	// singleRequestMax is the largest upload sent in one request; larger
	// ones use a resumable upload.
	singleRequestMax = 16 << 20
	// resumableChunkSize is the chunk of a resumable upload, which the
	// library buffers in memory.
	resumableChunkSize = 16 << 20
	// copyBufferSize is the buffer between the spool file and the request body.
	copyBufferSize = 256 << 10
)

// Commit sends the spool file to the object under cond. Objects up to
// 16 MiB go in one request; the service checks the CRC32C of the bytes
// written and the generation precondition. After an error wrapping
// remote.ErrUnavailable the spool file is kept for another Commit;
// after any other outcome the upload is done.
func (u *upload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.spool == nil {
		return remote.Info{}, opError("commit", u.key, errUploadDone)
	}
	info, err := u.commit(ctx, cond)
	if err == nil || !errors.Is(err, remote.ErrUnavailable) {
		if ferr := u.finish(); err == nil && ferr != nil {
			u.store.log.Warn("gcs: committed, but the spool file remains", "key", u.key, "err", ferr)
		}
	}
	return info, err
}

// commit does one upload attempt. Callers hold u.mu.
func (u *upload) commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	conds, err := conditions("commit", u.key, cond)
	if err != nil {
		return remote.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return remote.Info{}, opError("commit", u.key, err)
	}
	obj := u.store.bucket.Object(u.name)
	if conds != nil {
		obj = obj.If(*conds)
	}
	attrs, err := send(ctx, u.store, obj, u.spool, u.size, u.crc)
	if err != nil {
		return remote.Info{}, mapError(ctx, "commit", u.key, err, conds != nil)
	}
	if attrs.Size != u.size {
		return remote.Info{}, opError("commit", u.key, fmt.Errorf("service stored %d bytes of %d", attrs.Size, u.size))
	}
	u.store.log.Debug("gcs: committed", "key", u.key, "size", u.size, "generation", attrs.Generation)
	return infoOf(u.key, attrs), nil
}

// send streams size bytes of spool to obj with the checksum crc and
// returns the new object's attributes.
func send(ctx context.Context, s *Store, obj *storage.ObjectHandle, spool *os.File, size int64, crc uint32) (*storage.ObjectAttrs, error) {
	actx, cancel := s.transfer(ctx, size)
	defer cancel()
	w := obj.NewWriter(actx)
	w.ContentType = "application/octet-stream"
	w.CRC32C = crc
	w.SendCRC32C = true
	w.ChunkSize = 0 // one request, streamed without the library's buffer
	if size > singleRequestMax {
		w.ChunkSize = resumableChunkSize
	}
	_, err := io.CopyBuffer(w, io.NewSectionReader(spool, 0, size), make([]byte, copyBufferSize))
	if err != nil {
		// Cancel the request before Close, so that the bytes sent so
		// far never become an object.
		cancel()
		return nil, errors.Join(err, w.Close())
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return w.Attrs(), nil
}

// conditions turns cond into the service's preconditions (nil for none).
func conditions(op, key string, cond remote.Condition) (*storage.Conditions, error) {
	switch {
	case cond.IfAbsent && cond.IfMatch != "":
		return nil, opError(op, key, errContradictoryCondition)
	case cond.IfAbsent:
		return &storage.Conditions{DoesNotExist: true}, nil
	case cond.IfMatch != "":
		generation, ok := parseVersion(cond.IfMatch)
		if !ok {
			return nil, preconditionFailed(op, key, fmt.Sprintf("version %q is not a generation", cond.IfMatch))
		}
		return &storage.Conditions{GenerationMatch: generation}, nil
	}
	return nil, nil
}

package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/sealfs/sealfs/remote"
)

// spoolPattern names the spool files of uploads in SpoolDir.
const spoolPattern = "sealfs-s3-upload-*"

// Create starts an upload to key. An object's bytes are staged in a spool
// file that is unlinked at once (the open descriptor keeps it), so that
// nothing is left in SpoolDir after Commit, Abort or a crash. A directory
// marker takes no bytes and no spool file.
func (s *Store) Create(ctx context.Context, key string) (remote.Upload, error) {
	isMarker, err := s.begin(ctx, "create", key)
	if err != nil {
		return nil, err
	}
	u := &upload{store: s, key: key}
	if isMarker {
		return u, nil
	}
	f, err := os.CreateTemp(s.spool, spoolPattern)
	if err != nil {
		return nil, opError("create", key, err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, opError("create", key, err)
	}
	u.file = f
	return u, nil
}

// upload is an object being staged in a spool file (nil for a marker).
// Once it holds more than singlePutMax bytes it also has a stream: the
// multipart upload its full parts are sent to while it is still written.
type upload struct {
	store *Store
	key   string
	file  *os.File // never reassigned; closed when the upload is done

	mu     sync.Mutex
	size   int64
	stream *partStream
	done   bool
	// unsure is set when a Commit failed with ErrUnavailable: the object
	// may have been committed anyway, its answer lost.
	unsure bool
}

// Write appends p to the spool file; past singlePutMax bytes, every full
// part is then sent in the background.
func (u *upload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.done:
		return 0, opError("write", u.key, fs.ErrClosed)
	case len(p) == 0:
		return 0, nil
	case u.file == nil:
		return 0, opError("write", u.key, errMarkerData)
	}
	n, err := u.file.WriteAt(p, u.size)
	u.size += int64(n)
	if err != nil {
		return n, opError("write", u.key, err)
	}
	if u.stream == nil && u.size > u.store.singlePutMax {
		u.stream = u.store.startStream(u.key, u.file)
	}
	if u.stream != nil {
		u.stream.grew(u.size)
	}
	return n, nil
}

// ReadAt reads back bytes written so far; io.EOF marks their end.
func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	size := u.Size()
	switch {
	case off < 0:
		return 0, opError("read", u.key, errNegativeOffset)
	case len(p) == 0:
		return 0, nil
	case off >= size:
		return 0, io.EOF
	}
	want := min(int64(len(p)), size-off)
	n, err := u.file.ReadAt(p[:want], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, opError("read", u.key, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Size returns the number of bytes written so far.
func (u *upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

// Commit sends the staged bytes to key, subject to cond: in one PutObject
// up to singlePutMax, else the parts not sent yet and the completion of
// the multipart upload. After a failure wrapping remote.ErrUnavailable the
// upload stays open for another Commit (parts already sent are kept);
// after any other outcome it is done, its spool file gone and its
// multipart upload, unless completed, aborted.
func (u *upload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return remote.Info{}, opError("commit", u.key, fs.ErrClosed)
	}
	info, err := u.send(ctx, cond)
	if u.stream != nil && isNoSuchUpload(err) && ctx.Err() == nil {
		// The multipart upload is gone: completed by an attempt whose
		// answer was lost, or aborted by someone else.
		if earlier, ok := u.claimEarlier(ctx); ok {
			info, err = earlier, nil
		} else {
			u.stream.reset()
			info, err = u.send(ctx, cond)
		}
	}
	if err != nil && errors.Is(err, remote.ErrUnavailable) && ctx.Err() == nil {
		u.unsure = true
		return remote.Info{}, err // the caller may retry with the same bytes
	}
	if errors.Is(err, remote.ErrPreconditionFailed) {
		if earlier, ok := u.claimEarlier(ctx); ok {
			// The earlier attempt committed these very bytes, so the
			// condition held then: report that success, not this refusal.
			info, err = earlier, nil
		}
	}
	u.done = true
	if u.stream != nil {
		if err == nil {
			u.stream.close()
		} else {
			u.stream.abort()
		}
	}
	if closeErr := u.closeFile(); closeErr != nil {
		u.store.log.Warn("s3: close spool file", "key", u.key, "err", closeErr)
	}
	return info, err
}

// send makes one attempt at committing the staged bytes.
func (u *upload) send(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	if cond.IfAbsent && cond.IfMatch != "" {
		return remote.Info{}, opError("commit", u.key, errContradictoryCondition)
	}
	if err := u.store.ready(ctx); err != nil {
		return remote.Info{}, opError("commit", u.key, err)
	}
	var info remote.Info
	var err error
	if u.stream == nil {
		info, err = u.store.putObject(ctx, u.key, u.file, u.size, cond)
	} else if err = u.stream.stop(ctx); err != nil {
		err = opError("commit", u.key, err)
	} else {
		info, err = u.stream.finish(ctx, u.size, cond)
	}
	if cond.IfMatch != "" && errors.Is(err, remote.ErrNotFound) {
		// S3 answers If-Match on a missing key with 404.
		return remote.Info{}, fmt.Errorf("s3: commit %q: object does not exist: %w", u.key, remote.ErrPreconditionFailed)
	}
	return info, err
}

// claimEarlier reports whether an earlier attempt of this Commit, whose
// answer was lost, committed the staged bytes (and with which Info).
func (u *upload) claimEarlier(ctx context.Context) (remote.Info, bool) {
	if !u.unsure {
		return remote.Info{}, false
	}
	earlier, ok := u.store.landedEarlier(ctx, u.key, u.file, u.size)
	if ok {
		u.store.log.Info("s3: commit whose answer was lost had succeeded", "key", u.key)
	}
	return earlier, ok
}

// Abort discards the upload and the parts it sent. Aborting a finished
// upload does nothing.
func (u *upload) Abort() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	if u.stream != nil {
		u.stream.abort()
	}
	if err := u.closeFile(); err != nil {
		return opError("abort", u.key, err)
	}
	return nil
}

// closeFile closes the spool file, if any, which frees its space.
func (u *upload) closeFile() error {
	if u.file == nil {
		return nil
	}
	return u.file.Close()
}

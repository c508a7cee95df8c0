package local

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// Open returns a reader on key. Reads go through the file descriptor of
// the inode opened here, so they keep returning this version's bytes
// after a commit replaces the file. A non-empty version must equal the
// current one, or Open fails with remote.ErrPreconditionFailed.
func (s *Store) Open(ctx context.Context, key, version string) (remote.Object, error) {
	isMarker, err := s.begin(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	defer s.fds.release()
	if isMarker {
		return s.openMarker(key, version)
	}
	fd, err := s.openBeneath(key, unix.O_RDONLY)
	if err != nil {
		return nil, resolveError("open", key, err)
	}
	f := os.NewFile(uintptr(fd), s.root+"/"+key)
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, opError("open", key, err)
	}
	if !isRegular(&st) {
		f.Close()
		return nil, notFound("open", key, nil)
	}
	info := statInfo(key, &st)
	if version != "" && version != info.Version {
		f.Close()
		return nil, preconditionFailed("open", key, "version "+version+" is no longer current")
	}
	if info.Size <= prefetchMax {
		// Opened objects are read whole (verified) right away: ask for all
		// of it in one go rather than in readahead-sized steps.
		_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_WILLNEED)
	}
	return &fileObject{file: f, info: info}, nil
}

// prefetchMax is the largest object whose whole content Open prefetches.
const prefetchMax = 8 << 20

// openMarker returns an empty object standing for a directory marker.
func (s *Store) openMarker(key, version string) (remote.Object, error) {
	st, err := s.lstat("open", key, true)
	if err != nil {
		return nil, err
	}
	info := statInfo(key, &st)
	if version != "" && version != info.Version {
		return nil, preconditionFailed("open", key, "version "+version+" is no longer current")
	}
	return emptyObject{info: info}, nil
}

// fileObject reads one version of a stored file through its descriptor.
type fileObject struct {
	file *os.File
	info remote.Info
}

// ReadAt reads from the pinned version; io.EOF marks its end.
func (o *fileObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.file.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, opError("read", o.info.Key, err)
	}
	return n, err
}

// Info describes the pinned version.
func (o *fileObject) Info() remote.Info { return o.info }

// Close releases the descriptor.
func (o *fileObject) Close() error { return o.file.Close() }

// emptyObject is the zero-length content of a directory marker.
type emptyObject struct {
	info remote.Info
}

// ReadAt always reports the end of the (empty) object.
func (o emptyObject) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, opError("read", o.info.Key, errNegativeOffset)
	}
	if len(p) == 0 {
		return 0, nil
	}
	return 0, io.EOF
}

// Info describes the marker.
func (o emptyObject) Info() remote.Info { return o.info }

// Close does nothing.
func (o emptyObject) Close() error { return nil }

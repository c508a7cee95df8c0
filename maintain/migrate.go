package maintain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/remote"
)

// MigrateOptions select what Migrate does.
type MigrateOptions struct {
	// FromDir is the plain directory imported (e.g. an Orthanc
	// StorageDirectory). It is only read.
	FromDir string
	// DryRun walks the source, checks every name and compares files the
	// store already holds, but writes nothing.
	DryRun bool
	// VerifyWritten reads every object back after writing it and compares
	// it with the source (it doubles the reads).
	VerifyWritten bool
	// Exclude lists path.Match patterns matched against each file's
	// relative path (e.g. "index*" for an Orthanc index kept in the
	// storage directory): a matching file is skipped with ErrExcluded.
	Exclude []string
	// afterFile, if set, runs after each file is done (tests).
	afterFile func(key string)
}

// Migrate imports the regular files under mo.FromDir into the store, each
// as a sealfs object at its "/"-separated path relative to FromDir (its
// logical path), sealed under the keyring's current KEK with the volume's
// chunk size, streamed through a small buffer. Every object is committed
// only if the key is absent, so nothing in the store is overwritten: a
// path the store already holds is compared with the source and counted
// already migrated (same plaintext) or a conflict (anything else, left
// untouched). Symbolic links (never followed), special files and names the
// store cannot key are skipped and listed. An interrupted run resumes from
// its checkpoint (the walk is in key order). The returned error wraps
// ErrFailures when files failed, else ErrConflicts when there were
// conflicts.
func Migrate(ctx context.Context, o Options, mo MigrateOptions) (Report, error) {
	if _, err := o.Keyring.Current(); err != nil {
		return Report{}, fmt.Errorf("migrate: %w", err)
	}
	abs, err := filepath.Abs(mo.FromDir)
	if err != nil {
		return Report{}, fmt.Errorf("migrate: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return Report{}, fmt.Errorf("migrate: source directory: %w", err)
	}
	defer root.Close()
	if o.JobMemory <= 0 {
		o.JobMemory = readWindow + copyBufferSize + int64(2*o.ChunkSize)
	}
	for _, p := range mo.Exclude {
		if _, err := path.Match(p, ""); err != nil {
			return Report{}, fmt.Errorf("migrate: exclude pattern %q: %w", p, err)
		}
	}
	params := "from=" + abs
	if len(mo.Exclude) > 0 {
		params += ",exclude=" + strings.Join(mo.Exclude, "\x00")
	}
	if mo.DryRun {
		params += ",dry-run"
	}
	bufs := sync.Pool{New: func() any { b := make([]byte, readWindow+copyBufferSize); return &b }}
	rep, err := runOver(ctx, o, "migrate", params, dirLister(abs), func(ctx context.Context, info remote.Info) outcome {
		buf := bufs.Get().(*[]byte)
		defer bufs.Put(buf)
		out := migrateFile(ctx, o, mo, root, info.Key, *buf)
		if mo.afterFile != nil {
			mo.afterFile(info.Key)
		}
		return out
	})
	if err == nil && len(rep.Conflicts) > 0 {
		err = fmt.Errorf("migrate: %d of %d files: %w", len(rep.Conflicts), rep.Objects, ErrConflicts)
	}
	return rep, err
}

// migrateFile imports the source file key.
func migrateFile(ctx context.Context, o Options, mo MigrateOptions, root *os.Root, key string, buf []byte) outcome {
	for _, p := range mo.Exclude {
		if ok, _ := path.Match(p, key); ok {
			return outcome{kind: kindSkipped, err: fmt.Errorf("%w (%q)", ErrExcluded, p)}
		}
	}
	name := filepath.FromSlash(key)
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return outcome{kind: kindGone}
	case err != nil:
		return outcome{kind: kindFailed, err: fmt.Errorf("source: %w", err)}
	case fi.IsDir():
		_, err := root.Open(name)
		if err == nil {
			err = errors.New("could not be listed")
		}
		return outcome{kind: kindFailed, err: fmt.Errorf("source directory: %w", err)}
	case !fi.Mode().IsRegular():
		return outcome{kind: kindSkipped, err: fmt.Errorf("%w (%s)", ErrNotRegular, typeName(fi.Mode()))}
	}
	if _, err := remote.CheckKey(key); err != nil {
		return outcome{kind: kindSkipped, bytes: fi.Size(), err: err}
	}
	if !IsObjectKey(key) {
		return outcome{kind: kindSkipped, bytes: fi.Size(), err: fmt.Errorf("key %q: reserved by sealfs: %w", key, remote.ErrInvalidKey)}
	}
	// O_NOFOLLOW: a file replaced by a link since the Lstat is refused;
	// O_NONBLOCK: one replaced by a FIFO does not hang the open.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return outcome{kind: kindSkipped, err: fmt.Errorf("%w (symlink)", ErrNotRegular)}
		}
		return outcome{kind: kindFailed, bytes: fi.Size(), err: fmt.Errorf("source: %w", err)}
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return outcome{kind: kindFailed, err: fmt.Errorf("source: %w", err)}
	}
	if !fi.Mode().IsRegular() {
		return outcome{kind: kindSkipped, err: fmt.Errorf("%w (%s)", ErrNotRegular, typeName(fi.Mode()))}
	}
	out := outcome{bytes: fi.Size()}
	fail := func(err error) outcome {
		out.kind, out.err = kindFailed, err
		return out
	}
	id := envelope.Identity{Volume: o.Volume, Path: key}
	window, copyBuf := buf[:readWindow], buf[readWindow:]
	// A re-run finds most files done: compare those instead of sealing
	// them again only to have the conditional write refused.
	if _, err := o.Store.Stat(ctx, key); err == nil {
		return compareExisting(ctx, o, id, f, fi.Size(), window, copyBuf, out)
	} else if !errors.Is(err, remote.ErrNotFound) {
		return fail(err)
	}
	if mo.DryRun {
		out.kind = kindMigrated
		return out
	}
	up, err := o.Store.Create(ctx, key)
	if err != nil {
		return fail(err)
	}
	if err := seal(ctx, up, o, id, f, fi, copyBuf); err != nil {
		up.Abort()
		return fail(err)
	}
	if _, err := up.Commit(ctx, remote.Condition{IfAbsent: true}); err != nil {
		up.Abort()
		if errors.Is(err, remote.ErrPreconditionFailed) {
			// Created by someone else since the Stat.
			return compareExisting(ctx, o, id, f, fi.Size(), window, copyBuf, out)
		}
		return fail(fmt.Errorf("committing the object: %w", err))
	}
	if mo.VerifyWritten {
		if res := compareExisting(ctx, o, id, f, fi.Size(), window, copyBuf, out); res.kind != kindAlreadyMigrated {
			if res.kind == kindConflict {
				res.kind = kindFailed
			}
			return res
		}
	}
	out.kind = kindMigrated
	return out
}

// seal streams the source file f (whose Stat gave fi) into up as a sealfs
// object, and fails with ErrSourceChanged if f changed meanwhile.
func seal(ctx context.Context, up remote.Upload, o Options, id envelope.Identity, f *os.File, fi os.FileInfo, buf []byte) error {
	w, err := envelope.NewWriter(up, o.Keyring, id, envelope.WriterOptions{ChunkSize: o.ChunkSize})
	if err != nil {
		return err
	}
	defer clear(buf) // it held plaintext
	// Only Write: an io.ReaderFrom on the writer would bypass buf.
	n, err := io.CopyBuffer(struct{ io.Writer }{w}, ctxReader{ctx, io.NewSectionReader(f, 0, fi.Size()+1)}, buf)
	if err != nil {
		w.Close()
		return fmt.Errorf("sealing: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("sealing: %w", err)
	}
	after, err := f.Stat()
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if n != fi.Size() || after.Size() != fi.Size() || !after.ModTime().Equal(fi.ModTime()) {
		return fmt.Errorf("%w: %d bytes before, %d read, %d after", ErrSourceChanged, fi.Size(), n, after.Size())
	}
	return nil
}

// compareExisting compares the object the store holds at id.Path with the
// source src (size bytes): already migrated if it authenticates under id
// with the volume's chunk size and holds the same plaintext, a conflict
// otherwise.
func compareExisting(ctx context.Context, o Options, id envelope.Identity, src io.ReaderAt, size int64, window, buf []byte, out outcome) outcome {
	conflict := func(err error) outcome {
		out.kind, out.err = kindConflict, fmt.Errorf("%w: %w", ErrConflict, err)
		return out
	}
	obj, err := o.Store.Open(ctx, id.Path, "")
	if errors.Is(err, remote.ErrNotFound) {
		out.kind, out.err = kindFailed, fmt.Errorf("the object vanished while it was compared: %w", err)
		return out
	}
	if err != nil {
		out.kind, out.err = kindFailed, err
		return out
	}
	defer obj.Close()
	r, err := envelope.Open(newWindowReader(obj, obj.Info().Size, window), obj.Info().Size, o.Keyring, id)
	if err != nil {
		if errors.Is(err, envelope.ErrIntegrity) || errors.Is(err, envelope.ErrNotSealfs) {
			return conflict(err)
		}
		out.kind, out.err = kindFailed, err
		return out
	}
	defer r.Close()
	if o.ChunkSize != 0 && r.ChunkSize() != o.ChunkSize {
		return conflict(fmt.Errorf("%w: object %d, volume %d", ErrChunkSize, r.ChunkSize(), o.ChunkSize))
	}
	if r.Size() != size {
		return conflict(fmt.Errorf("the object holds %d bytes, the source %d", r.Size(), size))
	}
	defer clear(buf)
	half := len(buf) / 2
	a, b := buf[:half], buf[half:2*half]
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			out.kind, out.err = kindFailed, err
			return out
		}
		n := int(min(int64(half), size-off))
		if _, err := r.ReadAt(a[:n], off); err != nil && !(errors.Is(err, io.EOF) && off+int64(n) == size) {
			if errors.Is(err, envelope.ErrIntegrity) {
				return conflict(err)
			}
			out.kind, out.err = kindFailed, err
			return out
		}
		if _, err := src.ReadAt(b[:n], off); err != nil && !(errors.Is(err, io.EOF) && off+int64(n) == size) {
			out.kind, out.err = kindFailed, fmt.Errorf("source: %w", err)
			return out
		}
		if !bytes.Equal(a[:n], b[:n]) {
			return conflict(fmt.Errorf("the contents differ at byte %d or after", off))
		}
		off += int64(n)
	}
	out.kind = kindAlreadyMigrated
	return out
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// typeName names the type of a file that is not regular.
func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return m.Type().String()
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// seqBlockSize is the size of each write() and read() of the sequential
// workloads.
const seqBlockSize = 1 << 20

// orthancWriteSize is the size of each write() of the Orthanc workload.
const orthancWriteSize = 4096

// orthancFileID offsets the pattern ids of Orthanc files from those of the
// sequential file's blocks.
const orthancFileID = 1 << 62

// seqFileName is the sequential workloads' file, in the target's directory.
const seqFileName = "seq.bin"

// workload is one measured phase. run returns the figure in unit and the
// time the application spent in it.
type workload struct {
	name string
	unit string
	run  func(ctx context.Context, w *workspace) (figure float64, spent time.Duration, err error)
}

// workloads are run in this order within every repetition, since each reads
// or removes what an earlier one wrote.
var workloads = []workload{
	{name: "seq write", unit: "MB/s", run: seqWrite},
	{name: "seq read cold", unit: "MB/s", run: seqReadCold},
	{name: "orthanc write", unit: "files/s", run: orthancWrite},
	{name: "orthanc read cold", unit: "files/s", run: orthancReadCold},
	{name: "orthanc delete", unit: "files/s", run: orthancDelete},
}

// workspace is one target's directory and what the workloads left in it.
type workspace struct {
	dir       string
	pattern   *pattern
	seqSize   int64
	fileSize  int64
	fileCount int
	files     []string // Orthanc files written and not yet deleted, as xx/yy/uuid
}

// newWorkspace prepares the workloads for the target directory dir.
func newWorkspace(dir string, p *pattern, cfg config) *workspace {
	return &workspace{dir: dir, pattern: p, seqSize: cfg.seqSize, fileSize: cfg.fileSize, fileCount: cfg.files}
}

// megabytesPerSecond converts bytes moved in spent into MB/s (10^6 B/s).
func megabytesPerSecond(bytes int64, spent time.Duration) float64 {
	return float64(bytes) / 1e6 / spent.Seconds()
}

// perSecond converts count operations in spent into operations per second.
func perSecond(count int, spent time.Duration) float64 {
	return float64(count) / spent.Seconds()
}

// seqWrite creates the sequential file and writes it with 1 MiB write()
// calls, then fsync and close.
func seqWrite(ctx context.Context, w *workspace) (float64, time.Duration, error) {
	path := filepath.Join(w.dir, seqFileName)
	start := time.Now()
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, 0, fmt.Errorf("creating %s: %w", path, err)
	}
	defer file.Close() // after an error only; the success path checks Close
	for offset, id := int64(0), uint64(0); offset < w.seqSize; offset, id = offset+seqBlockSize, id+1 {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		n := int(min(seqBlockSize, w.seqSize-offset))
		if _, err := file.Write(w.pattern.block(id, n)); err != nil {
			return 0, 0, fmt.Errorf("writing %s at %d: %w", path, offset, err)
		}
	}
	if err := file.Sync(); err != nil {
		return 0, 0, fmt.Errorf("fsync %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return 0, 0, fmt.Errorf("closing %s: %w", path, err)
	}
	spent := time.Since(start)
	return megabytesPerSecond(w.seqSize, spent), spent, nil
}

// seqReadCold reads the sequential file back with 1 MiB reads, checking each
// block outside the timed calls, then removes the file (untimed).
func seqReadCold(ctx context.Context, w *workspace) (float64, time.Duration, error) {
	path := filepath.Join(w.dir, seqFileName)
	buf := make([]byte, seqBlockSize)
	var spent time.Duration
	start := time.Now()
	file, err := os.Open(path)
	spent += time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("opening %s: %w", path, err)
	}
	defer file.Close() // after an error only; the success path checks Close
	var total int64
	for id := uint64(0); ; id++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		start = time.Now()
		n, err := io.ReadFull(file, buf)
		spent += time.Since(start)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, 0, fmt.Errorf("reading %s at %d: %w", path, total, err)
		}
		if err := w.pattern.check(buf[:n], id); err != nil {
			return 0, 0, fmt.Errorf("%s at %d: %w", path, total, err)
		}
		total += int64(n)
		if n < len(buf) {
			break
		}
	}
	start = time.Now()
	err = file.Close()
	spent += time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("closing %s: %w", path, err)
	}
	if total != w.seqSize {
		return 0, 0, fmt.Errorf("%w: read %d bytes of %s, wrote %d", errContentMismatch, total, path, w.seqSize)
	}
	if err := os.Remove(path); err != nil {
		return 0, 0, fmt.Errorf("removing %s: %w", path, err)
	}
	return megabytesPerSecond(total, spent), spent, nil
}

// orthancWrite stores fileCount files the way Orthanc's filesystem storage
// does: at xx/yy/<uuid>, creating xx and yy when a stat says they are
// missing, each file written with 4096-byte write() calls, fdatasync, close.
func orthancWrite(ctx context.Context, w *workspace) (float64, time.Duration, error) {
	names, err := orthancNames(w.fileCount)
	if err != nil {
		return 0, 0, err
	}
	w.files = w.files[:0]
	start := time.Now()
	for i, name := range names {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		if err := writeOrthancFile(w, name, orthancFileID+uint64(i)); err != nil {
			return 0, 0, err
		}
		w.files = append(w.files, name)
	}
	spent := time.Since(start)
	return perSecond(len(names), spent), spent, nil
}

// writeOrthancFile writes one file of the Orthanc workload.
func writeOrthancFile(w *workspace, name string, id uint64) error {
	path := filepath.Join(w.dir, name)
	if err := ensureParentDirs(w.dir, filepath.Dir(name)); err != nil {
		return err
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer file.Close() // after an error only; the success path checks Close
	data := w.pattern.block(id, int(w.fileSize))
	for offset := 0; offset < len(data); offset += orthancWriteSize {
		if _, err := file.Write(data[offset:min(offset+orthancWriteSize, len(data))]); err != nil {
			return fmt.Errorf("writing %s at %d: %w", path, offset, err)
		}
	}
	if err := ignoringEINTR(func() error { return unix.Fdatasync(int(file.Fd())) }); err != nil {
		return fmt.Errorf("fdatasync %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// ensureParentDirs creates root/xx and root/xx/yy for dir "xx/yy" when a
// stat of root/xx/yy says they are missing, as Orthanc does.
func ensureParentDirs(root, dir string) error {
	full := filepath.Join(root, dir)
	if _, err := os.Stat(full); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat %s: %w", full, err)
	}
	for _, path := range []string{filepath.Join(root, filepath.Dir(dir)), full} {
		if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("mkdir %s: %w", path, err)
		}
	}
	return nil
}

// orthancReadCold reads every Orthanc file as Orthanc does (stat, open, seek
// to the end for the size, seek back, one read of the whole file, close) and
// checks its bytes outside the timed calls.
func orthancReadCold(ctx context.Context, w *workspace) (float64, time.Duration, error) {
	buf := make([]byte, w.fileSize)
	var spent time.Duration
	for i, name := range w.files {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		start := time.Now()
		n, err := readOrthancFile(filepath.Join(w.dir, name), buf)
		spent += time.Since(start)
		if err != nil {
			return 0, 0, err
		}
		if n != w.fileSize {
			return 0, 0, fmt.Errorf("%w: %s has %d bytes, wrote %d", errContentMismatch, name, n, w.fileSize)
		}
		if err := w.pattern.check(buf, orthancFileID+uint64(i)); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	return perSecond(len(w.files), spent), spent, nil
}

// readOrthancFile reads path into buf, which must be at least as large as
// the file, and returns the file's size.
func readOrthancFile(path string, buf []byte) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	file, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", path, err)
	}
	defer file.Close() // read-only: a close error changes nothing
	size, err := file.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("seeking to the end of %s: %w", path, err)
	}
	if size > int64(len(buf)) {
		return size, nil // the caller reports the wrong size
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("seeking to the start of %s: %w", path, err)
	}
	if _, err := io.ReadFull(file, buf[:size]); err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return size, nil
}

// orthancDelete removes every Orthanc file, then tries to remove its yy and
// xx directories, leaving those that are not empty yet, as Orthanc does.
func orthancDelete(ctx context.Context, w *workspace) (float64, time.Duration, error) {
	count := len(w.files)
	start := time.Now()
	for len(w.files) > 0 {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		name := w.files[0]
		if err := ignoringEINTR(func() error { return unix.Unlink(filepath.Join(w.dir, name)) }); err != nil {
			return 0, 0, fmt.Errorf("unlink %s: %w", name, err)
		}
		w.files = w.files[1:]
		yy := filepath.Dir(name)
		for _, dir := range []string{yy, filepath.Dir(yy)} {
			err := ignoringEINTR(func() error { return unix.Rmdir(filepath.Join(w.dir, dir)) })
			if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
				break
			}
			if err != nil {
				return 0, 0, fmt.Errorf("rmdir %s: %w", dir, err)
			}
		}
	}
	spent := time.Since(start)
	return perSecond(count, spent), spent, nil
}

// ignoringEINTR repeats a system call that a signal interrupted, as the os
// package does for its own calls. Go programs see EINTR from FUSE mounts
// because the runtime signals its threads; the kernel then interrupts the
// pending FUSE request.
func ignoringEINTR(call func() error) error {
	for {
		if err := call(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// orthancNames returns count random names of the form xx/yy/<uuid>.
func orthancNames(count int) ([]string, error) {
	names := make([]string, count)
	for i := range names {
		id, err := randomUUID()
		if err != nil {
			return nil, err
		}
		names[i] = filepath.Join(id[0:2], id[2:4], id)
	}
	return names, nil
}

// randomUUID returns a random (version 4) UUID in its usual text form.
func randomUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

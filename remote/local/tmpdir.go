package local

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// lockFileName is the lock file inside the temp directory.
	lockFileName = "lock"
	// uploadPrefix starts the name of every upload's temp file.
	uploadPrefix = "up-"
	// staleAge is how long a temp file must sit untouched before New removes
	// it; younger ones may belong to another process using the directory.
	staleAge = 24 * time.Hour
)

// makeTmpDir creates root/.sealfs-tmp if needed and checks that it is a
// real directory.
func makeTmpDir(root string) (string, error) {
	dir := filepath.Join(root, tmpDirName)
	err := unix.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		if err := syncDir(root); err != nil {
			return "", err
		}
	case !errors.Is(err, unix.EEXIST):
		return "", fmt.Errorf("local: create %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return "", fmt.Errorf("local: stat %s: %w", dir, err)
	}
	if !isDir(&st) {
		return "", fmt.Errorf("local: %s is not a directory: %w", dir, unix.ENOTDIR)
	}
	return dir, nil
}

// createTemp creates a new, empty upload file in the temp directory.
func createTemp(tmpDir string) (*os.File, error) {
	for range 3 {
		path := filepath.Join(tmpDir, uploadPrefix+rand.Text())
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("local: create temp file in %s: %w", tmpDir, fs.ErrExist)
}

// sweepStaleTemps removes temp files untouched for staleAge, left behind
// by a process that died mid-upload. Failures are logged, not returned:
// they cost disk space, not correctness.
func sweepStaleTemps(tmpDir string, now time.Time, log *slog.Logger) {
	entries, err := os.ReadDir(tmpDir)
	if err != nil {
		log.Warn("local: cannot list temp directory", "dir", tmpDir, "err", err)
		return
	}
	for _, e := range entries {
		if e.Name() == lockFileName || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < staleAge {
			continue
		}
		path := filepath.Join(tmpDir, e.Name())
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("local: cannot remove stale temp file", "path", path, "err", err)
			continue
		}
		log.Info("local: removed stale temp file", "path", path, "age", now.Sub(info.ModTime()).Round(time.Second))
	}
}

// probeFilesystem checks, in the temp directory, the two features the
// store's correctness rests on: nanosecond modification times (so version
// tokens of a reused inode differ) and renameat2(RENAME_NOREPLACE) (so
// create-if-absent is atomic).
func probeFilesystem(tmpDir string) error {
	name := filepath.Join(tmpDir, "probe-"+rand.Text())
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("local: probe filesystem: %w", err)
	}
	renamed := name + "-renamed"
	defer func() {
		f.Close()
		os.Remove(name)
		os.Remove(renamed)
	}()
	want := unix.Timespec{Sec: 1_000_000_000, Nsec: 123_456_789}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, name, []unix.Timespec{want, want}, 0); err != nil {
		return fmt.Errorf("local: probe filesystem: set times: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("local: probe filesystem: %w", err)
	}
	if st.Mtim != want {
		return fmt.Errorf("local: filesystem of %s does not keep nanosecond modification times (version tokens would repeat): %w",
			tmpDir, errors.ErrUnsupported)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, name, unix.AT_FDCWD, renamed, unix.RENAME_NOREPLACE); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("local: filesystem of %s does not support renameat2(RENAME_NOREPLACE): %w",
				tmpDir, errors.ErrUnsupported)
		}
		return fmt.Errorf("local: probe filesystem: rename: %w", err)
	}
	return nil
}

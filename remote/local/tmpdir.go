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

// makeTmpDir creates root/.sealfs-tmp (path) below rootFD if needed and
// opens it, refusing anything but a real directory.
func makeTmpDir(rootFD int, path string) (int, error) {
	err := unix.Mkdirat(rootFD, tmpDirName, 0o700)
	switch {
	case err == nil:
		if err := unix.Fsync(rootFD); err != nil {
			return -1, fmt.Errorf("local: fsync store root: %w", err)
		}
	case !errors.Is(err, unix.EEXIST):
		return -1, fmt.Errorf("local: create %s: %w", path, err)
	}
	fd, err := openDirAt(rootFD, tmpDirName, dirFlags)
	switch {
	case errors.Is(err, unix.ELOOP):
		return -1, fmt.Errorf("local: %s is a symbolic link: %w", path, ErrOutsideRoot)
	case err != nil:
		return -1, fmt.Errorf("local: open %s: %w", path, err)
	}
	return fd, nil
}

// createTemp creates a new, empty upload file in the temp directory
// tmpFD (named tmpDir in messages) and returns it with its name there.
func createTemp(tmpFD int, tmpDir string) (*os.File, string, error) {
	for range 3 {
		name := uploadPrefix + rand.Text()
		fd, err := unix.Openat(tmpFD, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		switch {
		case errors.Is(err, unix.EEXIST):
			continue
		case err != nil:
			return nil, "", fmt.Errorf("local: create temp file in %s: %w", tmpDir, err)
		}
		return os.NewFile(uintptr(fd), filepath.Join(tmpDir, name)), name, nil
	}
	return nil, "", fmt.Errorf("local: create temp file in %s: %w", tmpDir, fs.ErrExist)
}

// sweepStaleTemps removes temp files untouched for staleAge, left behind
// by a process that died mid-upload. Failures are logged, not returned:
// they cost disk space, not correctness.
func sweepStaleTemps(tmpFD int, tmpDir string, now time.Time, log *slog.Logger) {
	var names []string
	// A descriptor of its own: reading moves the directory offset.
	fd, err := openatRetry(tmpFD, ".", dirFlags|unix.O_CLOEXEC)
	if err == nil {
		err = readDirAt(fd, func(name string, typ uint8) {
			if name != lockFileName && (typ == unix.DT_REG || typ == unix.DT_UNKNOWN) {
				names = append(names, name)
			}
		})
		unix.Close(fd)
	}
	if err != nil {
		log.Warn("local: cannot list temp directory", "dir", tmpDir, "err", err)
		return
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(tmpFD, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || !isRegular(&st) {
			continue
		}
		age := now.Sub(time.Unix(st.Mtim.Unix()))
		if age < staleAge {
			continue
		}
		path := filepath.Join(tmpDir, name)
		if err := unix.Unlinkat(tmpFD, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			log.Warn("local: cannot remove stale temp file", "path", path, "err", err)
			continue
		}
		log.Info("local: removed stale temp file", "path", path, "age", age.Round(time.Second))
	}
}

// probeFilesystem checks, in the temp directory tmpFD, the two features
// the store's correctness rests on: nanosecond modification times (so
// version tokens of a reused inode differ) and renameat2(RENAME_NOREPLACE)
// (so create-if-absent is atomic).
func probeFilesystem(tmpFD int, tmpDir string) error {
	name := "probe-" + rand.Text()
	fd, err := unix.Openat(tmpFD, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("local: probe filesystem: %w", err)
	}
	renamed := name + "-renamed"
	defer func() {
		unix.Close(fd)
		unix.Unlinkat(tmpFD, name, 0)
		unix.Unlinkat(tmpFD, renamed, 0)
	}()
	want := unix.Timespec{Sec: 1_000_000_000, Nsec: 123_456_789}
	if err := unix.UtimesNanoAt(tmpFD, name, []unix.Timespec{want, want}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("local: probe filesystem: set times: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("local: probe filesystem: %w", err)
	}
	if st.Mtim != want {
		return fmt.Errorf("local: filesystem of %s does not keep nanosecond modification times (version tokens would repeat): %w",
			tmpDir, errors.ErrUnsupported)
	}
	if err := unix.Renameat2(tmpFD, name, tmpFD, renamed, unix.RENAME_NOREPLACE); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("local: filesystem of %s does not support renameat2(RENAME_NOREPLACE): %w",
				tmpDir, errors.ErrUnsupported)
		}
		return fmt.Errorf("local: probe filesystem: rename: %w", err)
	}
	return nil
}

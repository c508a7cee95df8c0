package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// defaultWorkdirParent is on the real disk on common systems, unlike /tmp,
// which is often tmpfs.
const defaultWorkdirParent = "/var/tmp"

// filesystemMagics names the statfs(2) types worth naming in the report.
var filesystemMagics = map[int64]string{
	unix.EXT4_SUPER_MAGIC:      "ext4",
	unix.XFS_SUPER_MAGIC:       "xfs",
	unix.BTRFS_SUPER_MAGIC:     "btrfs",
	unix.TMPFS_MAGIC:           "tmpfs",
	unix.OVERLAYFS_SUPER_MAGIC: "overlayfs",
	unix.FUSE_SUPER_MAGIC:      "fuse",
	unix.NFS_SUPER_MAGIC:       "nfs",
}

// workdir is the directory holding every target's files.
type workdir struct {
	path  string
	owned bool // made by the bench, so removed at the end
}

// openWorkdir uses path, creating it if needed, or a new directory under
// /var/tmp when path is empty.
func openWorkdir(path string) (*workdir, error) {
	if path == "" {
		dir, err := os.MkdirTemp(defaultWorkdirParent, "sealfs-bench-")
		if err != nil {
			return nil, fmt.Errorf("work directory: %w", err)
		}
		return &workdir{path: dir, owned: true}, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	return &workdir{path: abs}, nil
}

// filesystem names the filesystem holding the work directory.
func (w *workdir) filesystem() string {
	var stat unix.Statfs_t
	if err := unix.Statfs(w.path, &stat); err != nil {
		return "unknown: " + err.Error()
	}
	if name, ok := filesystemMagics[int64(stat.Type)]; ok {
		return name
	}
	return fmt.Sprintf("type 0x%x", stat.Type)
}

// remove deletes what the bench made in the work directory: the given
// entries, and the directory itself when the bench created it. It refuses
// while anything below is still mounted, so that it never deletes through a
// mount.
func (w *workdir) remove(entries []string, stillMounted bool) error {
	if stillMounted {
		return fmt.Errorf("leaving %s in place: a mount below it is still there", w.path)
	}
	var errs []error
	for _, entry := range entries {
		if err := os.RemoveAll(filepath.Join(w.path, entry)); err != nil {
			errs = append(errs, err)
		}
	}
	if w.owned {
		if err := os.Remove(w.path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

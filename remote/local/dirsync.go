package local

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// syncDir fsyncs the directory at path, making its entries durable.
func syncDir(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("local: open directory for fsync: %w", err)
	}
	err = unix.Fsync(fd)
	closeErr := unix.Close(fd)
	if err != nil {
		return fmt.Errorf("local: fsync directory: %w", err)
	}
	if closeErr != nil {
		return fmt.Errorf("local: close directory: %w", closeErr)
	}
	return nil
}

// syncDirs fsyncs each distinct directory in dirs.
func syncDirs(dirs []string) error {
	slices.Sort(dirs)
	for _, d := range slices.Compact(dirs) {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// makeDirs creates dir and its missing ancestors up to root (which must
// exist), appending to *toSync the parent of every directory it created.
// It works from the bottom up, so a directory that already existed before
// the call is never touched; one that turns out to exist (EEXIST) was
// created by a concurrent commit that may not have made it durable yet,
// so its parent is synced too. Callers sync dir itself after using it.
func makeDirs(root, dir string, toSync *[]string) error {
	err := unix.Mkdir(dir, 0o700)
	switch {
	case err == nil || errors.Is(err, unix.EEXIST):
		*toSync = append(*toSync, filepath.Dir(dir))
		return nil
	case errors.Is(err, unix.ENOENT) && dir != root && filepath.Dir(dir) != root:
		if err := makeDirs(root, filepath.Dir(dir), toSync); err != nil {
			return err
		}
		return makeDirs(root, dir, toSync)
	default:
		return fmt.Errorf("local: create directory: %w", err)
	}
}

package local

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

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

// dirSet holds directories whose entries changed (markers created) but
// were not fsynced yet.
type dirSet struct {
	mu   sync.Mutex
	dirs map[string]bool
}

func (d *dirSet) add(dirs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dirs == nil {
		d.dirs = map[string]bool{}
	}
	for _, dir := range dirs {
		d.dirs[dir] = true
	}
}

// takeAncestors removes and returns the pending directories on the path
// from dir up to root.
func (d *dirSet) takeAncestors(root, dir string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for {
		if d.dirs[dir] {
			delete(d.dirs, dir)
			out = append(out, dir)
		}
		if dir == root || len(dir) <= len(root) {
			return out
		}
		dir = filepath.Dir(dir)
	}
}

// syncPath fsyncs dirs and every pending directory on key's path, so that
// the object at key is reachable after a crash. A directory whose fsync
// fails goes back to the pending set.
func (s *Store) syncPath(key string, dirs []string) error {
	pending := s.unsynced.takeAncestors(s.root, filepath.Dir(s.path(key)))
	if err := syncDirs(append(dirs, pending...)); err != nil {
		s.unsynced.add(pending...)
		return err
	}
	return nil
}

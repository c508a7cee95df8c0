package local

import (
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// fsyncDir fsyncs the directory d, making its entries durable.
func fsyncDir(d dirFD) error {
	if err := unix.Fsync(d.fd); err != nil {
		return fmt.Errorf("local: fsync directory: %w", err)
	}
	return nil
}

// syncDirs fsyncs each distinct directory in dirs (relative to the root);
// dir, already open as d, is synced through d.
func (s *Store) syncDirs(dirs []string, dir string, d dirFD) error {
	slices.Sort(dirs)
	for _, rel := range slices.Compact(dirs) {
		if rel == dir {
			if err := fsyncDir(d); err != nil {
				return err
			}
			continue
		}
		sub, err := s.openDir(rel, dirFlags)
		if err != nil {
			return fmt.Errorf("local: open directory %q for fsync: %w", rel, err)
		}
		err = fsyncDir(sub)
		sub.close()
		if err != nil {
			return err
		}
	}
	return nil
}

// dirSet holds directories (relative to the root, "" for the root) whose
// entries changed (markers created) but were not fsynced yet.
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
// from dir up to the root.
func (d *dirSet) takeAncestors(dir string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.dirs) == 0 {
		return nil
	}
	var out []string
	for {
		if d.dirs[dir] {
			delete(d.dirs, dir)
			out = append(out, dir)
		}
		if dir == "" {
			return out
		}
		dir = parentRel(dir)
	}
}

// syncPath fsyncs dirs, the directory dir holding a key (open as d) and
// every pending directory on its path, so that the object at the key is
// reachable after a crash. A directory whose fsync fails goes back to the
// pending set.
func (s *Store) syncPath(dir string, d dirFD, dirs []string) error {
	pending := s.unsynced.takeAncestors(dir)
	all := append(append(dirs, dir), pending...)
	if err := s.syncDirs(all, dir, d); err != nil {
		s.unsynced.add(pending...)
		return err
	}
	return nil
}

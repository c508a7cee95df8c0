package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// mountinfoPath is the kernel's list of the mounts this process can see.
const mountinfoPath = "/proc/self/mountinfo"

// mountPollInterval is how often WaitMounted reads mountinfo again.
const mountPollInterval = 10 * time.Millisecond

// Mounted reports whether the topmost mount at mountpoint has filesystem type
// fstype (for example "fuse.sealfs"); an empty fstype matches any type.
// It reads /proc/self/mountinfo and never touches the mount itself, so it
// does not hang on a stuck FUSE daemon.
func Mounted(mountpoint, fstype string) (bool, error) {
	path, err := canonicalMountpoint(mountpoint)
	if err != nil {
		return false, err
	}
	found, err := topmostFSType(path)
	if err != nil {
		return false, err
	}
	return found != "" && (fstype == "" || found == fstype), nil
}

// WaitMounted polls /proc/self/mountinfo until the topmost mount at
// mountpoint has filesystem type fstype (any type when fstype is empty), or
// until ctx ends; the error then wraps ctx.Err() and says what was seen.
func WaitMounted(ctx context.Context, mountpoint, fstype string) error {
	path, err := canonicalMountpoint(mountpoint)
	if err != nil {
		return err
	}
	ticker := time.NewTicker(mountPollInterval)
	defer ticker.Stop()
	for {
		found, err := topmostFSType(path)
		if err != nil {
			return err
		}
		if found != "" && (fstype == "" || found == fstype) {
			return nil
		}
		select {
		case <-ctx.Done():
			seen := "nothing mounted there"
			if found != "" {
				seen = "mounted as " + found
			}
			return fmt.Errorf("waiting for %s to be mounted as %q (%s): %w", path, fstype, seen, ctx.Err())
		case <-ticker.C:
		}
	}
}

// canonicalMountpoint returns the path as the kernel writes it in mountinfo:
// absolute, with symbolic links in its parent resolved. The last element is
// not resolved, so that a hung mount at that path cannot block the call.
func canonicalMountpoint(mountpoint string) (string, error) {
	abs, err := filepath.Abs(mountpoint)
	if err != nil {
		return "", fmt.Errorf("absolute path of %s: %w", mountpoint, err)
	}
	if abs == "/" {
		return abs, nil
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", fmt.Errorf("resolving parent of %s: %w", abs, err)
	}
	return filepath.Join(parent, filepath.Base(abs)), nil
}

// topmostFSType returns the filesystem type of the last (topmost) mount at
// path in /proc/self/mountinfo, or "" when nothing is mounted there.
func topmostFSType(path string) (string, error) {
	file, err := os.Open(mountinfoPath)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", mountinfoPath, err)
	}
	defer file.Close()
	entries, err := parseMountinfo(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", mountinfoPath, err)
	}
	return topmostAt(entries, path), nil
}

// topmostAt returns the filesystem type of the last entry mounted at path,
// or "" when there is none.
func topmostAt(entries []mountEntry, path string) string {
	found := ""
	for _, entry := range entries {
		if entry.mountPoint == path {
			found = entry.fsType
		}
	}
	return found
}

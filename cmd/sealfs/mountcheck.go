package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Refusals of the mount point, for errors.Is.
var (
	errAlreadyMounted = errors.New("already a mount point")
	errDeadMount      = errors.New("dead FUSE mount")
	errNotEmpty       = errors.New("mount point is not empty")
	errNoFuse         = errors.New("fuse3 is not installed")
)

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	point  string // unescaped
	fsType string // after the " - " separator; "" if the line has none
	source string
}

// mountEntries parses a mountinfo file (proc(5)).
func mountEntries(r io.Reader) ([]mountEntry, error) {
	var entries []mountEntry
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; scanner.Scan(); line++ {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 5 {
			return nil, fmt.Errorf("line %d: %d fields, want at least 5", line, len(fields))
		}
		e := mountEntry{point: unescapeMountinfo(fields[4])}
		for i := 6; i < len(fields)-1; i++ {
			if fields[i] == "-" {
				e.fsType = unescapeMountinfo(fields[i+1])
				if i+2 < len(fields) {
					e.source = unescapeMountinfo(fields[i+2])
				}
				break
			}
		}
		entries = append(entries, e)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	return entries, nil
}

// topmostMount returns the last (topmost) mount at dir in the mountinfo
// file at path, and whether there is one.
func topmostMount(path, dir string) (mountEntry, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return mountEntry{}, false, err
	}
	defer f.Close()
	entries, err := mountEntries(f)
	if err != nil {
		return mountEntry{}, false, fmt.Errorf("%s: %w", path, err)
	}
	var found mountEntry
	ok := false
	for _, e := range entries {
		if e.point == dir {
			found, ok = e, true
		}
	}
	return found, ok, nil
}

// checkMountPoint refuses what mounting at mp would get wrong: a dead FUSE
// mount (its daemon was killed), an existing mount (a second sealfs would
// stack on the first and share its state dir), something other than a
// directory, and, unless nonempty, a directory that holds files (they would
// be hidden, and an application might have written plaintext there).
// mp must be absolute.
func checkMountPoint(mp string, nonempty bool) error {
	// The path as mountinfo writes it: symbolic links in the parent
	// resolved, without touching mp itself (a hung daemon would block).
	dir := mp
	if parent, err := filepath.EvalSymlinks(filepath.Dir(mp)); err == nil {
		dir = filepath.Join(parent, filepath.Base(mp))
	}
	entry, mounted, err := topmostMount(selfMountinfo, dir)
	if err != nil {
		return fmt.Errorf("mount point: %w", err)
	}
	if !mounted {
		// mp may be a symbolic link to a mount point.
		if resolved, err := filepath.EvalSymlinks(mp); err == nil && resolved != dir {
			if entry, mounted, err = topmostMount(selfMountinfo, resolved); err != nil {
				return fmt.Errorf("mount point: %w", err)
			}
		}
	}
	// stat may be answered from the kernel's attribute cache for a second
	// after the daemon died; statfs always asks the daemon.
	if mounted && strings.HasPrefix(entry.fsType, "fuse") && errors.Is(probeStatfs(mp), syscall.ENOTCONN) {
		return deadMountError(mp, entry.fsType)
	}
	if mounted {
		what := entry.fsType
		if entry.source != "" {
			what += " " + entry.source
		}
		return fmt.Errorf("mount point %s is %w (%s); unmount it first (fusermount3 -u %s) or choose another directory",
			mp, errAlreadyMounted, what, mp)
	}
	st, statErr := os.Stat(mp)
	if errors.Is(statErr, syscall.ENOTCONN) {
		return deadMountError(mp, "")
	}
	if statErr != nil {
		return fmt.Errorf("mount point: %w", statErr)
	}
	if !st.IsDir() {
		return fmt.Errorf("mount point %s is not a directory", mp)
	}
	if nonempty {
		return nil
	}
	f, err := os.Open(mp)
	if err != nil {
		return fmt.Errorf("mount point: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mount point: reading %s: %w", mp, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("%w: %s holds %q and more perhaps; the mount would hide them (and an application may have written plaintext there while sealfs was down): move them away, or mount anyway with --nonempty (\"nonempty\": true)",
			errNotEmpty, mp, names[0])
	}
	return nil
}

// deadMountError names a dead FUSE mount (of type fsType, if known) and
// the commands that clear it.
func deadMountError(mp, fsType string) error {
	who := "the FUSE daemon that served it"
	if fsType == "fuse.sealfs" {
		who = "the sealfs daemon that served it"
	}
	return fmt.Errorf("%w at %s: %s is gone, killed or crashed (\"transport endpoint is not connected\"); clear it with: fusermount3 -u %s (as root: umount -l %s), then mount again",
		errDeadMount, mp, who, mp, mp)
}

// probeStatfs returns statfs's error on path, or errProbeTimeout if a hung
// daemon does not answer within a few seconds.
func probeStatfs(path string) error {
	done := make(chan error, 1)
	go func() {
		var st unix.Statfs_t
		done <- unix.Statfs(path, &st)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(3 * time.Second):
		return errProbeTimeout
	}
}

// errProbeTimeout says that a FUSE daemon did not answer statfs.
var errProbeTimeout = errors.New("no answer to statfs")

// checkFusermount fails, saying how to install it, when neither
// fusermount3 nor fusermount is found where go-fuse looks for them (PATH,
// then /bin). lookPath is exec.LookPath outside tests.
func checkFusermount(lookPath func(string) (string, error)) error {
	for _, name := range []string{"fusermount3", "/bin/fusermount3", "fusermount", "/bin/fusermount"} {
		if _, err := lookPath(name); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w (no fusermount3 or fusermount on PATH or in /bin): apt-get install fuse3", errNoFuse)
}
